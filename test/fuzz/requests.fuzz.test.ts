/**
 * The request fuzz suite (issue 17, parts 4 and 7): valid request bodies (the seeds' and the sample sandbox's) are
 * mutated — unknown keys at any depth, keys removed, values replaced by nulls, empty and blank strings, numbers out
 * of range, huge strings, deep nesting, long arrays, repeated entries — and each is fed to the stage that reads it
 * (export and segment job requests, merge policy documents and requests, schedules, datasets, both patches).
 * For every input: nothing but one of our coded errors escapes, within the time budget, and every error names a
 * JSON path that is in the body (or is the parent of the key it says is missing). Separately: an unknown key is
 * refused at every object of every body, except where the platform's schema takes free-form keys (listed here).
 *
 *   PROFILE_LAB_FUZZ_RUNS=100000 npx vitest run test/fuzz/requests.fuzz.test.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExportRequest } from "../../src/export/export-request.js";
import { MergePolicyStore } from "../../src/merge/merge-policy-store.js";
import { parseMergePolicy } from "../../src/merge/merge-policy.js";
import { requestProblems, type RequestKind } from "../../src/requests/index.js";
import { Schedules } from "../../src/schedule/schedules.js";
import { parseSegmentJobRequest } from "../../src/segment/segment-job-list.js";
import { Catalog } from "../../src/store/catalog.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { ProfileLabError } from "../../src/xdm/errors.js";
import { writeSandbox } from "../helpers/sandbox.js";
import { rng } from "../pql/fixtures.js";
import { clip, fuzz, fuzzRuns, int, pick, report, SEED, type Outcome, type Rand } from "./harness.js";

const RUNS = fuzzRuns(800);
const TIMEOUT_MS = Math.max(120_000, RUNS * 20);
const FILE = "request.json";
const FIXTURES = join(import.meta.dirname, "../seeds/fixtures");
const SAMPLE = join(import.meta.dirname, "../../sample-data");
const PROFILE = { name: "_xdm.context.profile" };
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));

// ------------------------------------------------------------------------------------------ the readers

const SAMPLE_DATASETS = (readJson(join(SAMPLE, "sandbox.json")) as { datasets: { id: string }[] }).datasets.map((d) => d.id);
const DATASETS = new Set(["ds_crm", "ds_loyalty", ...SAMPLE_DATASETS]);
const ORG = { imsOrgId: "TEST@AdobeOrg", sandbox: { sandboxId: "s", sandboxName: "test", type: "development" as const, default: false }, name: "test" };
const CLOCK = (): number => 1_700_000_000_000;
const DEFAULT_POLICY = { id: "timestampOrdered-none-mp", name: "Default", schema: PROFILE, version: 1, identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true };

/** One stage's reader of a body kind, over state made once per suite (the fuzz inputs change it only by creating). */
function readers(): Record<RequestKind, (body: unknown) => unknown> {
  const sandbox = writeSandbox({ profiles: { ds_crm: [], ds_loyalty: [] }, policies: [DEFAULT_POLICY] });
  const policies = new MergePolicyStore(sandbox, DATASETS, ORG, CLOCK, () => undefined);
  const state = new SandboxState(sandbox);
  const schedules = new Schedules(state, { name: "test", imsOrgId: ORG.imsOrgId, sandbox: ORG.sandbox }, { clock: CLOCK, mergePolicyCount: 1 });
  const catalog = new Catalog(state, { name: "test", imsOrgId: ORG.imsOrgId, datasets: [] }, { clock: CLOCK });
  // An export schedule to patch, so that a created batch_segmentation schedule is not the sandbox's second.
  const scheduleId = schedules.create({ name: "exports", type: "export", properties: {}, schedule: "0 0 2 * * ?" }).id;
  return {
    exportJob: (b) => parseExportRequest(b, ["realized"], FILE),
    segmentJob: (b) => parseSegmentJobRequest(b, FILE),
    mergePolicyDocument: (b) => parseMergePolicy({ file: FILE, value: b }, DATASETS),
    mergePolicy: (b) => policies.create(b, FILE),
    mergePolicyPatch: (b) => policies.patch(DEFAULT_POLICY.id, b, FILE),
    // Deleted again, so that every batch_segmentation body is checked as the sandbox's first.
    schedule: (b) => schedules.delete(schedules.create(b, FILE).id),
    schedulePatch: (b) => schedules.patch(scheduleId, b, FILE),
    dataset: (b) => catalog.createDataset(b, FILE),
  };
}

// ------------------------------------------------------------------------------------------ the corpus

function seedKind(file: string): RequestKind | undefined {
  if (file.includes("-create-export-job")) return "exportJob";
  if (file.includes("-create-segment-job")) return "segmentJob";
  if (file.includes("-create-schedule")) return "schedule";
  if (file.includes("-patch-schedule")) return "schedulePatch";
  if (file.includes("-create-dataset")) return "dataset";
  return undefined;
}

