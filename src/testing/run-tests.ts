/**
 * Runs segment tests. Each test starts from no memberships, builds its data (the sandbox's rows if it asks,
 * plus its inline rows), and runs its `asOf` instants in order with the in-memory API, each run starting from
 * the previous one's memberships; nothing is read from or written to the sandbox's `.profile-lab/`. A broken
 * test file or a test naming something that does not exist is an error located in the file; the other tests
 * still run.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { EvaluateError, evaluate, keyOfIdentity, memoryData, mergedProfileOf, snapshotOf, type DatasetRows, type Evaluation } from "../engine/evaluate.js";
import { batchSpecs, exportContext, exportShard, type ExportContext } from "../engine/export-shard.js";
import type { Explanation } from "../engine/explain.js";
import { loadSandboxData, type SandboxData } from "../engine/load-data.js";
import { findSegment, type Sandbox } from "../engine/sandbox.js";
import { identityKeys, identityMapOf } from "../identity/identity-key.js";
import { IoError } from "../io/io-error.js";
import { confined } from "../io/sandbox-path.js";
import { memberStatuses, type StatusModel } from "../segment/membership.js";
import { ProfileLabError, type SourceLocation } from "../xdm/errors.js";
import { parseDateTime } from "../xdm/time.js";
import type { Json, JsonObject, MergePolicy, SegmentMembership } from "../xdm/types.js";
import { pathSteps, readTestFile, type ParsedTestFile, type PathStep } from "./test-file.js";
import type { Assertion, ExportAssertion, FieldAssertion, Range, SegmentAssertion, StatusAssertion, TestFile, TestRows } from "./test-file-schema.js";

/** Where test files live in a sandbox. */
export const TESTS_DIR = "tests";
const TEST_FILE = /\.(ya?ml|json)$/;

export type AssertionKind = "members" | "nonMembers" | "size" | "status" | "field" | "rowCount" | "rows" | "notExported";

export interface AssertionResult {
  /** The run (0-based) and its instant. */
  readonly run: number;
  readonly asOf: string;
  readonly kind: AssertionKind;
  /** What was asserted, in words: `US residents: members CRMID:a, CRMID:b`. */
  readonly title: string;
  readonly passed: boolean;
  readonly expected: Json;
  readonly actual: Json;
  /** Where the assertion is written. */
  readonly location: Required<Pick<SourceLocation, "file" | "line" | "column">>;
  /** For a failed membership assertion: explain's account of each profile that made it fail, for that segment. */
  readonly explanations?: readonly Explanation[];
}

/** A test that could not run: its file is broken, or it names a segment, identity, dataset or policy that does not exist. */
export interface TestErrorInfo {
  readonly code: string;
  /** The error as the CLI prints it: code, location, message and source frame. */
  readonly text: string;
  readonly location: SourceLocation;
}

export interface TestResult {
  readonly file: string;
  readonly name: string;
  readonly status: "passed" | "failed" | "error";
  readonly assertions: readonly AssertionResult[];
  readonly error?: TestErrorInfo;
  readonly durationMs: number;
}

export interface TestSummary {
  readonly tests: readonly TestResult[];
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly durationMs: number;
}

export interface RunTestsOptions {
  /** Only tests whose name or file name contains this text (case-insensitive). */
  readonly filter?: string;
  /** These test files instead of every file of `tests/` (e.g. those a change touched). */
  readonly files?: readonly string[];
  /** Wall clock for durations; injectable for tests. */
  readonly clock?: () => number;
}

/** The test files of a sandbox, sorted; a file or the folder linked out of the sandbox is IO-X003 (io/sandbox-path.ts). */
export function testFilesOf(sandboxDir: string): string[] {
  const dir = join(sandboxDir, TESTS_DIR);
  if (!existsSync(confined(sandboxDir, dir))) return [];
  return readdirSync(dir)
    .filter((name) => TEST_FILE.test(name))
    .sort()
    .map((name) => confined(sandboxDir, join(dir, name)));
}

function errorInfo(e: unknown): TestErrorInfo {
  if (e instanceof ProfileLabError) return { code: e.code, text: e.format(), location: e.location };
  throw e;
}

