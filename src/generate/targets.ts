/**
 * `--target-audience <segment>=<share>`: steering segments towards a share of their profiles. Each person of a
 * block is drawn several times (attempts: other values, same ids), every attempt of the block is evaluated
 * with the in-memory API (src/engine/evaluate.ts, the segment job's own loop), and persons are then taken in
 * order, each with the attempt that brings the block's members-to-profiles ratio of every target segment
 * closest to its share (error diffusion). Persons' profiles never join another person's (their identities are
 * their own), so a block's counts are exact and add up across blocks; the result depends only on the block.
 */
import { identityKeys } from "../identity/identity-key.js";
import type { SandboxDefinition } from "../engine/evaluate.js";
import type { Sandbox } from "../engine/sandbox.js";
import type { IdentityMap, Json, JsonObject } from "../xdm/types.js";
import type { CompiledDataset } from "./custom-datasets.js";
import type { ResolvedConfig } from "./gen-config.js";
import { GenerateError } from "./generate-error.js";
import { makePerson, type GenContext } from "./model.js";

/** Target segments and what evaluating them needs (plain data: sent to the worker threads). */
export interface TargetPlan {
  /** The sandbox's schemas, datasets, merge policies and the target segments, as the in-memory API takes them. */
  readonly definition: SandboxDefinition;
  readonly segments: readonly { readonly id: string; readonly name: string; readonly share: number }[];
  /** Draws per person (the first is the untargeted one). */
  readonly attempts: number;
}

/** Per target segment (in plan order): its members and its merge policy's profiles in a block. */
export interface TargetCounts {
  readonly members: readonly number[];
  readonly profiles: readonly number[];
}

let cached: { key: string; sandbox: Sandbox; policyOf: Map<string, string> } | undefined;

/** The in-memory sandbox of a plan, made once per thread (it compiles the segments). */
async function sandboxOf(plan: TargetPlan): Promise<{ sandbox: Sandbox; policyOf: Map<string, string> }> {
  const key = JSON.stringify(plan.definition);
  if (cached?.key !== key) {
    // Loaded only when targets are asked for: the PQL compiler and the merge are not a block's usual load.
    const { memorySandbox } = await import("../engine/evaluate.js");
    const sandbox = memorySandbox(plan.definition);
    const policyOf = new Map(sandbox.segments.map((s) => [s.definition.id, s.definition.mergePolicyId ?? sandbox.policies.default.id] as const));
    cached = { key, sandbox, policyOf };
  }
  return cached;
}

/**
 * The rows of persons `first` … `end - 1` (per config dataset, in person order), each person in the attempt
 * chosen for the targets; the block's counts; and per dataset the persons with rows in it.
 */
