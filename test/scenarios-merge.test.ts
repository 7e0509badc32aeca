/**
 * Merge scenarios M1–M13 of shared/spec/scenarios.md, each as written there: fragments in, merged entity
 * (or the profiles found) out.
 */
import { describe, expect, it } from "vitest";
import { mergeGroup, profileGroups } from "../src/engine/profile-groups.js";
import { applicationOrder, mergeFragments } from "../src/merge/merge-fragments.js";
import { parseConventions } from "../src/engine/conventions.js";
import { DEFAULT_CONVENTIONS, type MergeConventions } from "../src/merge/merge-options.js";
import type { MergePolicy } from "../src/xdm/types.js";
import type { EventFragment, RecordFragment } from "../src/merge/fragment.js";
import { attributes, crm, DSP, email, event, LOYALTY_ONLY, record, TS_NONE, TS_PDG } from "./helpers/fragments.js";

/** All merged profiles under a policy, by profile key. */
function profiles(records: RecordFragment[], policy: MergePolicy, events: EventFragment[] = []) {
  const out = new Map<string, ReturnType<typeof mergeGroup> & { eventIds: string[] }>();
  for (const g of profileGroups({ records, events }, policy).groups) out.set(g.key, { ...mergeGroup(g, policy, DEFAULT_CONVENTIONS), eventIds: g.events.map((e) => e.data["_id"] as string) });
  return out;
}