/** Runs the sandbox's tests (or `options.files`) in file order. */
export async function runSegmentTests(sandbox: Sandbox, options: RunTestsOptions = {}): Promise<TestSummary> {
  const clock = options.clock ?? Date.now;
  const start = clock();
  let own: Promise<SandboxData> | undefined;
  const sandboxData = (): Promise<SandboxData> => (own ??= loadSandboxData(sandbox));
  const filter = options.filter?.toLowerCase();
  const tests: TestResult[] = [];
  for (const path of options.files ?? testFilesOf(sandbox.dir)) {
    const file = relative(process.cwd(), path) || path;
    const began = clock();
    let parsed: ParsedTestFile;
    try {
      parsed = readTestFile(path, file);
    } catch (e) {
      if (filter === undefined || basename(path).toLowerCase().includes(filter)) {
        tests.push({ file, name: basename(path), status: "error", assertions: [], error: errorInfo(e), durationMs: clock() - began });
      }
      continue;
    }
    const name = parsed.test.name ?? basename(path).replace(TEST_FILE, "");
    if (filter !== undefined && !name.toLowerCase().includes(filter) && !basename(path).toLowerCase().includes(filter)) continue;
    try {
      const assertions = await runTest(sandbox, parsed, sandboxData);
      tests.push({ file, name, status: assertions.every((a) => a.passed) ? "passed" : "failed", assertions, durationMs: clock() - began });
    } catch (e) {
      tests.push({ file, name, status: "error", assertions: [], error: errorInfo(e), durationMs: clock() - began });
    }
  }
  const count = (status: TestResult["status"]): number => tests.filter((t) => t.status === status).length;
  return { tests, passed: count("passed"), failed: count("failed"), errors: count("error"), durationMs: clock() - start };
}

/** The merge policy with this id or exact name. */
function policyNamed(sandbox: Sandbox, ref: string): MergePolicy | undefined {
  return sandbox.policies.find(ref) ?? sandbox.policies.all().find((p) => p.name === ref);
}

/** A row as written, stamped with `asOf` as its ingestion time when it has none. */
function stamped(row: Json, asOf: string): Json {
  if (typeof row !== "object" || row === null || Array.isArray(row) || row["_acp_system_metadata"] !== undefined) return row;
  return { ...row, _acp_system_metadata: { ingestTime: asOf } };
}

/** Inline rows with where they are written. */
interface InlineRows {
  readonly rows: TestRows;
  readonly asOf: string;
  readonly at: readonly PathStep[];
}

/**
 * The test's data as of a run: the sandbox's rows when asked, then its inline rows in order. A bad row or an
 * unknown dataset is an error at the row's node.
 */
function dataOf(sandbox: Sandbox, parsed: ParsedTestFile, inline: readonly InlineRows[], base: SandboxData | undefined): SandboxData {
  const input: DatasetRows[] = [];
  const paths: PathStep[][] = [];
  // Rows are named by the test file and the line they start at (explain shows them so); the line leads back to the row.
  const rowAt = new Map<number, PathStep[]>();
  for (const { rows, asOf, at } of inline) {
    for (const [dataset, list] of Object.entries(rows)) {
      paths.push([...at, dataset]);
      const lines = list.map((_, r) => {
        const path = [...at, dataset, r];
        const { line } = parsed.locate(path);
        if (!rowAt.has(line)) rowAt.set(line, path);
        return line;
      });
      input.push({ datasetId: dataset, rows: list.map((r) => stamped(r, asOf)), file: parsed.file, lines });
    }
  }
  try {
    return memoryData(sandbox, input, base);
  } catch (e) {
    const row = e instanceof IoError && e.location.file === parsed.file ? rowAt.get(e.location.line ?? 0) : undefined;
    if (e instanceof IoError && row !== undefined) throw parsed.error(e.code, e.message, [...row, ...pathSteps(e.location.jsonPath ?? "$")]);
    if (e instanceof EvaluateError && e.code === "EVAL-001") {
      const i = pathSteps(e.location.jsonPath ?? "$[0]")[0] as number;
      throw parsed.error("TST-D001", e.message, paths[i]!);
    }
    throw e;
  }
}

function isSegmentAssertion(a: Assertion): a is SegmentAssertion {
  return "segment" in a && !("identity" in a);
}

function isExportAssertion(a: Assertion): a is ExportAssertion {
  return "export" in a;
}

/**
 * An export assertion's request (a file of export-jobs/ by name, or the body itself) parsed and resolved as an
 * export job resolves it; a problem in an inline body is located in the test file.
 */
