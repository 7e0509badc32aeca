/**
 * Scenarios that need whole segment jobs: membership over several runs (S1–S5 through the engine), stitched
 * profiles keeping both memberships (S7), job metrics (S9), and the identity-graph guardrail (M14).
 */
import { describe, expect, it } from "vitest";
import { loadSandboxData } from "../src/engine/load-data.js";
import { profileGroups } from "../src/engine/profile-groups.js";
import { runSchedules, schedulesOf } from "../src/engine/run-schedules.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { priorMemberships } from "../src/engine/segment-shard.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkSandboxSegments, openSandbox } from "../src/engine/sandbox.js";
import { astToPqlJson, parsePql } from "../src/pql/index.js";
import { parseSegmentJobRequest } from "../src/segment/segment-job-list.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { appendLines, ids, writeSandbox } from "./helpers/sandbox.js";

const PDG = { id: "mp_ts_pdg", name: "pdg", schema: { name: "_xdm.context.profile" }, version: 1, identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, default: true };
const at = (iso: string) => Date.parse(iso);

async function membership(dir: string, key: string, segment: string) {
  return (await new SandboxState(dir).membership.readAll()).get(key)?.get(segment);
}

describe("membership through successive segment jobs (S1–S5)", () => {
  it.each(["legacy", "current"] as const)("moves realized → %s-model status → exited → realized → purged", async (model) => {
    const dir = writeSandbox({
      profiles: { ds_crm: [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "US" } }] },
      segments: [{ id: "seg-1", pql: 'homeAddress.countryCode = "US"' }],
    });
    const run = async (when: string) => runSegmentJob(openSandbox(dir), { asOf: at(when), statusModel: model });
    await run("2024-05-01T01:00:00Z");
    expect(await membership(dir, "crmid:c1", "seg-1")).toEqual({ status: "realized", lastQualificationTime: "2024-05-01T01:00:00.000Z", version: "1" });
    await run("2024-05-02T01:00:00Z");
    expect(await membership(dir, "crmid:c1", "seg-1")).toMatchObject({ status: model === "legacy" ? "existing" : "realized", lastQualificationTime: "2024-05-01T01:00:00.000Z" });
    appendLines(dir, "ds_crm", [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "CA" }, _acp_system_metadata: { ingestTime: "2024-05-02T12:00:00Z" } }]);
    const exitJob = await run("2024-05-03T01:00:00Z");
    expect(await membership(dir, "crmid:c1", "seg-1")).toMatchObject({ status: "exited", lastQualificationTime: "2024-05-03T01:00:00.000Z" });
    expect(exitJob.metrics.segmentedProfileByStatusCounter).toEqual({ "seg-1": { exited: 1 } });
    appendLines(dir, "ds_crm", [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "US" }, _acp_system_metadata: { ingestTime: "2024-05-09T12:00:00Z" } }]);
    await run("2024-05-10T01:00:00Z");
    expect(await membership(dir, "crmid:c1", "seg-1")).toMatchObject({ status: "realized", lastQualificationTime: "2024-05-10T01:00:00.000Z" });
    appendLines(dir, "ds_crm", [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "CA" }, _acp_system_metadata: { ingestTime: "2024-05-10T12:00:00Z" } }]);
    await run("2024-05-11T01:00:00Z");
    await run("2024-06-11T01:00:00Z");
    expect(await membership(dir, "crmid:c1", "seg-1")).toBeUndefined();
  });
});

describe("S7: profiles stitched between runs show both memberships until the next run", () => {
  it("unions the memberships of the stitched identities, then recomputes them", async () => {
    const dir = writeSandbox({
      profiles: {
        ds_crm: [
          { ...ids("CRMID", "p1"), homeAddress: { state: "WA" }, _acp_system_metadata: { ingestTime: "2024-05-01T00:00:00Z" } },
          { ...ids("CRMID", "p2"), homeAddress: { state: "OR" }, _acp_system_metadata: { ingestTime: "2024-05-01T06:00:00Z" } },
        ],
      },
      policies: [PDG],
      segments: [
        { id: "A", pql: 'homeAddress.state = "WA"' },
        { id: "B", pql: 'homeAddress.state = "OR"' },
      ],
    });
    await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-02T01:00:00Z"), statusModel: "current" });
    appendLines(dir, "ds_events", [
      { _id: "e1", timestamp: "2024-05-02T10:00:00Z", identityMap: { ECID: [{ id: "x", primary: true }], CRMID: [{ id: "p1" }] } },
      { _id: "e2", timestamp: "2024-05-02T11:00:00Z", identityMap: { ECID: [{ id: "x", primary: true }], CRMID: [{ id: "p2" }] } },
    ]);
    const sandbox = openSandbox(dir);
    const data = await loadSandboxData(sandbox);
    const [stitched, ...others] = profileGroups(data, sandbox.policies.default).groups;
    expect(others).toHaveLength(0);
    const before = priorMemberships(await new SandboxState(dir).membership.readAll(), stitched!);
    expect(Object.fromEntries([...before].map(([k, v]) => [k, v.status]))).toEqual({ A: "realized", B: "realized" });

    const job = await runSegmentJob(sandbox, { asOf: at("2024-05-03T01:00:00Z"), statusModel: "current" });
    // p2's record is newer, so the stitched profile lives in Oregon: A exits, B stays.
    expect(job.metrics.segmentedProfileByStatusCounter).toEqual({ A: { exited: 1 }, B: { realized: 1 } });
    const after = await new SandboxState(dir).membership.readAll();
    expect([...after.keys()]).toEqual(["crmid:p1"]);
    expect(after.get("crmid:p1")?.get("A")?.status).toBe("exited");
  });
});