interface Body {
  readonly kind: RequestKind;
  readonly source: string;
  readonly body: unknown;
}

const CORPUS: readonly Body[] = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".request.json") && seedKind(f) !== undefined)
    .map((f) => ({ kind: seedKind(f)!, source: `seeds/${f}`, body: readJson(join(FIXTURES, f)) })),
  ...readdirSync(join(SAMPLE, "export-jobs")).map((f) => ({ kind: "exportJob" as const, source: `sample-data/export-jobs/${f}`, body: readJson(join(SAMPLE, "export-jobs", f)) })),
  ...readdirSync(join(SAMPLE, "merge-policies")).map((f) => ({ kind: "mergePolicyDocument" as const, source: `sample-data/merge-policies/${f}`, body: readJson(join(SAMPLE, "merge-policies", f)) })),
  { kind: "mergePolicy", source: "a merge policy request", body: { name: "Stitched", identityGraph: { type: "pdg" }, attributeMerge: { type: "dataSetPrecedence", order: ["ds_loyalty", "ds_crm"] }, schema: PROFILE, isActiveOnEdge: false } },
  { kind: "mergePolicyPatch", source: "a merge policy patch", body: [{ op: "add", path: "/name", value: "Renamed" }, { op: "add", path: "/identityGraph.type", value: "pdg" }] },
  {
    kind: "dataset",
    source: "a dataset with tags",
    body: { name: "Tagged", schemaRef: { id: "https://ns.adobe.com/xdm/context/profile__union", contentType: "application/vnd.adobe.xed+json;version=1" }, tags: { unifiedProfile: ["enabled:true"] } },
  },
  { kind: "segmentJob", source: "a segment job's object form", body: { schema: PROFILE, segments: [{ segmentId: "s1" }, { segmentId: "s2" }] } },
];

// ------------------------------------------------------------------------------------------ mutations