function exportContextOf(sandbox: Sandbox, parsed: ParsedTestFile, a: ExportAssertion, statusModel: StatusModel, at: readonly PathStep[]): ExportContext {
  if (typeof a.export === "string") {
    const name = a.export;
    const doc = sandbox.exportRequests.find((d) => basename(d.file) === name || basename(d.file) === `${name}.json`);
    if (doc === undefined) {
      const known = sandbox.exportRequests.map((d) => basename(d.file)).join(", ");
      throw parsed.error("TST-T004", `no export request "${name}" in export-jobs/; known: ${known || "none"}`, [...at, "export"]);
    }
    return exportContext(sandbox, doc.value, statusModel, doc.file);
  }
  try {
    return exportContext(sandbox, a.export, statusModel, parsed.file);
  } catch (e) {
    if (e instanceof ProfileLabError && e.location.jsonPath !== undefined) throw parsed.error(e.code, e.message, [...at, "export", ...pathSteps(e.location.jsonPath)]);
    throw e;
  }
}

function isFieldAssertion(a: Assertion): a is FieldAssertion {
  return "field" in a;
}

/** A dot path's value in a merged profile; null where it has none. */
function valueAt(profile: JsonObject | undefined, path: string): Json {
  let v: Json | undefined = profile;
  for (const step of path.split(".")) v = typeof v === "object" && v !== null && !Array.isArray(v) ? v[step] : undefined;
  return v ?? null;
}

async function runTest(sandbox: Sandbox, parsed: ParsedTestFile, sandboxData: () => Promise<SandboxData>): Promise<AssertionResult[]> {
  const test: TestFile = parsed.test;
  const policy = test.mergePolicy === undefined ? undefined : policyNamed(sandbox, test.mergePolicy);
  if (test.mergePolicy !== undefined && policy === undefined) {
    const known = sandbox.policies.all().map((p) => `${p.id} (${p.name})`).join(", ");
    throw parsed.error("TST-T001", `unknown merge policy "${test.mergePolicy}" (neither an id nor a name); known: ${known || "none"}`, ["mergePolicy"]);
  }
  const segmentIdOf = (ref: string, at: readonly PathStep[]): string => {
    const s = findSegment(sandbox, ref);
    if (s !== undefined) return s.definition.id;
    const known = sandbox.segments.map((c) => `${c.definition.id} (${c.definition.name})`).join(", ");
    throw parsed.error("TST-T002", `unknown segment "${ref}" (neither an id nor a name); known segments: ${known || "none"}`, at);
  };
  const statusModel = test.statusModel ?? "legacy";
  // Every segment the test names (and every ups segment its exports filter on), and every export request,
  // resolved before anything runs: a typo is an error, not a failure.
  const segments = new Set<string>();
  const exports = new Map<Assertion, ExportContext>();
  test.runs.forEach((run, r) =>
    run.expect.forEach((a, i) => {
      const at = ["runs", r, "expect", i];
      if (isExportAssertion(a)) {
        const context = exportContextOf(sandbox, parsed, a, statusModel, at);
        exports.set(a, context);
        for (const f of context.plan.segments ?? []) if (f.segmentNs.toLowerCase() === "ups" && findSegment(sandbox, f.segmentId)) segments.add(f.segmentId);
      } else if (!isFieldAssertion(a)) segments.add(segmentIdOf(a.segment, [...at, "segment"]));
    }),
  );
  const base = test.sandboxData ? await sandboxData() : undefined;
  const inline: InlineRows[] = test.rows === undefined ? [] : [{ rows: test.rows, asOf: test.runs[0]!.asOf, at: ["rows"] }];
  const results: AssertionResult[] = [];
  let prior: Evaluation["memberships"] | undefined;
  for (const [r, run] of test.runs.entries()) {
    if (run.rows !== undefined) inline.push({ rows: run.rows, asOf: run.asOf, at: ["runs", r, "rows"] });
    const data = dataOf(sandbox, parsed, inline, base);
    const evaluation =
      segments.size === 0
        ? undefined
        : await evaluate(sandbox, data, { asOf: run.asOf, statusModel, segments: [...segments], ...(policy ? { mergePolicyId: policy.id } : {}), ...(prior ? { prior } : {}) });
    prior = evaluation?.memberships;
    const context: RunContext = { sandbox, parsed, data, evaluation, run: r, asOf: run.asOf, policy, segmentIdOf, exports };
    for (const [i, a] of run.expect.entries()) results.push(...(await check(context, a, ["runs", r, "expect", i])));
  }
  return results;
}

interface RunContext {
  readonly sandbox: Sandbox;
  readonly parsed: ParsedTestFile;
  readonly data: SandboxData;
  readonly evaluation: Evaluation | undefined;
  readonly run: number;
  readonly asOf: string;
  readonly policy: MergePolicy | undefined;
  readonly segmentIdOf: (ref: string, at: readonly PathStep[]) => string;
  readonly exports: ReadonlyMap<Assertion, ExportContext>;
}