describe("S9: segment job metrics", () => {
  it("counts profiles, members by namespace and statuses", async () => {
    const person = (crmid: string, country: string, extra: Record<string, { id: string }[]>) => ({ ...ids("CRMID", crmid, extra), homeAddress: { countryCode: country } });
    const dir = writeSandbox({
      profiles: {
        ds_crm: [
          person("c1", "CA", { ECID: [{ id: "e1" }] }),
          person("c2", "CA", { ECID: [{ id: "e2" }], Email: [{ id: "b@x.com" }] }),
          person("c3", "CA", { ECID: [{ id: "e3" }], Email: [{ id: "c@x.com" }] }),
          person("c4", "CA", {}),
          person("c5", "US", {}),
        ],
      },
      segments: [{ id: "seg-1", pql: 'homeAddress.countryCode = "US"' }],
    });
    await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-01T01:00:00Z"), statusModel: "current" });
    appendLines(
      dir,
      "ds_crm",
      ["c1", "c2", "c3"].map((c) => ({ ...ids("CRMID", c), homeAddress: { countryCode: "US" }, _acp_system_metadata: { ingestTime: "2024-05-01T12:00:00Z" } })).concat([
        { ...ids("CRMID", "c5"), homeAddress: { countryCode: "CA" }, _acp_system_metadata: { ingestTime: "2024-05-01T12:00:00Z" } },
      ]),
    );
    const job = await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-02T01:00:00Z"), statusModel: "current" });
    expect(job.metrics).toMatchObject({
      totalProfiles: 5,
      totalProfilesByMergePolicy: { "timestampOrdered-none-mp": 5 },
      segmentedProfileCounter: { "seg-1": 3 },
      segmentedProfileByNamespaceCounter: { "seg-1": { CRMID: 3, Email: 2, ECID: 3 } },
      segmentedProfileByStatusCounter: { "seg-1": { realized: 3, exited: 1 } },
    });
  });
});

describe("M14: identity graphs over 50 identities", () => {
  it("leaves the profile out of segmentation and counts it", async () => {
    const emails = Array.from({ length: 50 }, (_, i) => ({ id: `u${i}@x.com` }));
    const dir = writeSandbox({
      profiles: {
        ds_crm: [
          { ...ids("CRMID", "c9", { Email: emails }), homeAddress: { countryCode: "US" } },
          { ...ids("CRMID", "c1", { Email: emails.slice(0, 49) .map((e) => ({ id: `other-${e.id}` })) }), homeAddress: { countryCode: "US" } },
        ],
      },
      policies: [PDG],
      segments: [{ id: "seg-1", pql: 'homeAddress.countryCode = "US"' }],
    });
    const job = await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-01T01:00:00Z"), statusModel: "current" });
    expect(job.metrics.totalProfiles).toBe(1);
    expect(job.metrics.segmentedProfileCounter).toEqual({ "seg-1": 1 });
    expect(job.metrics.excludedProfileCounter).toEqual({ identityGraphOverLimit: 1 });
    expect(await membership(dir, "crmid:c9", "seg-1")).toBeUndefined();
  });
});