describe("merge scenarios (scenarios.md §A)", () => {
  it("M1: non-conflicting attributes are combined", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } } }),
        record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { loyalty: { tier: "gold" } }),
      ],
      TS_NONE,
    );
    expect(attributes(merged.entity)).toEqual({ person: { name: { firstName: "Jane" } }, loyalty: { tier: "gold" } });
  });

  it("M2: timestamp ordered picks the most recently ingested value", () => {
    const merged = mergeFragments(
      [
        record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { person: { name: { firstName: "Janet" } } }),
        record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } } }),
      ],
      TS_NONE,
    );
    expect(merged.entity["person"]).toEqual({ name: { firstName: "Janet" } });
  });

  it("M3: a custom timestamp beats ingestion order across datasets", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-06-01T00:00:00Z" } }),
        record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { person: { name: { firstName: "Janet" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-01-01T00:00:00Z" } }),
      ],
      TS_NONE,
    );
    expect(merged.entity["person"]).toEqual({ name: { firstName: "Jane" } });
  });

  it("M4: with a custom timestamp on one side only, each side uses its own effective time", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-07-01T00:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } } }),
        record("ds_loyalty", "2024-05-01T00:00:00Z", crm("c1"), { person: { name: { firstName: "Janet" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-06-15T00:00:00Z" } }),
      ],
      TS_NONE,
    );
    expect(merged.entity["person"]).toEqual({ name: { firstName: "Jane" } });
  });

  it("M5: within one dataset the later record replaces the earlier one, whatever its custom timestamp", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-06-01T00:00:00Z" } }),
        record("ds_crm", "2024-05-01T11:00:00Z", crm("c1"), { person: { name: { firstName: "Janie" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-01-01T00:00:00Z" } }),
      ],
      TS_NONE,
    );
    expect(merged.entity["person"]).toEqual({ name: { firstName: "Janie" } });
  });

  it("M6: dataset precedence resolves a conflict regardless of time", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T12:00:00Z", crm("c1"), { loyalty: { tier: "silver" } }),
        record("ds_loyalty", "2024-05-01T09:00:00Z", crm("c1"), { loyalty: { tier: "gold" } }),
      ],
      DSP,
    );
    expect(merged.entity["loyalty"]).toEqual({ tier: "gold" });
  });

  it("M7: dataset precedence fills gaps from a lower-priority dataset", () => {
    const merged = mergeFragments(
      [
        record("ds_loyalty", "2024-05-01T09:00:00Z", crm("c1"), { loyalty: { tier: "gold" } }),
        record("ds_crm", "2024-05-01T12:00:00Z", crm("c1"), { personalEmail: { address: "jane@example.com" }, loyalty: { tier: "silver" } }),
      ],
      DSP,
    );
    expect(attributes(merged.entity)).toEqual({ loyalty: { tier: "gold" }, personalEmail: { address: "jane@example.com" } });
  });

  it("M8: dataset precedence drops datasets not listed in its order", () => {
    const records = [record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } } })];
    expect(profiles(records, LOYALTY_ONLY).size).toBe(0);
    expect(attributes(profiles(records, TS_NONE).get("crmid:c1")!.entity)).toEqual({ person: { name: { firstName: "Jane" } } });
  });

  it("M9: `none` keeps identities apart, `pdg` stitches fragments of linked identities", () => {
    const records = [
      record("ds_crm", "2024-05-01T10:00:00Z", crm("c1", { Email: [{ id: "jane@example.com" }] }), { person: { name: { firstName: "Jane" } } }),
      record("ds_web", "2024-05-01T11:00:00Z", email("jane@example.com"), { homeAddress: { city: "San Jose" } }),
    ];
    expect(attributes(profiles(records, TS_NONE).get("crmid:c1")!.entity)).toEqual({ person: { name: { firstName: "Jane" } } });
    const stitched = profiles(records, TS_PDG);
    expect(stitched.size).toBe(1);
    expect(attributes(stitched.get("crmid:c1")!.entity)).toEqual({ person: { name: { firstName: "Jane" } }, homeAddress: { city: "San Jose" } });
  });

  it("M10: an event with two identities links them later; a single-identity event links nothing", () => {
    const records = [
      record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } } }),
      record("ds_ecid_profiles", "2024-05-01T10:00:00Z", { ECID: [{ id: "e1", primary: true }] }, { device: { model: "iPhone" } }),
    ];
    const t1 = event("ds_events", "2024-05-02T00:00:00Z", "2024-05-01T23:00:00Z", { ECID: [{ id: "e1", primary: true }] });
    expect(profiles(records, TS_PDG, [t1]).size).toBe(2);
    const t2 = event("ds_events", "2024-05-03T00:00:00Z", "2024-05-02T23:00:00Z", { ECID: [{ id: "e1", primary: true }], CRMID: [{ id: "c1" }] });
    const stitched = profiles(records, TS_PDG, [t1, t2]);
    expect(stitched.size).toBe(1);
    const p = stitched.get("crmid:c1")!;
    expect(attributes(p.entity)).toEqual({ person: { name: { firstName: "Jane" } }, device: { model: "iPhone" } });
    expect(p.eventIds).toEqual([t1.data["_id"], t2.data["_id"]]);
  });

  it("M11: the merged identityMap is the union of the fragments' identities with one primary", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", { CRMID: [{ id: "c1", primary: true }], Email: [{ id: "jane@example.com" }] }),
        record("ds_loyalty", "2024-05-01T11:00:00Z", { CRMID: [{ id: "c1", primary: true }], ECID: [{ id: "e1" }] }),
      ],
      TS_NONE,
    );
    expect(merged.entity["identityMap"]).toEqual({
      CRMID: [{ id: "c1", primary: true }],
      Email: [{ id: "jane@example.com" }],
      ECID: [{ id: "e1" }],
    });
  });

  it("M11: a second primary flag is cleared so exactly one identity stays primary", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", { CRMID: [{ id: "c1", primary: true }], Email: [{ id: "jane@example.com" }] }),
        record("ds_web", "2024-05-01T11:00:00Z", { Email: [{ id: "jane@example.com", primary: true }], CRMID: [{ id: "c1" }] }),
      ],
      TS_PDG,
    );
    const items = Object.values(merged.entity["identityMap"] as Record<string, { primary?: boolean }[]>).flat();
    expect(items.filter((i) => i.primary === true)).toHaveLength(1);
    expect(items).toHaveLength(2);
  });

  it("M12: arrays are taken whole from the winning fragment", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { favoriteStores: ["s1", "s2", "s3"] }),
        record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { favoriteStores: ["s9"] }),
      ],
      TS_NONE,
    );
    expect(merged.entity["favoriteStores"]).toEqual(["s9"]);
  });

  it("M13: omitted fields never erase values", () => {
    const merged = mergeFragments(
      [
        record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { personalEmail: { address: "a@x.com" }, mobilePhone: { number: "1" } }),
        record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { mobilePhone: { number: "2" } }),
      ],
      TS_NONE,
    );
    expect(attributes(merged.entity)).toEqual({ personalEmail: { address: "a@x.com" }, mobilePhone: { number: "2" } });
  });

  it("merging never modifies the input fragments", () => {
    const a = record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane", lastName: "Doe" } } });
    const b = record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { person: { name: { firstName: "Janet" } } });
    const before = JSON.stringify([a.data, b.data]);
    mergeFragments([a, b], TS_NONE);
    expect(JSON.stringify([a.data, b.data])).toBe(before);
  });

  it("orders profiles by the hash of their component, whatever order their rows came in", () => {
    const records = Array.from({ length: 50 }, (_, i) => record("ds_crm", "2024-05-01T10:00:00Z", crm(`c${i}`)));
    const hashes = profileGroups({ records, events: [] }, TS_NONE).groups.map((g) => g.componentHash);
    expect(hashes).toEqual([...hashes].sort((a, b) => a - b));
    expect(profileGroups({ records: [...records].reverse(), events: [] }, TS_NONE).groups.map((g) => g.componentHash)).toEqual(hashes);
  });
});