async function check(c: RunContext, a: Assertion, at: readonly PathStep[]): Promise<AssertionResult[]> {
  if (isFieldAssertion(a)) return [checkField(c, a, at)];
  if (isExportAssertion(a)) return checkExport(c, a, at);
  if (isSegmentAssertion(a)) return checkSegment(c, a, at);
  return [checkStatus(c, a, at)];
}

/** The ups entry of an identity's profile for a segment after the run; an identity no profile has is an error at `at`. */
function entryOf(c: RunContext, identity: string, segmentId: string, at: readonly PathStep[]): SegmentMembership[string][string] | undefined {
  const evaluation = c.evaluation!;
  const mergePolicyId = evaluation.segments.find((s) => s.segmentId === segmentId)!.mergePolicyId;
  let profile;
  try {
    profile = evaluation.profileOf(identity, mergePolicyId);
  } catch (e) {
    throw e instanceof EvaluateError ? c.parsed.error("TST-T003", e.message, at) : e;
  }
  if (profile === undefined) throw c.parsed.error("TST-T003", `no profile has the identity ${identity} under merge policy "${mergePolicyId}" (as of ${c.asOf})`, at);
  const membership = profile.profile["segmentMembership"] as SegmentMembership | undefined;
  return membership?.["ups"]?.[segmentId];
}

function result(
  c: RunContext,
  kind: AssertionKind,
  title: string,
  expected: Json,
  actual: Json,
  at: readonly PathStep[],
  explanations?: Explanation[],
  passed = isDeepStrictEqual(expected, actual),
): AssertionResult {
  return {
    run: c.run,
    asOf: c.asOf,
    kind,
    title,
    passed,
    expected,
    actual,
    location: c.parsed.locate(at),
    ...(!passed && explanations?.length ? { explanations } : {}),
  };
}

function checkSegment(c: RunContext, a: SegmentAssertion, at: readonly PathStep[]): AssertionResult[] {
  const segmentId = c.segmentIdOf(a.segment, [...at, "segment"]);
  const evaluation = c.evaluation!;
  const segment = evaluation.segments.find((s) => s.segmentId === segmentId)!;
  const members = memberStatuses(evaluation.statusModel);
  const out: AssertionResult[] = [];
  for (const kind of ["members", "nonMembers"] as const) {
    const list = a[kind];
    if (list === undefined) continue;
    // Expected: member or not, per identity; actual: each one's status after the run (none: no entry).
    const expected: JsonObject = {};
    const actual: JsonObject = {};
    const wrong: string[] = [];
    list.forEach((identity, i) => {
      const status = entryOf(c, identity, segmentId, [...at, kind, i])?.status;
      expected[identity] = kind === "members" ? "member" : "not a member";
      actual[identity] = status ?? "none";
      if ((status !== undefined && members.includes(status)) !== (kind === "members")) wrong.push(identity);
    });
    const explanations = wrong.map((identity) => evaluation.explain(identity, segmentId)).filter((x): x is Explanation => x !== undefined);
    const title = `${segment.name}: ${kind === "members" ? "members" : "not members"} ${list.join(", ")}`;
    out.push(result(c, kind, title, expected, actual, [...at, kind], explanations, wrong.length === 0));
  }
  if (a.size !== undefined) out.push(countResult(c, "size", `${segment.name}: size`, a.size, segment.size, [...at, "size"]));
  return out;
}

/** A count against a number or a range {min, max}. */
function countResult(c: RunContext, kind: AssertionKind, title: string, expected: Range, actual: number, at: readonly PathStep[]): AssertionResult {
  if (typeof expected === "number") return result(c, kind, `${title} ${expected}`, expected, actual, at);
  const { min, max } = expected;
  const range = `${min ?? 0}..${max ?? "∞"}`;
  return result(c, kind, `${title} in ${range}`, range, actual, at, undefined, (min === undefined || actual >= min) && (max === undefined || actual <= max));
}

/** The rows the export would write after this run (every batch's), computed with the export job's own code. */
async function exportedRows(c: RunContext, context: ExportContext): Promise<JsonObject[]> {
  const rows: JsonObject[] = [];
  const shard = { data: c.data, prior: snapshotOf(c.evaluation?.memberships), componentOf: (key: string) => key };
  const asOf = parseDateTime(c.asOf)!;
  await exportShard(c.sandbox, context, batchSpecs(c.sandbox, context.plan, 1), shard, asOf, (batches, row) => void batches.forEach(() => rows.push(row)), () => {});
  return rows;
}

