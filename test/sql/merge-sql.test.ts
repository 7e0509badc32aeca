/**
 * The SQL merge (src/sql/merge) against the reference (src/engine grouping + src/merge): the same profiles in the
 * same order, with the same keys, merged entities, events, last ingestion times and record counts — on sample-data
 * under all its merge policies, on generated sandboxes (JSON Lines and Parquet, several seeds), and on a hand-made
 * sandbox of the edge cases of profile-semantics.md §1.4–§1.7 under every setting of every merge convention. Both
 * ways of computing identity components (union-find in JavaScript, label propagation in SQL) are held to it.
 * Not covered yet: a date-time given as epoch milliseconds in JSON Lines (the validator admits it; DuckDB's reader
 * stops with its own error), and the union of arrays of timestamps written differently for the same instant (the
 * reference compares items as JSON text, SQL as values).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateSandbox } from "../../src/generate/index.js";
import { MERGE_SWITCHES } from "../../src/merge/merge-options.js";
import { parsePql } from "../../src/pql/index.js";
import type { ComponentMethod } from "../../src/sql/merge/identities.js";
import { EVENT_SCHEMA, IDENTITY_MAP_SCHEMA } from "../helpers/sandbox.js";
import { referenceMerge, sandboxAt, sqlMerge, type ComparableProfile } from "./merge-harness.js";
import { expectSamePrunedMerge } from "./pruned-harness.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-merge-sql-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const generated = new Map<string, Promise<string>>();

/** A generated sandbox of 150 profiles, made once per file (the label-propagation test reuses one). */
function generatedSandbox(seed: number, format: "jsonl" | "parquet"): Promise<string> {
  const dir = join(scratch, `generated-${seed}-${format}`);
  let made = generated.get(dir);
  if (made === undefined) {
    generated.set(dir, (made = generateSandbox(dir, { profiles: 150, eventsPerProfile: 4, seed, referenceTime: "2026-11-01T00:00:00Z", name: `g${seed}`, format, rowsPerFile: 300 }).then(() => dir)));
  }
  return made;
}

const references = new Map<string, ReturnType<typeof referenceMerge>>();

/** Both merges of a sandbox, policy by policy: equal lists (the first difference is what a failure shows). */
async function expectSameMerge(dir: string, method: ComponentMethod = "union-find"): Promise<number> {
  const sandbox = sandboxAt(dir);
  // The reference merge of a sandbox is the same for either component method of the SQL merge: made once.
  let pending = references.get(dir);
  if (pending === undefined) references.set(dir, (pending = referenceMerge(sandbox)));
  const reference = await pending;
  const sql = await sqlMerge(sandbox, method);
  let profiles = 0;
  for (const [policy, expected] of reference) {
    const got = sql.get(policy)!;
    const firstDiff = expected.findIndex((p, i) => JSON.stringify(p) !== JSON.stringify(got[i]));
    const show = (p: ComparableProfile | undefined): string => JSON.stringify(p ?? null);
    expect({ policy, count: got.length, at: firstDiff, got: show(got[firstDiff]) }).toEqual({ policy, count: expected.length, at: -1, got: show(expected[firstDiff]) });
    profiles += expected.length;
  }
  return profiles;
}

describe("the SQL merge gives the reference's profiles", () => {
  it("on sample-data under all its merge policies", async () => {
    expect(await expectSameMerge("sample-data")).toBeGreaterThan(1000);
  }, 300_000);

  it.each([
    [1, "jsonl"],
    [2, "parquet"],
    [3, "jsonl"],
    [4, "parquet"],
  ] as const)("on a generated sandbox (seed %i, %s)", async (seed, format) => {
    expect(await expectSameMerge(await generatedSandbox(seed, format))).toBeGreaterThan(150);
  }, 300_000);
});

// ------------------------------------------------------------------ the edge cases

const PROFILE_SCHEMA = {
  $id: "https://example.com/schemas/edge-profile",
  title: "Edge profile",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/profile",
  properties: {
    _id: { type: "string" },
    identityMap: IDENTITY_MAP_SCHEMA,
    person: { type: "object", properties: { name: { type: "object", properties: { firstName: { type: "string" }, lastName: { type: "string" } } }, birthDate: { type: "string", format: "date" } } },
    tags: { type: "array", items: { type: "string" } },
    orders: { type: "array", items: { type: "object", properties: { id: { type: "string" }, price: { type: "number" } } } },
    attrs: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "string" } },
    prefs: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "object", properties: { channel: { type: "string" }, score: { type: "integer", "meta:xdmType": "long" } } } },
    loyalty: { type: "object", properties: { tier: { type: "string" }, points: { type: "integer", "meta:xdmType": "long" }, since: { type: "string", format: "date-time" } } },
    extSourceSystemAudit: { type: "object", properties: { lastUpdatedDate: { type: "string", format: "date-time" } } },
  },
};