describe("merge conventions: every setting of every switch", () => {
  const conv = (c: Partial<MergeConventions>): MergeConventions => ({ ...DEFAULT_CONVENTIONS, ...c });
  const m5 = [
    record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-06-01T00:00:00Z" } }),
    record("ds_crm", "2024-05-01T11:00:00Z", crm("c1"), { person: { name: { firstName: "Janie" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-01-01T00:00:00Z" } }),
  ];
  it.each([
    ["acrossDatasets", "Janie"],
    ["all", "Jane"],
  ] as const)("M5 customTimestampScope=%s → firstName %s", (scope, expected) => {
    const merged = mergeFragments(m5, TS_NONE, { conventions: conv({ customTimestampScope: scope }) });
    expect((merged.entity["person"] as { name: { firstName: string } }).name.firstName).toBe(expected);
  });

  const m4 = [
    record("ds_crm", "2024-07-01T00:00:00Z", crm("c1"), { person: { name: { firstName: "Jane" } } }),
    record("ds_loyalty", "2024-05-01T00:00:00Z", crm("c1"), { person: { name: { firstName: "Janet" } }, extSourceSystemAudit: { lastUpdatedDate: "2024-08-15T00:00:00Z" } }),
  ];
  it.each([
    ["perFragment", "Janet"],
    ["ingestUnlessAll", "Jane"],
  ] as const)("M4 mixedTimestamps=%s → firstName %s", (mixed, expected) => {
    const merged = mergeFragments(m4, TS_NONE, { conventions: conv({ mixedTimestamps: mixed }) });
    expect((merged.entity["person"] as { name: { firstName: string } }).name.firstName).toBe(expected);
  });

  it("M4 ingestUnlessAll still uses custom timestamps when every fragment has one", () => {
    const both = [
      record("ds_crm", "2024-07-01T00:00:00Z", crm("c1"), { loyalty: { tier: "a" }, extSourceSystemAudit: { lastUpdatedDate: "2024-01-01T00:00:00Z" } }),
      record("ds_loyalty", "2024-05-01T00:00:00Z", crm("c1"), { loyalty: { tier: "b" }, extSourceSystemAudit: { lastUpdatedDate: "2024-02-01T00:00:00Z" } }),
    ];
    expect(mergeFragments(both, TS_NONE, { conventions: conv({ mixedTimestamps: "ingestUnlessAll" }) }).entity["loyalty"]).toEqual({ tier: "b" });
  });

  const m12 = [
    record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { favoriteStores: ["s1", "s2", "s9"] }),
    record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { favoriteStores: ["s9", "s4"] }),
  ];
  it.each([
    ["atomic", ["s9", "s4"]],
    ["union", ["s9", "s4", "s1", "s2"]],
  ] as const)("M12 arrayMerge=%s → %j", (arrays, expected) => {
    expect(mergeFragments(m12, TS_NONE, { conventions: conv({ arrayMerge: arrays }) }).entity["favoriteStores"]).toEqual(expected);
  });

  const m11 = [
    record("ds_crm", "2024-05-01T10:00:00Z", { CRMID: [{ id: "c1", primary: true }], Email: [{ id: "jane@example.com" }] }),
    record("ds_web", "2024-05-01T11:00:00Z", { Email: [{ id: "jane@example.com", primary: true }], CRMID: [{ id: "c1" }], ECID: [{ id: "e1", primary: true }] }),
  ];
  it.each([
    ["single", 1],
    ["asIngested", 2],
  ] as const)("M11 identityPrimary=%s → %i primary identities", (primary, count) => {
    const idm = mergeFragments(m11, TS_PDG, { conventions: conv({ identityPrimary: primary }) }).entity["identityMap"] as Record<string, { primary?: boolean }[]>;
    expect(Object.values(idm).flat().filter((i) => i.primary === true)).toHaveLength(count);
  });

  it("rejects unknown conventions and values with their JSON path", () => {
    expect(() => parseConventions({ arrayMerge: "concat" }, "sandbox.json")).toThrow(/arrayMerge must be one of "atomic", "union"/);
    expect(() => parseConventions({ arrays: "union" }, "sandbox.json")).toThrow(expect.objectContaining({ location: { file: "sandbox.json", jsonPath: "$.conventions.arrays" } }));
    expect(parseConventions(undefined, "sandbox.json")).toMatchObject(DEFAULT_CONVENTIONS);
    expect(parseConventions({ exitedRetention: "keep" }, "sandbox.json")).toMatchObject({ ...DEFAULT_CONVENTIONS, exitedRetention: "keep", lastQualificationTime: "onChange" });
  });
});

describe("provenance", () => {
  it("records every value written, the winner last", () => {
    const a = record("ds_crm", "2024-05-01T10:00:00Z", crm("c1"), { person: { name: { firstName: "Jane", lastName: "Doe" } } });
    const b = record("ds_loyalty", "2024-05-01T11:00:00Z", crm("c1"), { person: { name: { firstName: "Janet" } } });
    const writes: [string, unknown, string][] = [];
    mergeFragments([b, a], TS_NONE, { recorder: (path, value, r) => writes.push([path, value, r.datasetId]) });
    expect(writes).toEqual([
      ["person.name.firstName", "Jane", "ds_crm"],
      ["person.name.lastName", "Doe", "ds_crm"],
      ["person.name.firstName", "Janet", "ds_loyalty"],
    ]);
  });

  it("orders records lowest priority first", () => {
    const a = record("ds_crm", "2024-05-01T12:00:00Z", crm("c1"), {});
    const b = record("ds_loyalty", "2024-05-01T09:00:00Z", crm("c1"), {});
    expect(applicationOrder([a, b], DSP).map((r) => r.datasetId)).toEqual(["ds_crm", "ds_loyalty"]);
    expect(applicationOrder([a, b], TS_NONE).map((r) => r.datasetId)).toEqual(["ds_loyalty", "ds_crm"]);
  });
});