type Step = string | number;
const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Paths to the values in `v` (the root is []), down to a depth of 40 (mutations may nest far deeper). */
function paths(v: unknown, at: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(at);
  if (at.length >= 40 || out.length > 2000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

const get = (v: unknown, at: readonly Step[]): unknown => at.reduce<unknown>((o, s) => (o as Record<Step, unknown>)[s], v);

function deep(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Values that stages must refuse or read correctly: the shapes issue 17 found accepted, crashing or slow. */
function hostileValue(r: Rand, near: unknown): unknown {
  switch (int(r, 20)) {
    case 0: return null;
    case 1: return "";
    case 2: return " \t";
    case 3: return pick(r, [-1, 0, 1.5, 1e308, -1e308, 2 ** 53, 3_000_000_000, -0]);
    case 4: return pick(r, [true, false]);
    case 5: return [];
    case 6: return {};
    case 7: return "x".repeat(pick(r, [256, 4096, 1 << 20]));
    case 8: return deep(pick(r, [100, 10_000, 100_000]), "x");
    case 9: return Array.from({ length: pick(r, [1001, 5000, 100_000]) }, (_, i) => (typeof near === "string" ? `${near}${i % 7}` : near));
    case 10: return pick(r, ["../../../../etc/passwd", "/dev/zero", "C:\\\\x", "a/b", "%00", "\u0000", "😀", "é", "\uD800"]);
    case 11: return pick(r, ["1970-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "9999-12-31T23:59:59Z", "2024-01-01", "now", "1e3", "NaN", "-1"]);
    case 12: return typeof near === "string" ? `${near} ` : near;
    case 13: return typeof near === "string" ? near.toUpperCase() : String(near);
    case 14: return typeof near === "number" ? -near : typeof near === "string" ? near.slice(0, -1) : near;
    case 15: return Array.isArray(near) ? [...near, ...near] : [near];
    case 16: return isObject(near) ? { ...near, ...near } : { value: near };
    case 17: return pick(r, ["realized", "existing", "exited", "ups", "*", "pdg", "none", "timestampOrdered", "dataSetPrecedence", "profile", "_xdm.context.profile"]);
    case 18: return pick(r, [{ $ref: "#" }, { __proto__: { polluted: true } }, JSON.parse('{"__proto__": {"polluted": true}}'), { constructor: { prototype: {} } }]);
    default: return Array.isArray(near) ? near.slice(1) : null;
  }
}

const UNKNOWN_KEYS = ["__fuzz__", "typ", "Segments", "schema ", "", "__proto__", "constructor", "x".repeat(10_000)];

/** One mutated copy of `body`: one to three edits, each at a random place. */
function mutate(body: unknown, r: Rand): unknown {
  let out = clone(body);
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const all = paths(out);
    const at = pick(r, all);
    const target = get(out, at);
    const parent = at.length === 0 ? undefined : get(out, at.slice(0, -1));
    const last = at[at.length - 1];
    switch (int(r, 6)) {
      case 0: {
        // An unknown key in the nearest object.
        const objects = all.filter((p) => isObject(get(out, p)));
        if (objects.length === 0) break;
        const o = get(out, pick(r, objects)) as Record<string, unknown>;
        Object.defineProperty(o, pick(r, UNKNOWN_KEYS), { value: hostileValue(r, "x"), enumerable: true, configurable: true, writable: true });
        break;
      }
      case 1:
        // A key or an element removed.
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else if (isObject(parent)) delete parent[last as string];
        break;
      case 2:
      case 3:
      case 4: {
        const v = hostileValue(r, target);
        if (parent === undefined) out = v;
        else (parent as Record<Step, unknown>)[last as Step] = v;
        break;
      }
      default:
        // The whole body replaced: not an object, or wrapped.
        out = pick(r, [null, "body", 42, [out], [out, out], { body: out }]);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ the oracle

/** `$.a.b[0]["x y"]` as steps; undefined when it does not read as our JSON path form. */
function stepsOf(jsonPath: string): Step[] | undefined {
  if (!jsonPath.startsWith("$")) return undefined;
  const steps: Step[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < jsonPath.length) {
    const m = re.exec(jsonPath);
    if (m === null) return undefined;
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  }
  return steps;
}

/** A JSON path an error may name: one that leads to a value, or to a missing key of an object that is there. */
function pathInBody(body: unknown, jsonPath: string): boolean {
  const steps = stepsOf(jsonPath);
  if (steps === undefined) return false;
  let v: unknown = body;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (Array.isArray(v) && typeof s === "number" && s < v.length) v = v[s];
    else if (isObject(v) && typeof s === "string" && Object.hasOwn(v, s)) v = v[s];
    else return i === steps.length - 1 && (isObject(v) || Array.isArray(v));
  }
  return true;
}

interface Case {
  readonly kind: RequestKind;
  readonly source: string;
  readonly body: unknown;
}

function showCase(c: Case): string {
  let json: string;
  try {
    json = JSON.stringify(c.body) ?? String(c.body);
  } catch {
    json = "(not serializable)";
  }
  return `${c.kind} from ${c.source}: ${json.length > 400 ? `${json.slice(0, 400)}…` : json}`;
}

function runCase(read: Record<RequestKind, (body: unknown) => unknown>, c: Case): Outcome {
  try {
    read[c.kind](c.body);
    return {};
  } catch (e) {
    if (!(e instanceof ProfileLabError)) return { failure: `uncoded ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
    if (!/^[A-Z]+(-[A-Z]*\d+)$/.test(e.code)) return { failure: `the code ${JSON.stringify(e.code)} is not of our form` };
    const path = e.location.jsonPath;
    if (path !== undefined && !pathInBody(c.body, path)) return { failure: `${e.code} names ${path}, which is not in the body (${clip(e.message)})` };
    return { code: e.code };
  }
}

// ------------------------------------------------------------------------------------------ the suites

/** Where a body takes keys of the user's choosing (maps), so an unknown key is not an error there. */
const FREE_FORM: ReadonlySet<string> = new Set(["dataset $.tags"]);

describe(`request fuzz (seed ${SEED}, ${RUNS.toLocaleString("en")} mutated bodies from ${CORPUS.length} valid ones)`, () => {
  it("the corpus is valid: every body passes its stage", () => {
    const read = readers();
    expect(CORPUS.map((c) => [c.source, runCase(read, c)])).toEqual(CORPUS.map((c) => [c.source, {}]));
  });

  it(
    "mutated bodies: only coded errors naming a JSON path in the body escape, within the time budget",
    () => {
      const read = readers();
      const input = (i: number): Case => {
        const r = rng(SEED * 9_000_011 + i);
        const base = CORPUS[i % CORPUS.length]!;
        return { kind: base.kind, source: base.source, body: mutate(base.body, r) };
      };
      const r = fuzz(input, RUNS, (c) => runCase(read, c), showCase);
      report("requests", r, "accepted");
      expect(r.failures.slice(0, 20)).toEqual([]);
      expect(r.over.map((o) => `${o.ms.toFixed(0)} ms: ${clip(o.input)}`)).toEqual([]);
      // The mutations must mostly be refused: an all-accepting reader would pass the checks above.
      expect(r.count - r.accepted).toBeGreaterThan(RUNS * 0.6);
    },
    TIMEOUT_MS,
  );

  it("an unknown key is refused at every object of every body, except in the platform's free-form maps", () => {
    const accepted = new Set<string>();
    for (const c of CORPUS) {
      for (const at of paths(c.body).filter((p) => isObject(get(c.body, p)))) {
        const body = clone(c.body);
        (get(body, at) as Record<string, unknown>)["__fuzz_unknown__"] = 1;
        const where = `$${at.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("")}`;
        const { problems } = requestProblems(c.kind, body);
        if (!problems.some((p) => p.jsonPath.startsWith(where) && p.message.includes('unknown field "__fuzz_unknown__"'))) accepted.add(`${c.kind} ${where.replace(/\[\d+\]/g, "[]")}`);
      }
    }
    expect([...accepted].sort()).toEqual([...FREE_FORM].sort());
  });
});
