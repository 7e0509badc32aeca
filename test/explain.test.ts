/**
 * `explain`: winning and losing values with their sources on the sample, decisions that agree with the
 * segment job for every profile × segment, and the lookups that find no profile (M8, M9, M15).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { explain, explainGroup } from "../src/engine/explain.js";
import { loadSandboxData } from "../src/engine/load-data.js";
import { profileGroups } from "../src/engine/profile-groups.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox, type Sandbox } from "../src/engine/sandbox.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { copySample, SAMPLE_AS_OF } from "./helpers/cli.js";
import { ids, writeSandbox } from "./helpers/sandbox.js";

const asOf = Date.parse(SAMPLE_AS_OF);

/** PQL's Boolean reading of a traced value (events summarised as {count, _id}). */
function truthy(v: unknown): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object" && "count" in v) return (v as { count: number }).count > 0;
  return true;
}
let sample: Sandbox;

beforeAll(async () => {
  sample = openSandbox(copySample());
  await runSegmentJob(sample, { asOf, statusModel: "legacy" });
});

describe("explain on the sample sandbox", () => {
  it("shows the winning value of a conflicting field with its source and the losing value with its own", async () => {
    const x = await explain(sample, { identity: "CRMID:CRM141421356", asOf, statusModel: "legacy" });
    expect(x.identities).toEqual(["CRMID:CRM141421356", "Email:katherine_davis1234@gmail.com"]);
    const city = x.fields.find((f) => f.path === "homeAddress.city")!;
    expect(city.value).toBe("Seattle");
    expect(city.source).toMatchObject({ datasetName: "CRM Profiles", file: "datasets/crm-profiles.jsonl", line: 2 });
    expect(city.losing).toEqual([{ value: "Austin", source: expect.objectContaining({ datasetName: "CRM Profiles", line: 1 }) }]);
    expect(x.fragments.map((f) => f.datasetName)).toEqual(["Loyalty Members", "CRM Profiles", "CRM Profiles"]);
    const usResidents = x.segments.find((s) => s.expression === 'homeAddress.countryCode = "US"')!;
    expect(usResidents).toMatchObject({ qualifies: true, before: { status: "realized" }, after: { status: "existing" } });
    expect(usResidents.trace).toEqual({
      text: 'homeAddress.countryCode = "US"',
      value: true,
      children: [{ text: "homeAddress.countryCode", value: "US", children: [] }],
    });
  });

  it("agrees with the segment job's decision for every profile and segment", async () => {
    const data = await loadSandboxData(sample);
    const memberships = new SandboxState(sample.dir).membership.readAll();
    let checked = 0;
    for (const policy of [sample.policies.default, ...sample.policies.all()]) {
      for (const group of profileGroups(data, policy).groups) {
        const x = explainGroup(sample, group, policy, memberships, { asOf, statusModel: "legacy" });
        for (const s of x.segments) {
          const stored = memberships.get(group.key)?.get(s.segmentId);
          expect(s.qualifies, `${group.key} ${s.name}`).toBe(stored !== undefined && stored.status !== "exited");
          expect(truthy(s.trace.value), `trace of ${group.key} ${s.name}`).toBe(s.qualifies);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20_000);
  });
});

describe("lookups that find no profile", () => {
  const crmRecord = { ...ids("CRMID", "c1", { Email: [{ id: "jane@example.com" }] }), person: { name: { firstName: "Jane" } } };
  const TS = { schema: { name: "_xdm.context.profile" }, version: 1, attributeMerge: { type: "timestampOrdered" } };

  it("M9: under identity graph none, a secondary identity finds no profile (noneLookup primary) or the fragments carrying it (anyIdentity)", async () => {
    const dir = writeSandbox({ profiles: { ds_crm: [crmRecord] }, policies: [{ ...TS, id: "mp", name: "none", identityGraph: { type: "none" }, default: true }] });
    await expect(explain(openSandbox(dir), { identity: "Email:jane@example.com", asOf, statusModel: "legacy" })).rejects.toThrow(/only a secondary identity/);
    const anyIdentity = writeSandbox({
      profiles: { ds_crm: [crmRecord] },
      policies: [{ ...TS, id: "mp", name: "none", identityGraph: { type: "none" }, default: true }],
      conventions: { noneLookup: "anyIdentity" },
    });
    const found = await explain(openSandbox(anyIdentity), { identity: "Email:jane@example.com", asOf, statusModel: "legacy" });
    expect(found.merged).toMatchObject({ person: { name: { firstName: "Jane" } } });
    const stitched = writeSandbox({ profiles: { ds_crm: [crmRecord] }, policies: [{ ...TS, id: "mp", name: "pdg", identityGraph: { type: "pdg" }, default: true }] });
    const x = await explain(openSandbox(stitched), { identity: "email:jane@example.com", asOf, statusModel: "legacy" });
    expect(x.profileKey).toBe("crmid:c1");
  });

  it("M8: a dataset-precedence policy that leaves the dataset out finds no profile", async () => {
    const dir = writeSandbox({
      profiles: { ds_crm: [crmRecord], ds_loyalty: [] },
      policies: [
        { ...TS, id: "default", name: "default", identityGraph: { type: "none" }, default: true },
        { ...TS, id: "loyalty-only", name: "loyalty only", identityGraph: { type: "none" }, attributeMerge: { type: "dataSetPrecedence", order: ["ds_loyalty"] }, default: false },
      ],
    });
    await expect(explain(openSandbox(dir), { identity: "CRMID:c1", mergePolicyId: "loyalty-only", asOf, statusModel: "legacy" })).rejects.toThrow(/leaves out/);
    expect((await explain(openSandbox(dir), { identity: "CRMID:c1", asOf, statusModel: "legacy" })).merged).toMatchObject({ person: { name: { firstName: "Jane" } } });
  });

  it("M15: without a default policy the fragments come back unmerged", async () => {
    const dir = writeSandbox({ profiles: { ds_crm: [crmRecord, { ...ids("CRMID", "c1"), person: { name: { firstName: "Janet" } } }] } });
    const x = await explain(openSandbox(dir), { identity: "CRMID:c1", asOf, statusModel: "legacy" });
    expect(x.mergePolicy).toBeNull();
    expect(x.merged).toBeNull();
    expect(x.fragments).toHaveLength(2);
  });

  it("traces event filters down to the events that matched", async () => {
    const x = await explain(sample, { identity: "CRMID:CRM141421356", mergePolicyId: "a260de12-14ca-43ce-a221-a98ad2ac290c", asOf, statusModel: "legacy" });
    const frequent = x.segments.find((s) => s.name === "Frequent buyers")!;
    const count = frequent.trace.children[0]!;
    expect(count.text).toBe('xEvent[eventType = "commerce.purchases"].count()');
    expect(count.children[0]!.value).toEqual({ count: count.value, _id: expect.any(Array) });
    expect((count.children[0]!.value as { _id: string[] })._id).toHaveLength(count.value as number);
  });

  it("rejects a malformed identity", async () => {
    await expect(explain(sample, { identity: "CRM141421356", asOf, statusModel: "legacy" })).rejects.toThrow(/Namespace:id/);
  });
});
