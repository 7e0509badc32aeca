/**
 * All segments of a policy in one SELECT over the SQL merge's table (src/sql/merge/segment-pass.ts) qualify the
 * same profiles as the closure compiler over the reference merge, for every segment of sample-data (no prior
 * memberships: `inSegment` is false on both sides).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { loadSandboxData } from "../../src/engine/load-data.js";
import { mergeGroup, profileGroups } from "../../src/engine/profile-groups.js";
import { openSandbox } from "../../src/engine/sandbox.js";
import { policyOf } from "../../src/engine/segment-shard.js";
import { compileSegmentSet } from "../../src/pql/index.js";
import { DuckDbSession } from "../../src/sql/merge/duckdb-session.js";
import { evaluateSegmentPass } from "../../src/sql/merge/segment-pass.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { parseDateTime } from "../../src/xdm/time.js";
import type { MergePolicy } from "../../src/xdm/types.js";

describe("one pass over the merged profiles", () => {
  it("qualifies the closure compiler's profiles for every segment of sample-data", async () => {
    const sandbox = openSandbox("sample-data");
    const now = parseDateTime(sandbox.manifest.referenceTime!)!;
    const schema = { profile: sandbox.profileType, event: sandbox.eventType };
    const byPolicy = new Map<MergePolicy, typeof sandbox.segments[number][]>();
    for (const s of sandbox.segments) byPolicy.set(policyOf(sandbox, s), [...(byPolicy.get(policyOf(sandbox, s)) ?? []), s]);
    const data = await loadSandboxData(sandbox);
    const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
    const connection = await instance.connect();
    try {
      const session = await DuckDbSession.open(connection);
      const merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
      let qualified = 0;
      for (const [i, [policy, segments]] of [...byPolicy].entries()) {
        const decide = compileSegmentSet(segments.map((s) => s.definition.expression), schema);
        const expected = new Map<string, string[]>(segments.map((s) => [s.definition.id, []]));
        for (const group of profileGroups(data, policy).groups) {
          const merged = mergeGroup(group, policy, sandbox.conventions);
          const decisions = decide({ profile: merged.entity, events: group.events.map((e) => e.data), now, inSegment: () => false });
          segments.forEach((s, k) => decisions[k] && expected.get(s.definition.id)!.push(group.key));
        }
        await merge.mergePolicy(policy, `merged_${i}`);
        const got = await evaluateSegmentPass(session, `merged_${i}`, segments.map((s) => ({ id: s.definition.id, expression: s.definition.expression, file: s.file })), { schema, now });
        expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
        qualified += [...got.values()].reduce((n, keys) => n + keys.length, 0);
      }
      expect(qualified).toBeGreaterThan(100);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 300_000);
});
