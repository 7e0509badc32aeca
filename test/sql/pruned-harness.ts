/**
 * The pruned SQL merge against the reference: the JS merge's profiles and events cut to the fields a set of PQL
 * expressions reads (prunedSchema), beside the SQL merge given that field use — per policy, in profile order.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { loadSandboxData, type SandboxData } from "../../src/engine/load-data.js";
import { mergeGroup, profileGroups } from "../../src/engine/profile-groups.js";
import type { Sandbox } from "../../src/engine/sandbox.js";
import type { PqlExpr } from "../../src/pql/ast.js";
import { compileSegmentSet, type PqlSchema } from "../../src/pql/index.js";
import type { CompiledSegment } from "../../src/segment/segment-definition.js";
import { fromDuckDbJson } from "../../src/sql/duckdb-values.js";
import { DuckDbSession } from "../../src/sql/merge/duckdb-session.js";
import { fieldUseOf, prunedSchema, type FieldUse } from "../../src/sql/merge/field-use.js";
import { MERGED_COLUMNS } from "../../src/sql/merge/merge-profiles.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { ROW_SHAPE_NAMES } from "../../src/sql/row-shape.js";
import { listOf, structOfXdm } from "../../src/sql/types.js";
import type { Json, MergePolicy } from "../../src/xdm/types.js";
import type { XdmType } from "../../src/xdm/xdm-type.js";
import { canonical } from "./merge-harness.js";

/** A JSON value cut to a type: objects to its fields, through arrays and map values. */
export function cutTo(v: Json | undefined, t: XdmType): Json {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return t.kind === "array" ? v.map((x) => cutTo(x, t.items)) : v;
  if (typeof v !== "object") return v;
  if (t.kind === "map") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cutTo(x, t.values)]));
  if (t.kind !== "object") return v;
  return Object.fromEntries([...t.fields].map(([k, ft]) => [k, cutTo(v[k], ft)]));
}

/** The keys of the profiles the closure compiler qualifies for each segment over the JS merge of `policy` (no prior memberships). */
export function referenceMembers(sandbox: Sandbox, data: SandboxData, policy: MergePolicy, segments: readonly CompiledSegment[], now: number): Map<string, string[]> {
  const decide = compileSegmentSet(segments.map((s) => s.definition.expression), { profile: sandbox.profileType, event: sandbox.eventType });
  const members = new Map<string, string[]>(segments.map((s) => [s.definition.id, []]));
  for (const group of profileGroups(data, policy).groups) {
    const decisions = decide({ profile: mergeGroup(group, policy, sandbox.conventions).entity, events: group.events.map((e) => e.data), now, inSegment: () => false });
    segments.forEach((s, k) => decisions[k] && members.get(s.definition.id)!.push(group.key));
  }
  return members;
}

interface Row {
  readonly key: string;
  readonly entity: string;
  readonly events: string;
}

/**
 * Merges every policy of the sandbox both ways, the SQL merge given the field use of `reads` (checked PQL), and
 * expects the same profiles cut to the pruned schema. Returns the number of profiles compared.
 */
/** The merged identityMap as the merge carries it for `use`: whole, or (nothing reads it) its namespaces with no identity. */
function identitiesAsUsed(entity: Json, use: FieldUse): Json {
  if (entity === null || typeof entity !== "object" || Array.isArray(entity)) return entity;
  const map = entity["identityMap"];
  if (use.identities || map === undefined || map === null || typeof map !== "object" || Array.isArray(map)) return entity;
  return { ...entity, identityMap: Object.fromEntries(Object.keys(map).map((ns) => [ns, []])) };
}

export async function expectSamePrunedMerge(sandbox: Sandbox, reads: readonly PqlExpr[]): Promise<number> {
  const schema: PqlSchema = { profile: sandbox.profileType, event: sandbox.eventType };
  const use = fieldUseOf(reads, schema);
  const pruned = prunedSchema(schema, use);
  const data = await loadSandboxData(sandbox);
  const instance = await DuckDBInstance.create(":memory:", { threads: "2", temp_directory: join(tmpdir(), "profile-lab-pruned-harness-duckdb") });
  const connection = await instance.connect();
  let profiles = 0;
  try {
    const session = await DuckDbSession.open(connection);
    const merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
    const eventsType = listOf(structOfXdm(pruned.event));
    for (const [i, policy] of sandbox.policies.all().entries()) {
      const expected: Row[] = profileGroups(data, policy).groups.map((g) => ({
        key: g.key,
        entity: canonical(identitiesAsUsed(cutTo(mergeGroup(g, policy, sandbox.conventions).entity, pruned.profile), use)),
        events: use.event === undefined ? "[]" : canonical(g.events.map((e) => cutTo(e.data, pruned.event))),
      }));
      await merge.mergePolicy(policy, `pruned_${i}`, { use });
      const rows = await session.rows(`SELECT * FROM pruned_${i} ORDER BY ${MERGED_COLUMNS.order}`);
      const got: Row[] = rows.map((row) => ({
        key: String(row[MERGED_COLUMNS.key]),
        entity: canonical(fromDuckDbJson(row, structOfXdm(pruned.profile))),
        events: canonical(fromDuckDbJson(row[ROW_SHAPE_NAMES.events], eventsType)),
      }));
      const at = expected.findIndex((p, k) => JSON.stringify(p) !== JSON.stringify(got[k]));
      expect({ policy: policy.id, count: got.length, at, got: got[at] ?? null }).toEqual({ policy: policy.id, count: expected.length, at: -1, got: expected[at] ?? null });
      profiles += expected.length;
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return profiles;
}