const at = (ingest: string, row: Record<string, unknown>): Record<string, unknown> => ({ ...row, _acp_system_metadata: { ingestTime: ingest } });
const T1 = "2024-05-01T00:00:00Z";
const T2 = "2024-05-02T00:00:00Z";
const T3 = "2024-05-03T00:00:00+02:00";

/** Two profile datasets that disagree in every way §1.5–§1.7 cover, and events that link and tie. */
const CRM = [
  // Ties: same ingestion time in both datasets and within one (load order decides).
  at(T1, { _id: "c1", identityMap: { CRMID: [{ id: "C1", primary: true }], Email: [{ id: "ann@x.com" }] }, person: { name: { firstName: "Ann", lastName: "Lee" } }, tags: ["a", "b"], attrs: { color: "red", size: "M" } }),
  at(T1, { _id: "c1b", identityMap: { CRMID: [{ id: "C1", primary: true }] }, person: { name: { firstName: "Anna" } }, tags: [], attrs: {} }),
  // Custom timestamps: older than their ingestion, on some records only.
  at(T3, { _id: "c2", identityMap: { crmid: [{ id: "C2", primary: true }], Phone: [] }, loyalty: { tier: "gold", since: "2020-01-01T00:00:00Z" }, extSourceSystemAudit: { lastUpdatedDate: "2023-01-01T00:00:00Z" }, prefs: { email: { channel: "e", score: 1 } } }),
  at(T2, { _id: "c2b", identityMap: { CRMID: [{ id: "C2", primary: true }] }, loyalty: { points: 5 }, orders: [{ id: "o1", price: 2.5 }, { id: "o2" }], prefs: { email: { score: 2 }, sms: {} } }),
  // Empty objects and a date.
  at(T2, { _id: "c3", identityMap: { CRMID: [{ id: "C3", primary: true }], Email: [{ id: "bob@x.com", primary: false }] }, person: {}, loyalty: {} }),
  // One person with 51 identities: over the identity graph limit under pdg.
  at(T1, { _id: "c4", identityMap: { CRMID: [{ id: "C4", primary: true }], Email: Array.from({ length: 50 }, (_, i) => ({ id: `many${i}@x.com` })) } }),
  // Keys that order differently by UTF-16 code unit than by code point, linked into one component.
  at(T1, { _id: "c5", identityMap: { CRMID: [{ id: "a\u{E000}", primary: true }, { id: "a\u{1F600}" }] }, person: { birthDate: "1980-02-29" } }),
  // A profile of one record whose identityMap still needs merging: an identity twice, two primaries, one namespace
  // in two cases (ASCII and not); and one of two records with the same map, which needs none.
  at(T1, { _id: "c6", identityMap: { CRMID: [{ id: "C6", primary: true }, { id: "C6" }], Email: [{ id: "six@x.com", primary: true }], EMAIL: [{ id: "Six@x.com" }], Émail: [], éMAIL: [{ id: "e6@x.com" }] } }),
  at(T1, { _id: "c7", identityMap: { CRMID: [{ id: "C7", primary: true }], Phone: [] }, person: { name: { firstName: "Sev" } } }),
  at(T2, { _id: "c7b", identityMap: { CRMID: [{ id: "C7", primary: true }], Phone: [] }, person: { name: { lastName: "En" } } }),
];

const LOYALTY = [
  at(T1, { _id: "l1", identityMap: { CRMID: [{ id: "C1", primary: true }], EMAIL: [{ id: "ann@x.com", primary: true }] }, person: { name: { lastName: "Li" } }, tags: ["b", "c"], attrs: { size: "L", fit: "slim" }, extSourceSystemAudit: { lastUpdatedDate: "2024-06-01T00:00:00Z" } }),
  at(T2, { _id: "l2", identityMap: { CRMID: [{ id: "C2", primary: true }] }, loyalty: { tier: "silver" }, orders: [], extSourceSystemAudit: { lastUpdatedDate: "2022-01-01T00:00:00Z" }, prefs: { email: { channel: "p" } } }),
  at(T2, { _id: "l3", identityMap: { Email: [{ id: "bob@x.com" }] }, tags: ["x", "x"], loyalty: { tier: "bronze", points: 1 } }),
];