describe("S12: a scheduled run creates a segment job", () => {
  it("runs each daily firing once, as of its time, with source scheduler and the schedule's ids", async () => {
    const dir = writeSandbox({
      profiles: { ds_crm: [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "US" } }] },
      segments: [{ id: "seg-1", pql: 'homeAddress.countryCode = "US"' }],
    });
    const sandbox = openSandbox(dir);
    const schedule = schedulesOf(sandbox, () => at("2024-05-01T00:00:00Z")).create({
      name: "daily",
      type: "batch_segmentation",
      properties: { segments: ["*"] },
      schedule: "0 0 1 * * ?",
      state: "active",
    });
    const window = { from: at("2024-05-01T00:00:00Z"), until: at("2024-05-04T00:00:00Z"), statusModel: "legacy" as const };
    const results = await runSchedules(sandbox, window);
    expect(results.map((r) => new Date(r.run.at).toISOString())).toEqual(["2024-05-01T01:00:00.000Z", "2024-05-02T01:00:00.000Z", "2024-05-03T01:00:00.000Z"]);
    for (const { run, job } of results) {
      expect(job).toMatchObject({ source: "scheduler", status: "SUCCEEDED", properties: { scheduleId: schedule.id, runId: run.runId }, segments: [{ segmentId: "*" }] });
    }
    expect(await membership(dir, "crmid:c1", "seg-1")).toMatchObject({ status: "existing", lastQualificationTime: "2024-05-01T01:00:00.000Z" });
    expect(await runSchedules(sandbox, window)).toEqual([]);
  });
});

describe("segments of segments and pql/json definitions", () => {
  it("inSegment follows the memberships of the previous run, by id or by name", async () => {
    const dir = writeSandbox({
      profiles: { ds_crm: [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "US" }, loyalty: { tier: "gold" } }] },
      segments: [
        { id: "us", name: "US residents", pql: 'homeAddress.countryCode = "US"' },
        { id: "us-gold-by-id", pql: 'inSegment("us") and loyalty.tier = "gold"' },
        { id: "us-gold-by-name", pql: 'inSegment("US residents") and loyalty.tier = "gold"' },
      ],
    });
    const first = await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-01T01:00:00Z"), statusModel: "legacy" });
    expect(first.metrics.segmentedProfileCounter).toEqual({ us: 1, "us-gold-by-id": 0, "us-gold-by-name": 0 });
    const second = await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-02T01:00:00Z"), statusModel: "legacy" });
    expect(second.metrics.segmentedProfileCounter).toEqual({ us: 1, "us-gold-by-id": 1, "us-gold-by-name": 1 });
  });

  it("evaluates a definition written in pql/json like its pql/text twin", async () => {
    const dir = writeSandbox({
      profiles: { ds_crm: [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "US" } }, { ...ids("CRMID", "c2"), homeAddress: { countryCode: "CA" } }] },
      segments: [{ id: "text", pql: 'homeAddress.countryCode = "US"' }],
    });
    const json = astToPqlJson(parsePql('homeAddress.countryCode = "US"'));
    writeFileSync(
      join(dir, "segments/json.json"),
      JSON.stringify({ id: "json", name: "json", schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/json", value: json } }),
    );
    const job = await runSegmentJob(openSandbox(dir), { asOf: at("2024-05-01T01:00:00Z"), statusModel: "legacy" });
    expect(job.metrics.segmentedProfileCounter).toEqual({ json: 1, text: 1 });
  });

  it("check reports every invalid definition with its errors, and the sandbox stays usable for the valid ones", () => {
    const dir = writeSandbox({
      profiles: { ds_crm: [] },
      segments: [
        { id: "good", pql: 'homeAddress.countryCode = "US"' },
        { id: "bad", pql: 'persn.name = "x" and homeAddress.countryCod = 1' },
      ],
    });
    const results = checkSandboxSegments(dir);
    expect(results.map((r) => [r.definition.id, r.check.errors.map((e) => e.code)])).toEqual([
      ["bad", ["PQL-T001", "PQL-T001"]],
      ["good", []],
    ]);
    expect(results[0]!.check.errors[0]!.where()).toMatch(/bad\.json at \$\.expression\.value:1:1$/);
    expect(checkSandboxSegments(dir, ["good"])[0]!.check.eligibility).toMatchObject({ streaming: true, edge: true });
  });
});

describe("S10: the wildcard segment job", () => {
  it("evaluates every segment, reports segments as [{segmentId: \"*\"}] and counts each", async () => {
    const dir = writeSandbox({
      profiles: { ds_crm: [{ ...ids("CRMID", "c1"), homeAddress: { countryCode: "US" } }] },
      segments: [
        { id: "us", pql: 'homeAddress.countryCode = "US"' },
        { id: "ca", pql: 'homeAddress.countryCode = "CA"' },
      ],
    });
    const segmentIds = parseSegmentJobRequest({ schema: { name: "_xdm.context.profile" }, segments: [{ segmentId: "*" }] });
    const job = await runSegmentJob(openSandbox(dir), { segmentIds, asOf: at("2024-05-01T01:00:00Z"), statusModel: "legacy" });
    expect(job.segments).toEqual([{ segmentId: "*" }]);
    expect(job.metrics.segmentedProfileCounter).toEqual({ ca: 0, us: 1 });
  });
});