async function checkExport(c: RunContext, a: ExportAssertion, at: readonly PathStep[]): Promise<AssertionResult[]> {
  const rows = await exportedRows(c, c.exports.get(a)!);
  const name = typeof a.export === "string" ? a.export : "the export";
  const out: AssertionResult[] = [];
  if (a.rowCount !== undefined) out.push(countResult(c, "rowCount", `${name}: rows`, a.rowCount, rows.length, [...at, "rowCount"]));
  if (a.rows === undefined && a.notExported === undefined) return out;
  if (rows.some((row) => identityMapOf(row) === undefined)) {
    throw c.parsed.error("TST-T005", `${name} leaves identityMap out of its rows (fields), so rows cannot be found by identity; assert on rowCount only`, [...at, a.rows ? "rows" : "notExported"]);
  }
  const rowOf = (identity: string): JsonObject | undefined => {
    const key = keyOfIdentity(identity);
    return rows.find((row) => identityKeys(identityMapOf(row)).includes(key));
  };
  for (const [i, expectedRow] of (a.rows ?? []).entries()) {
    const row = rowOf(expectedRow.identity);
    const values = expectedRow.values ?? {};
    const expected: JsonObject = { [expectedRow.identity]: Object.keys(values).length > 0 ? { ...values } : "exported" };
    const actual: JsonObject = {
      [expectedRow.identity]: row === undefined ? "not exported" : Object.keys(values).length > 0 ? Object.fromEntries(Object.keys(values).map((p) => [p, valueAt(row, p)])) : "exported",
    };
    out.push(result(c, "rows", `${name}: a row for ${expectedRow.identity}`, expected, actual, [...at, "rows", i]));
  }
  if (a.notExported !== undefined) {
    const expected = Object.fromEntries(a.notExported.map((identity) => [identity, "not exported"]));
    const actual = Object.fromEntries(a.notExported.map((identity) => [identity, rowOf(identity) === undefined ? "not exported" : "exported"]));
    out.push(result(c, "notExported", `${name}: no row for ${a.notExported.join(", ")}`, expected, actual, [...at, "notExported"]));
  }
  return out;
}

function checkStatus(c: RunContext, a: StatusAssertion, at: readonly PathStep[]): AssertionResult {
  const segmentId = c.segmentIdOf(a.segment, [...at, "segment"]);
  const evaluation = c.evaluation!;
  const entry = entryOf(c, a.identity, segmentId, [...at, "identity"]);
  const name = evaluation.segments.find((s) => s.segmentId === segmentId)!.name;
  const status = entry?.status ?? "none";
  const expected: JsonObject = { status: a.status };
  const actual: JsonObject = { status };
  if (a.lastQualificationTime !== undefined) {
    // Compared as instants: 2026-11-01T00:00:00Z and …00.000Z are the same time.
    const lqt = entry === undefined ? null : entry.lastQualificationTime;
    expected["lastQualificationTime"] = a.lastQualificationTime;
    actual["lastQualificationTime"] = lqt !== null && parseDateTime(lqt) === parseDateTime(a.lastQualificationTime) ? a.lastQualificationTime : lqt;
  }
  const title = `${name}: ${a.identity} ${a.status}${a.lastQualificationTime ? ` since ${a.lastQualificationTime}` : ""}`;
  const passed = isDeepStrictEqual(expected, actual);
  const explanation = passed ? undefined : evaluation.explain(a.identity, segmentId);
  return result(c, "status", title, expected, actual, at, explanation ? [explanation] : undefined, passed);
}

function checkField(c: RunContext, a: FieldAssertion, at: readonly PathStep[]): AssertionResult {
  const ref = a.mergePolicy ?? c.policy?.id;
  const policy = ref === undefined ? c.sandbox.policies.default : policyNamed(c.sandbox, ref);
  if (policy === undefined) throw c.parsed.error("TST-T001", `unknown merge policy "${ref}" (neither an id nor a name)`, [...at, "mergePolicy"]);
  let profile: JsonObject | undefined;
  try {
    profile = mergedProfileOf(c.sandbox, c.data, a.identity, policy.id);
  } catch (e) {
    throw e instanceof EvaluateError ? c.parsed.error("TST-T003", e.message, [...at, "identity"]) : e;
  }
  if (profile === undefined) throw c.parsed.error("TST-T003", `no profile has the identity ${a.identity} under merge policy "${policy.id}" (as of ${c.asOf})`, [...at, "identity"]);
  return result(c, "field", `${a.identity} ${a.field} = ${JSON.stringify(a.equals)}`, a.equals, valueAt(profile, a.field), at);
}
