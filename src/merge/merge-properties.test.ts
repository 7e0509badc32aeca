/**
 * Properties of the merge, checked on generated fragments: order independence, `pdg` without cross-identity
 * links equals `none`, and dataset precedence over one dataset equals that dataset's fragment.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { profileGroups } from "../engine/profile-groups.js";
import { identityKeys, primaryIdentity } from "../identity/identity-key.js";
import type { JsonObject, MergePolicy } from "../xdm/types.js";
import type { RecordFragment } from "./fragment.js";
import { mergeFragments } from "./merge-fragments.js";
import { DEFAULT_CONVENTIONS } from "./merge-options.js";

const policy = (graph: "none" | "pdg", merge: "timestampOrdered" | "dataSetPrecedence", order?: string[]): MergePolicy => ({
  id: `${merge}-${graph}`,
  name: "p",
  schema: { name: "_xdm.context.profile" },
  version: 1,
  identityGraph: { type: graph },
  attributeMerge: order ? { type: merge, order } : { type: merge },
  default: false,
});

const DATASETS = ["ds_a", "ds_b", "ds_c"];

/** Records of a few identities with overlapping attributes, distinct ingestion times and some custom timestamps. */
const records = fc
  .array(
    fc.record({
      dataset: fc.constantFrom(...DATASETS),
      person: fc.constantFrom("p1", "p2", "p3"),
      ingest: fc.integer({ min: 0, max: 1_000_000 }),
      custom: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
      tier: fc.option(fc.constantFrom("gold", "silver", "bronze"), { nil: undefined }),
      city: fc.option(fc.constantFrom("Paris", "Oslo", "Lima"), { nil: undefined }),
      stores: fc.option(fc.array(fc.constantFrom("s1", "s2", "s3"), { maxLength: 3 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((rows) =>
    rows.map((r, seq): RecordFragment => {
      const identityMap = { CRMID: [{ id: r.person, primary: true }] };
      const data: JsonObject = { identityMap: identityMap as unknown as JsonObject };
      if (r.tier) data["loyalty"] = { tier: r.tier };
      if (r.city) data["homeAddress"] = { city: r.city };
      if (r.stores) data["favoriteStores"] = r.stores;
      if (r.custom !== undefined) data["extSourceSystemAudit"] = { lastUpdatedDate: new Date(r.custom * 1000).toISOString() };
      // Distinct ingestion times: a tie would be broken by load order, which a shuffle changes.
      const primary = primaryIdentity(identityMap)!;
      return { datasetId: r.dataset, seq, file: "f", line: seq + 1, ingestTime: r.ingest * 1000 + seq, primary, component: primary, identities: identityKeys(identityMap), data };
    }),
  );

function profilesOf(rs: RecordFragment[], p: MergePolicy): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const g of profileGroups({ records: rs, events: [] }, p).groups) out[g.key] = mergeFragments(g.records, p, { conventions: DEFAULT_CONVENTIONS }).entity;
  return out;
}

describe("merge properties", () => {
  it.each([policy("none", "timestampOrdered"), policy("pdg", "timestampOrdered"), policy("pdg", "dataSetPrecedence", ["ds_b", "ds_a", "ds_c"])])(
    "is independent of the order of the fragments ($attributeMerge.type, $identityGraph.type)",
    (p) => {
      fc.assert(
        fc.property(records, fc.infiniteStream(fc.integer()), (rs, keys) => {
          const it = keys[Symbol.iterator]();
          const shuffled = rs
            .map((r) => ({ r, k: it.next().value as number }))
            .sort((a, b) => a.k - b.k)
            .map(({ r }) => r);
          expect(JSON.stringify(profilesOf(shuffled, p))).toBe(JSON.stringify(profilesOf(rs, p)));
        }),
        { numRuns: 300 },
      );
    },
  );

  it("with no cross-identity links, pdg equals none", () => {
    fc.assert(
      fc.property(records, (rs) => {
        expect(profilesOf(rs, policy("pdg", "timestampOrdered"))).toEqual(profilesOf(rs, policy("none", "timestampOrdered")));
      }),
      { numRuns: 300 },
    );
  });

  it("dataset precedence over one dataset equals that dataset's fragment", () => {
    fc.assert(
      fc.property(records, fc.constantFrom(...DATASETS), (rs, only) => {
        const viaPolicy = profilesOf(rs, policy("none", "dataSetPrecedence", [only]));
        const own = rs.filter((r) => r.datasetId === only);
        // The fragment alone: its records in ingestion order, later replacing earlier.
        const expected: Record<string, JsonObject> = {};
        for (const r of [...own].sort((a, b) => a.ingestTime - b.ingestTime)) {
          const e = (expected[r.primary] ??= {});
          for (const [k, v] of Object.entries(r.data)) e[k] = k === "identityMap" || typeof v !== "object" || Array.isArray(v) ? v : { ...(e[k] as JsonObject | undefined), ...(v as JsonObject) };
        }
        expect(viaPolicy).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