const EVENTS = [
  at(T2, { _id: "e1", timestamp: "2024-04-01T10:00:00Z", eventType: "view", identityMap: { ECID: [{ id: "E1", primary: true }], CRMID: [{ id: "C1" }] } }),
  at(T1, { _id: "e2", timestamp: "2024-04-01T10:00:00Z", eventType: "tie", identityMap: { ECID: [{ id: "E1", primary: true }] } }),
  at(T1, { _id: "e3", timestamp: "2024-03-01T12:00:00+01:00", eventType: "early", identityMap: { ECID: [{ id: "E1", primary: true }, { id: "E1b" }] } }),
  at(T1, { _id: "e4", timestamp: "2024-04-02T00:00:00Z", eventType: "anonymous", identityMap: { ECID: [{ id: "E9", primary: true }] } }),
  at(T1, { _id: "e5", timestamp: "2024-04-03T00:00:00Z", eventType: "buy", identityMap: { ECID: [{ id: "E2" }], crmid: [{ id: "C3", primary: true }] } }),
  // Events repeat their maps (their identities are read once a map): e8's map is e6's, seen first by time (e8 at the
  // 3rd), so E7x comes before e7's E7y though e6, the first in load order, is the latest.
  at(T1, { _id: "e6", timestamp: "2024-04-05T00:00:00Z", eventType: "view", identityMap: { ECID: [{ id: "E7", primary: true }, { id: "E7x" }] } }),
  at(T1, { _id: "e7", timestamp: "2024-04-04T00:00:00Z", eventType: "view", identityMap: { ECID: [{ id: "E7", primary: true }, { id: "E7y" }] } }),
  at(T2, { _id: "e8", timestamp: "2024-04-03T00:00:00Z", eventType: "view", identityMap: { ECID: [{ id: "E7", primary: true }, { id: "E7x" }] } }),
];

const POLICIES = [
  { id: "none-time", identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true },
  { id: "pdg-time", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" } },
  { id: "pdg-loyalty-first", identityGraph: { type: "pdg" }, attributeMerge: { type: "dataSetPrecedence", order: ["loyalty", "crm", "events"] } },
  { id: "pdg-crm-only", identityGraph: { type: "pdg" }, attributeMerge: { type: "dataSetPrecedence", order: ["crm"] } },
  { id: "none-crm-first", identityGraph: { type: "none" }, attributeMerge: { type: "dataSetPrecedence", order: ["crm", "loyalty"] } },
];

interface EdgeData {
  readonly profileSchema: object;
  readonly eventSchema: object;
  readonly events: object[];
}

function writeEdgeSandbox(name: string, conventions: Record<string, string>, data: EdgeData = { profileSchema: PROFILE_SCHEMA, eventSchema: EVENT_SCHEMA, events: EVENTS }): string {
  const dir = join(scratch, name);
  for (const sub of ["schemas", "datasets", "merge-policies"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "schemas/profile.schema.json"), JSON.stringify(data.profileSchema));
  writeFileSync(join(dir, "schemas/event.schema.json"), JSON.stringify(data.eventSchema));
  const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
  writeFileSync(join(dir, "datasets/crm.jsonl"), jsonl(CRM));
  writeFileSync(join(dir, "datasets/loyalty.jsonl"), jsonl(LOYALTY));
  writeFileSync(join(dir, "datasets/events.jsonl"), jsonl(data.events));
  const datasets = [
    { id: "loyalty", name: "Loyalty", schemaRef: { id: PROFILE_SCHEMA.$id }, files: ["datasets/loyalty.jsonl"], primaryIdentityNamespace: "CRMID" },
    { id: "crm", name: "CRM", schemaRef: { id: PROFILE_SCHEMA.$id }, files: ["datasets/crm.jsonl"], primaryIdentityNamespace: "CRMID" },
    { id: "events", name: "Events", schemaRef: { id: EVENT_SCHEMA.$id }, files: ["datasets/events.jsonl"], primaryIdentityNamespace: "ECID" },
  ];
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify({ name, imsOrgId: "EDGE@AdobeOrg", datasets, conventions }));
  POLICIES.forEach((p, i) => writeFileSync(join(dir, `merge-policies/p${i}.json`), JSON.stringify(p)));
  return dir;
}

