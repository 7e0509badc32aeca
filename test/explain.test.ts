/**
 * `explain`: winning and losing values with their sources on the sample, decisions that agree with the
 * segment job for every profile × segment, the lookups that find no profile (M8, M9, M15), the clock it
 * evaluates at (the last segment job's asOf by default) and times shown as ISO 8601.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { explanationText } from "../src/cli/explain-text.js";
import { explain, explainGroup, type Explanation, type TraceExplanation } from "../src/engine/explain.js";
import { loadSandboxData } from "../src/engine/load-data.js";
import { profileGroups } from "../src/engine/profile-groups.js";
import { runExportJob } from "../src/engine/run-export-job.js";
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
    const memberships = await new SandboxState(sample.dir).membership.readAll();
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

describe("the clock explain evaluates at", () => {
  const JOB_AS_OF = "2026-11-01T00:00:00.000Z";
  const LATER = "2026-12-01T00:00:00.000Z";
  /** A wall clock far from every asOf: a decision taken at it would differ. */
  const WALL = () => Date.parse("2031-01-01T00:00:00Z");
  const policy = { id: "mp", name: "default", schema: { name: "_xdm.context.profile" }, version: 1, identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true };
  const spec = {
    profiles: {
      ds_crm: [{ ...ids("CRMID", "c1"), loyalty: { tier: "gold" }, extSourceSystemAudit: { lastUpdatedDate: "2026-10-15T00:00:00Z" } }],
    },
    events: [{ _id: "e1", ...ids("CRMID", "c1"), eventType: "visit", timestamp: "2026-10-28T00:00:00Z" }],
    policies: [policy],
    segments: [
      { id: "recent", pql: "xEvent[timestamp occurs <= 7 days before now].count() > 0" },
      { id: "since2012", pql: "extSourceSystemAudit.lastUpdatedDate > date(2012, 1, 1)" },
      { id: "beforeNow", pql: 'extSourceSystemAudit.lastUpdatedDate < if(loyalty.tier = "gold", now, today)' },
    ],
  };
  const segment = (x: Explanation, id: string) => x.segments.find((s) => s.segmentId === id)!;

  /** Every number anywhere in a JSON value. */
  function numbers(v: unknown): number[] {
    if (typeof v === "number") return [v];
    if (Array.isArray(v)) return v.flatMap(numbers);
    if (typeof v === "object" && v !== null) return Object.values(v).flatMap(numbers);
    return [];
  }

  it("records asOf as RFC 3339 in segment jobs (under properties, beside the platform's scheduleId/runId) and export jobs (top level)", async () => {
    const sandbox = openSandbox(writeSandbox(spec));
    const job = await runSegmentJob(sandbox, { asOf: Date.parse(JOB_AS_OF), statusModel: "current", properties: { runId: "r1" } });
    expect(job.properties).toEqual({ runId: "r1", asOf: JOB_AS_OF });
    const state = new SandboxState(sandbox.dir);
    expect(state.records<{ properties: Record<string, string> }>("segment-jobs").get(job.id)!.properties["asOf"]).toBe(JOB_AS_OF);
    const body = { schema: { name: "_xdm.context.profile" }, destination: { datasetId: "ds_export" } };
    const { job: exported } = await runExportJob(sandbox, body, { asOf: Date.parse(LATER), statusModel: "current" });
    expect(exported.asOf).toBe(LATER);
    expect(state.records<{ asOf?: string }>("export-jobs").get(exported.id)!.asOf).toBe(LATER);
  });

  it("defaults to the last segment job's asOf, says so, and reports no transition for memberships that job just set", async () => {
    const sandbox = openSandbox(writeSandbox(spec));
    const job = await runSegmentJob(sandbox, { asOf: Date.parse(JOB_AS_OF), statusModel: "current" });
    const x = await explain(sandbox, { identity: "CRMID:c1", statusModel: "current", clock: WALL });
    expect(x).toMatchObject({ asOf: JOB_AS_OF, asOfSource: `last segment job ${job.id}` });
    // At the wall clock the 2026-10-28 visit is long past 7 days: "recent" would exit.
    expect(segment(x, "recent")).toMatchObject({ qualifies: true, before: { status: "realized", lastQualificationTime: JOB_AS_OF } });
    for (const s of x.segments) expect(s.after, s.segmentId).toEqual(s.before);
    // The next job at that instant agrees: it changes nothing.
    await runSegmentJob(sandbox, { asOf: Date.parse(JOB_AS_OF), statusModel: "current" });
    const stored = (await new SandboxState(sandbox.dir).membership.readAll()).get("crmid:c1")!;
    for (const s of x.segments) expect(stored.get(s.segmentId) ?? null, s.segmentId).toEqual(s.after);
    expect(explanationText(x).split("\n")[0]).toBe(`As of ${JOB_AS_OF} (last segment job ${job.id})`);
  });

  it("evaluates at an explicit asOf when given one, and reports the transition the next job at it would make", async () => {
    const sandbox = openSandbox(writeSandbox(spec));
    await runSegmentJob(sandbox, { asOf: Date.parse(JOB_AS_OF), statusModel: "current" });
    const x = await explain(sandbox, { identity: "CRMID:c1", asOf: Date.parse(LATER), statusModel: "current", clock: WALL });
    expect(x).toMatchObject({ asOf: LATER, asOfSource: "--as-of" });
    expect(segment(x, "recent")).toMatchObject({ qualifies: false, before: { status: "realized" }, after: { status: "exited", lastQualificationTime: LATER } });
    expect(explanationText(x).split("\n")[0]).toBe(`As of ${LATER} (--as-of)`);
  });

  it("falls back to the sandbox's referenceTime without a segment job, and to the wall clock without either", async () => {
    const dir = writeSandbox(spec);
    const x = await explain(openSandbox(dir), { identity: "CRMID:c1", statusModel: "current", clock: WALL });
    expect(x).toMatchObject({ asOf: "2031-01-01T00:00:00.000Z", asOfSource: "now" });
    const manifest = join(dir, "sandbox.json");
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, "utf8")), referenceTime: "2026-10-30T00:00:00Z" }));
    const y = await explain(openSandbox(dir), { identity: "CRMID:c1", statusModel: "current", clock: WALL });
    expect(y).toMatchObject({ asOf: "2026-10-30T00:00:00.000Z", asOfSource: "sandbox referenceTime" });
    expect(segment(y, "recent")).toMatchObject({ qualifies: true, before: null, after: { status: "realized", lastQualificationTime: "2026-10-30T00:00:00.000Z" } });
  });

  it("shows every time as ISO 8601, in the JSON and in the text, and plain numbers as numbers", async () => {
    const sandbox = openSandbox(writeSandbox(spec));
    await runSegmentJob(sandbox, { asOf: Date.parse(JOB_AS_OF), statusModel: "current" });
    const x = await explain(sandbox, { identity: "CRMID:c1", statusModel: "current" });
    const since = segment(x, "since2012").trace;
    expect(since.children.map((c) => [c.text, c.value, c.time])).toEqual([
      ["extSourceSystemAudit.lastUpdatedDate", "2026-10-15T00:00:00Z", undefined],
      ["date(2012, 1, 1)", "2012-01-01", "date"],
    ]);
    const ifNode = segment(x, "beforeNow").trace.children[1]!;
    expect([ifNode.text, ifNode.value, ifNode.time]).toEqual(['if(loyalty.tier = "gold", now, today)', JOB_AS_OF, "date-time"]);
    const count: TraceExplanation = segment(x, "recent").trace.children[0]!;
    expect([count.text, count.value, count.time]).toEqual(["xEvent[timestamp occurs <= 7 days before now].count()", 1, undefined]);
    expect(x.fragments[0]).toMatchObject({ ingestTime: "2024-05-01T00:00:00.000Z", customTimestamp: "2026-10-15T00:00:00Z" });
    expect(x.merged!["segmentMembership"]).toMatchObject({ ups: { recent: { lastQualificationTime: JOB_AS_OF } } });
    // No number in the JSON is an epoch-ms time (the only numbers are the count, line numbers and versions).
    const json = JSON.parse(JSON.stringify(x)) as unknown;
    expect(numbers(json).filter((n) => Math.abs(n) >= 1e9)).toEqual([]);
    const text = explanationText(x);
    expect(text).toContain("date(2012, 1, 1)  → 2012-01-01\n");
    expect(text).toContain(`if(loyalty.tier = "gold", now, today)  → ${JOB_AS_OF}\n`);
    expect(text).toContain("xEvent[timestamp occurs <= 7 days before now].count()  → 1\n");
    expect(text).toContain(`Segments, evaluated as of ${JOB_AS_OF}:`);
    expect(text).not.toMatch(/\d{10,}/);
  });
});