export async function targetedRows(plan: TargetPlan, ctx: GenContext, datasets: readonly { readonly id: string; readonly compiled: CompiledDataset }[], first: number, end: number): Promise<{ rows: JsonObject[][]; counts: TargetCounts; persons: number[] }> {
  const { evaluate, memoryData } = await import("../engine/evaluate.js");
  const { sandbox, policyOf } = await sandboxOf(plan);
  const targets = plan.segments;
  const persons = end - first;
  /** Appends person `p`'s rows of attempt `a` to each dataset's list. */
  const personRows = (p: number, a: number, into: JsonObject[][]): void => {
    const person = makePerson(ctx, first + p, a);
    datasets.forEach((d, k) => d.compiled.rows(ctx, person, into[k]!, a));
  };
  /** attempt → target → person → members / profiles. */
  const members: number[][][] = [];
  const profiles: number[][][] = [];
  for (let a = 0; a < plan.attempts; a++) {
    const byDataset = datasets.map((): JsonObject[] => []);
    const personOf = new Map<string, number>();
    for (let p = 0; p < persons; p++) {
      const before = byDataset.map((rows) => rows.length);
      personRows(p, a, byDataset);
      byDataset.forEach((rows, k) => {
        for (let r = before[k]!; r < rows.length; r++) {
          for (const key of identityKeys(rows[r]!["identityMap"] as IdentityMap | undefined)) if (!personOf.has(key)) personOf.set(key, p);
        }
      });
    }
    const data = memoryData(sandbox, datasets.map((d, k) => ({ datasetId: d.id, rows: byDataset[k]! })));
    const evaluation = await evaluate(sandbox, data, { asOf: ctx.refMs, segments: targets.map((t) => t.id) });
    const m = targets.map(() => new Array<number>(persons).fill(0));
    const n = targets.map(() => new Array<number>(persons).fill(0));
    for (const profile of evaluation.profiles) {
      const p = profile.identities.map((k) => personOf.get(k)).find((x) => x !== undefined);
      if (p === undefined) continue;
      const ups = (profile.profile["segmentMembership"] as Record<string, Record<string, { status: string }>> | undefined)?.["ups"];
      targets.forEach((t, i) => {
        if (policyOf.get(t.id) !== profile.mergePolicyId) return;
        n[i]![p]!++;
        const status = ups?.[t.id]?.status;
        if (status === "realized" || status === "existing") m[i]![p]!++;
      });
    }
    members.push(m);
    profiles.push(n);
  }
  // Error diffusion: each person in the attempt that leaves the block's counts closest to the shares; the
  // chosen attempt's rows are made again (cheaper than holding every attempt's rows).
  const rows = datasets.map((): JsonObject[] => []);
  const withRows = datasets.map(() => 0);
  const totalM = targets.map(() => 0);
  const totalN = targets.map(() => 0);
  for (let p = 0; p < persons; p++) {
    let best = 0;
    let bestCost = Infinity;
    for (let a = 0; a < plan.attempts; a++) {
      let cost = 0;
      targets.forEach((t, i) => (cost += Math.abs(totalM[i]! + members[a]![i]![p]! - t.share * (totalN[i]! + profiles[a]![i]![p]!))));
      if (cost < bestCost - 1e-9) {
        best = a;
        bestCost = cost;
      }
    }
    targets.forEach((_, i) => {
      totalM[i]! += members[best]![i]![p]!;
      totalN[i]! += profiles[best]![i]![p]!;
    });
    const before = rows.map((r) => r.length);
    personRows(p, best, rows);
    rows.forEach((r, k) => {
      if (r.length > before[k]!) withRows[k]!++;
    });
  }
  return { rows, counts: { members: totalM, profiles: totalN }, persons: withRows };
}

/** A segment to steer: its id or exact name, and the share of its merge policy's profiles it should hold. */
export interface TargetRequest {
  readonly segment: string;
  readonly share: number;
}

/** Draws per person when steering (each one a full evaluation of the block). */
const TARGET_ATTEMPTS = 6;

/** The target plan for segments of a config read off a sandbox; an unknown segment is an error naming the known ones. */
export function targetPlanOf(config: ResolvedConfig, asked: readonly TargetRequest[]): TargetPlan {
  const source = config.source;
  if (source === undefined) throw new GenerateError("GEN-T002", "target audiences steer a sandbox's own segments: use them with --from-sandbox");
  const parsed = (folder: string): Record<string, unknown>[] => source.copies.filter((c) => c.rel.startsWith(`${folder}/`)).map((c) => JSON.parse(c.text) as Record<string, unknown>);
  const segments = parsed("segments");
  const chosen = asked.map(({ segment, share }) => {
    const found = segments.find((s) => s["id"] === segment) ?? segments.find((s) => s["name"] === segment);
    if (found === undefined) {
      const names = segments.map((s) => JSON.stringify(s["name"])).sort();
      throw new GenerateError("GEN-T001", `the sandbox ${source.dir} has no segment ${JSON.stringify(segment)} (by id or exact name); it has ${names.join(", ")}`);
    }
    if (!(share >= 0 && share <= 1)) throw new GenerateError("GEN-T003", `the share of ${JSON.stringify(segment)} must be from 0 to 1 (or 0 % to 100 %), not ${share}`);
    return { doc: found, id: String(found["id"]), share };
  });
  const definition: SandboxDefinition = {
    name: source.manifest.name,
    schemas: config.datasets.map((d) => d.schema as Json),
    datasets: config.datasets.map((d) => ({ id: d.id!, name: d.config.name, schemaId: (d.schema as { $id: string }).$id, primaryIdentityNamespace: d.config.primaryNamespace })),
    mergePolicies: parsed("merge-policies") as Json[],
    segments: [...new Map(chosen.map((c) => [c.id, c.doc as Json])).values()],
    ...(source.manifest.conventions === undefined ? {} : { conventions: source.manifest.conventions as Record<string, string> }),
  };
  return { definition, segments: chosen.map(({ id, doc, share }) => ({ id, name: String(doc["name"] ?? id), share })), attempts: TARGET_ATTEMPTS };
}