/** The default conventions, then each other setting of each switch alone. */
const CONVENTION_CASES: Array<[string, Record<string, string>]> = [
  ["the default conventions", {}],
  ...Object.entries(MERGE_SWITCHES).flatMap(([name, values]) => values.slice(1).map((v) => [`${name} = ${v}`, { [name]: v }] as [string, Record<string, string>])),
];

describe("the SQL merge keeps the reference's edge cases", () => {
  it.each(CONVENTION_CASES)("ties, custom timestamps, empty values, maps, arrays, identity limits and UTF-16 keys under %s", async (_, conventions) => {
    const dir = writeEdgeSandbox(`edge-${Object.values(conventions).join("-") || "default"}`, conventions);
    expect(await expectSameMerge(dir)).toBeGreaterThan(5);
  }, 120_000);

  it("with events whose schema types their identities with a field of its own (maps that differ only there are events of other maps)", async () => {
    const item = IDENTITY_MAP_SCHEMA.additionalProperties.items;
    const identityMap = { ...IDENTITY_MAP_SCHEMA, additionalProperties: { ...IDENTITY_MAP_SCHEMA.additionalProperties, items: { ...item, properties: { ...item.properties, xSource: { type: "string" } } } } };
    // Both classes type identities so (a field the profiles' union lacks: the reference keeps it in the merged
    // identityMap, the SQL merge's type has no place for it).
    const profileSchema = { ...PROFILE_SCHEMA, properties: { ...PROFILE_SCHEMA.properties, identityMap } };
    const eventSchema = { ...EVENT_SCHEMA, properties: { ...EVENT_SCHEMA.properties, identityMap } };
    const sourced = (source: string, row: Record<string, unknown>): Record<string, unknown> => ({
      ...row,
      identityMap: Object.fromEntries(Object.entries(row["identityMap"] as Record<string, object[]>).map(([ns, items]) => [ns, items.map((it) => ({ ...it, xSource: source }))])),
    });
    // e6 and e8 hold the same identities, from other sources.
    const events = EVENTS.map((e) => sourced(e["_id"] === "e8" ? "app" : "web", e));
    const dir = writeEdgeSandbox("edge-sourced-identities", {}, { profileSchema, eventSchema, events });
    expect(await expectSameMerge(dir)).toBeGreaterThan(5);
  }, 120_000);

  it("with identity components by label propagation in SQL as well as by the union-find", async () => {
    const dir = writeEdgeSandbox("edge-label-propagation", {});
    expect(await expectSameMerge(dir, "label-propagation")).toBeGreaterThan(5);
    expect(await expectSameMerge(await generatedSandbox(4, "parquet"), "label-propagation")).toBeGreaterThan(150);
  }, 300_000);
});

/** Segments reading parts of every kind of field of the edge sandbox: nested objects, unioned arrays, maps of objects, presence only, events. */
const EDGE_READS = [
  'person.name.firstName = "Ann"',
  '"b" in tags',
  "orders[price > 1].count() > 0",
  'attrs.get("size") = "L"',
  "prefs.email.score > 1",
  "loyalty.isNotNull()",
  'xEvent[eventType = "view"].count() > 0',
];

describe("the SQL merge of only the fields segments read keeps the reference's values of those fields", () => {
  it.each(CONVENTION_CASES)("on the edge cases under %s", async (_, conventions) => {
    const dir = writeEdgeSandbox(`edge-pruned-${Object.values(conventions).join("-") || "default"}`, conventions);
    expect(await expectSamePrunedMerge(sandboxAt(dir), EDGE_READS.map((r) => parsePql(r)))).toBeGreaterThan(5);
  }, 120_000);

  it("on a generated sandbox, and with no event read (no event list)", async () => {
    const dir = join(scratch, "generated-pruned");
    await generateSandbox(dir, { profiles: 150, eventsPerProfile: 4, seed: 8, referenceTime: "2026-11-01T00:00:00Z", name: "pr", format: "parquet", rowsPerFile: 300 });
    const reads = ['homeAddress.countryCode = "US"', 'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 50].count() > 0', "person.birthYear < 1980"];
    expect(await expectSamePrunedMerge(sandboxAt(dir), reads.map((r) => parsePql(r)))).toBeGreaterThan(150);
    expect(await expectSamePrunedMerge(sandboxAt(dir), [parsePql('loyalty.tier in ["gold"]')])).toBeGreaterThan(150);
  }, 300_000);
});
