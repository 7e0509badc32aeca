/**
 * Segments the SQL back end refuses, decided on the DuckDB engine by the closure compiler over DuckDB's rows: each
 * refusal kind it answers for (SQL-U001, U002, U003, U005), over profile fields and over events, under both merge
 * policies, `inSegment` in both directions between them and SQL-compiled segments, among ordinary segments — run
 * after run, the same snapshot byte for byte and the same metrics as the reference, the rows handed over two at a
 * time; and on a generated Parquet sandbox (dates, date-times, events, numbers as DuckDB hands them back). And
 * `check` says which back end decides each segment on DuckDB.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { checkSandboxSegments, openSandbox } from "../../src/engine/sandbox.js";
import type { SqlStatement } from "../../src/sql/jobs/engine-session.js";
import { generateSandbox } from "../../src/generate/index.js";
import { closureAnswers } from "../../src/sql/errors.js";
import { duckdbRefusal } from "../../src/sql/merge/segment-pass.js";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { cliInProcess, cliJsonInProcess } from "../helpers/cli.js";
import { appendLines, ids, writeSandbox } from "../helpers/sandbox.js";
import { firstPartOnly, runBoth, twins } from "./job-twins.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-segment-closure-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse("2026-11-01T00:00:00Z");

/** Segment id → its PQL, the SQL refusal it meets (none: SQL compiles it) and its merge policy. */
const SEGMENTS: ReadonlyArray<{ id: string; name: string; pql: string; refusal?: string; mergePolicyId?: string }> = [
  { id: "gold", name: "Gold members", pql: 'loyalty.tier = "gold"' },
  { id: "tier-pattern", name: "Tier matches pattern", pql: "loyalty.tier matches person.name.firstName", refusal: "SQL-U003" },
  { id: "address-get", name: "Address by tier", pql: 'homeAddress.get(if(loyalty.tier = "gold", "state", "countryCode")) = "CA"', refusal: "SQL-U001" },
  { id: "if-types", name: "Gold in CA by if", pql: 'if(loyalty.tier = "gold", "a", 1) = "a" and homeAddress.state = "CA"', refusal: "SQL-U002", mergePolicyId: "pdg" },
  { id: "case-keys", name: "NY by object", pql: '{"a": homeAddress.state, "A": 2}.a = "NY"', refusal: "SQL-U005" },
  {
    id: "recent-buyers",
    name: "Recent buyers by if",
    pql: 'select X from xEvent where if(X.eventType = "commerce.purchases", 1, "a") = 1 and X.timestamp occurs <= 3 days before now',
    refusal: "SQL-U002",
    mergePolicyId: "pdg",
  },
  { id: "event-pattern", name: "Event matches pattern", pql: "select X from xEvent where X.eventType matches person.name.firstName", refusal: "SQL-U003", mergePolicyId: "pdg" },
  // inSegment: a refused segment reading a compiled one, a compiled one reading a refused one, a refused one reading a refused one.
  { id: "gold-pattern", name: "Gold and pattern", pql: 'inSegment("Gold members") and "gold" matches person.name.firstName', refusal: "SQL-U003", mergePolicyId: "pdg" },
  { id: "pattern-ca", name: "Pattern in CA", pql: 'inSegment("tier-pattern") and homeAddress.state = "CA"', mergePolicyId: "pdg" },
  { id: "ny-or-if", name: "NY or if", pql: 'inSegment("NY by object") or inSegment("if-types") or "x" matches person.name.firstName', refusal: "SQL-U003", mergePolicyId: "pdg" },
];

/** The sandbox lists its segments by file name. */
const BY_ID = [...SEGMENTS].sort((a, b) => (`${a.id}.json` < `${b.id}.json` ? -1 : 1));

function sandbox(): string {
  return writeSandbox({
    profiles: {
      crm: [
        { _id: "r1", ...ids("CRMID", "c1"), loyalty: { tier: "gold" }, homeAddress: { state: "CA" }, person: { name: { firstName: "g.*" } } },
        { _id: "r2", ...ids("CRMID", "c2"), loyalty: { tier: "silver" }, homeAddress: { state: "NY", countryCode: "CA" }, person: { name: { firstName: "^s" } } },
        { _id: "r3", ...ids("CRMID", "c3", { Email: [{ id: "c3@x.com" }] }), loyalty: { tier: "gold" }, person: { name: { firstName: "x" } } },
        { _id: "r5", ...ids("CRMID", "c5"), loyalty: { tier: "bronze" }, homeAddress: { state: "NY" }, person: { name: { firstName: "commerce\\..*" } } },
      ],
      web: [{ _id: "w1", ...ids("Email", "c3@x.com"), homeAddress: { state: "CA" } }],
    },
    events: [
      { _id: "e1", timestamp: "2026-10-30T10:00:00Z", eventType: "commerce.purchases", ...ids("ECID", "e1", { CRMID: [{ id: "c1" }] }) },
      { _id: "e2", timestamp: "2026-10-31T10:00:00Z", eventType: "web.webpagedetails.pageViews", ...ids("ECID", "e2") },
      { _id: "e4", timestamp: "2026-10-31T12:00:00Z", eventType: "commerce.productViews", ...ids("ECID", "e4", { CRMID: [{ id: "c5" }] }) },
    ],
    policies: [
      { id: "none", name: "none", identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true },
      { id: "pdg", name: "pdg", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" } },
    ],
    segments: SEGMENTS.map(({ id, name, pql, mergePolicyId }) => ({ id, name, pql, ...(mergePolicyId === undefined ? {} : { mergePolicyId }) })),
  });
}

describe("segments the SQL back end refuses, on the DuckDB engine", () => {
  it("meet the refusals the closure compiler answers for", () => {
    const refusals = checkSandboxSegments(sandbox()).map((r) => {
      expect(r.check.errors).toEqual([]);
      const refusal = duckdbRefusal(r);
      return [r.definition.id, refusal?.code, refusal === undefined || closureAnswers(refusal)];
    });
    expect(refusals).toEqual(BY_ID.map((s) => [s.id, s.refusal, true]));
  });

  // In 3 runs of profiles the merge and the pass (SQL and closure) each take a run at a time (SegmentJobOptions.runs).
  it.each([undefined, 3])("give the reference's memberships and metrics run after run (runs: %s)", async (runs) => {
    const t = twins(sandbox(), scratch, `closure-${runs}`);
    const stages = new Set<string>();
    const options = { statusModel: "current", ...(runs === undefined ? {} : { runs, onSql: (s: SqlStatement) => stages.add(s.stage) }) } as const;
    await runBoth(t, { ...options, asOf: T0 });
    // c2 turns gold; a purchase stitches ECID e2 to c2; time passes.
    for (const to of [t.reference, t.sql]) {
      appendLines(to, "crm", [{ _id: "r4", ...ids("CRMID", "c2"), loyalty: { tier: "gold" }, _acp_system_metadata: { ingestTime: "2026-11-02T00:00:00Z" } }]);
      appendLines(to, "ds_events", [{ _id: "e3", timestamp: "2026-11-02T10:00:00Z", eventType: "commerce.purchases", ...ids("ECID", "e2", { CRMID: [{ id: "c2" }] }) }]);
    }
    const second = await runBoth(t, { ...options, asOf: T0 + 3 * DAY });
    const members = second.sql.metrics.segmentedProfileCounter ?? {};
    // Every refused segment has members at some point, so the comparison is not one of empty sets.
    expect(Object.entries(members).filter(([, n]) => n > 0).map(([id]) => id)).toEqual(expect.arrayContaining(["tier-pattern", "address-get", "if-types", "case-keys", "recent-buyers", "gold-pattern", "pattern-ca", "ny-or-if"]));
    expect((await runBoth(t, { ...options, asOf: T0 + 10 * DAY, statusModel: "legacy" })).lines).toBeGreaterThan(2);
    if (runs !== undefined) {
      expect(stages).toContain("evaluating the segments of merge policy pdg (run 3 of 3)");
      expect(stages).toContain("evaluating the segments of merge policy pdg that SQL does not express (run 3 of 3), with the closure compiler over DuckDB's rows");
    }
  }, 300_000);

  it("give the reference's memberships and metrics on a generated Parquet sandbox whose data grows", async () => {
    const dir = join(scratch, "generated");
    await generateSandbox(dir, { profiles: 160, eventsPerProfile: 4, seed: 7, referenceTime: "2026-11-01T00:00:00Z", name: "g7", format: "parquet", rowsPerFile: 200 });
    const refused = {
      "gen-tier-if": 'if(loyalty.tier = "gold", "a", 1) = "a"',
      "gen-name-pattern": "person.name.fullName matches person.name.firstName",
      "gen-address-get": 'homeAddress.get(if(loyalty.tier = "gold", "countryCode", "city")) = "US"',
      "gen-dates-if": 'if(person.birthDate < "1980-01-01" or extSourceSystemAudit.lastUpdatedDate > "2026-06-01T00:00:00Z", "a", 1) = "a"',
      "gen-buyers-if": 'xEvent[if(eventType = "commerce.purchases", 1, "a") = 1 and timestamp occurs <= 60 days before now and commerce.order.priceTotal > 50].count() >= 1',
    };
    for (const [id, value] of Object.entries(refused)) {
      writeFileSync(join(dir, "segments", `${id}.json`), JSON.stringify({ id, name: id, schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/text", value } }));
    }
    const checked = checkSandboxSegments(dir).filter((r) => r.definition.id in refused);
    expect(checked.map((r) => [r.definition.id, r.check.errors.length, duckdbRefusal(r)?.code.startsWith("SQL-U")])).toEqual(Object.keys(refused).sort().map((id) => [id, 0, true]));
    const t = twins(dir, scratch, "generated");
    const growData = firstPartOnly(t);
    await runBoth(t, { asOf: T0, statusModel: "current" });
    growData();
    const last = await runBoth(t, { asOf: T0 + 3 * DAY, statusModel: "current" });
    const members = last.sql.metrics.segmentedProfileCounter ?? {};
    expect(Object.keys(refused).filter((id) => (members[id] ?? 0) === 0)).toEqual([]);
  }, 300_000);

  it("read only the columns the refused segments read, under a stage of their own (--explain-sql)", async () => {
    const statements: SqlStatement[] = [];
    const job = await runSegmentJob(openSandbox(sandbox()), { asOf: T0, statusModel: "current", engine: "duckdb", onSql: (s) => statements.push(s) });
    expect(job.status).toBe("SUCCEEDED");
    const closure = statements.filter((s) => s.stage.endsWith("with the closure compiler over DuckDB's rows"));
    const reads = closure.filter((s) => s.sql.startsWith('SELECT r."xProfileKeyId"'));
    // One read per merge policy: `none` has tier-pattern, address-get and case-keys, `pdg` the rest (events too).
    expect(reads.map((s) => s.sql.match(/^SELECT r\."xProfileKeyId", r\."xSegments", (.*) FROM pl_rows AS r$/)![1])).toEqual([
      'NULL, r."identityMap", r.person, r."homeAddress", r.loyalty',
      'r."xEvent", r."identityMap", r.person, r."homeAddress", r.loyalty',
    ]);
    expect(statements.find((s) => s.sql.startsWith("CREATE OR REPLACE TABLE pl_eval"))!.stage).toMatch(/^evaluating the segments of merge policy \S+$/);
  });

  it("check says which back end decides each segment on DuckDB", async () => {
    const dir = sandbox();
    const json = await cliJsonInProcess<Array<{ segmentId: string; engines: string[]; duckdbBackEnd: string; duckdbRefusal?: { code: string } }>>("check", "--sandbox", dir, "--json");
    expect(json.map((s) => [s.segmentId, s.engines, s.duckdbBackEnd, s.duckdbRefusal?.code])).toEqual(
      BY_ID.map((s) => [s.id, ["duckdb", "reference"], s.refusal === undefined ? "sql" : "closure", s.refusal]),
    );
    const text = await cliInProcess("check", "--sandbox", dir);
    expect(text.stdout).toContain("✓ Tier matches pattern (tier-pattern): batch, streaming, edge\n    DuckDB engine, closure compiler over DuckDB's rows: SQL-U003");
  });
});

/**
 * Segments with a refusal the closure compiler answers for and a construct that reads text DuckDB's rows do not hold
 * (SQL-U004: an event's date-time ordered against a string, groupBy() by a date-time), in either order and nested.
 */
const HIDDEN_U004: ReadonlyArray<{ id: string; pql: string }> = [
  { id: "u004-after-u003", pql: "loyalty.tier matches person.name.firstName and xEvent[timestamp < eventType].count() > 0" },
  { id: "u004-before-u003", pql: "xEvent[timestamp < eventType].count() > 0 or loyalty.tier matches person.name.firstName" },
  { id: "u004-in-lambda-after-u002", pql: 'if(loyalty.tier = "gold", "a", 1) = "a" and xEvent.exists((e) => e.timestamp < e.eventType)' },
  { id: "u004-in-let-body-after-u001", pql: 'let s = homeAddress.get(if(loyalty.tier = "gold", "state", "countryCode")) in xEvent[timestamp < s].count() > 0' },
  { id: "u004-in-u003-pattern", pql: 'loyalty.tier matches if(xEvent[timestamp < eventType].count() > 0, "a", "b")' },
  { id: "u004-beside-closure-insegment", pql: 'inSegment("Tier matches pattern") and "x" matches person.name.firstName and xEvent.groupBy(timestamp).count() > 1' },
];

function withSegments(dir: string, segments: ReadonlyArray<{ id: string; pql: string }>): string {
  for (const { id, pql } of segments) {
    writeFileSync(join(dir, "segments", `${id}.json`), JSON.stringify({ id, name: id, schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/text", value: pql } }));
  }
  return dir;
}

describe("a segment refused for SQL-U004 besides a refusal the closure compiler answers for", () => {
  it("is reported by check as SQL-U004, reference engine only", async () => {
    const dir = withSegments(sandbox(), HIDDEN_U004);
    const refusals = checkSandboxSegments(dir)
      .filter((r) => HIDDEN_U004.some((s) => s.id === r.definition.id))
      .map((r) => [r.definition.id, r.check.errors, duckdbRefusal(r)?.code]);
    expect(refusals).toEqual(HIDDEN_U004.map((s) => [s.id, [], "SQL-U004"]).sort());
    const json = await cliJsonInProcess<Array<{ segmentId: string; engines: string[]; duckdbBackEnd?: string; duckdbRefusal?: { code: string } }>>("check", "--sandbox", dir, "--json");
    expect(json.filter((s) => s.segmentId.startsWith("u004-")).map((s) => [s.segmentId, s.engines, s.duckdbBackEnd, s.duckdbRefusal?.code])).toEqual(
      HIDDEN_U004.map((s) => [s.id, ["reference"], undefined, "SQL-U004"]).sort(),
    );
    const text = await cliInProcess("check", "--sandbox", dir, "--segment", "u004-after-u003");
    expect(text.stdout).toContain("    reference engine only: SQL-U004");
  });

  it("stops the DuckDB job with its located SQL-U004, recorded FAILED, the previous memberships intact, even when a closure segment reads it", async () => {
    const dir = sandbox();
    expect((await runSegmentJob(openSandbox(dir), { asOf: T0, statusModel: "current", engine: "duckdb" })).status).toBe("SUCCEEDED");
    const state = new SandboxState(dir);
    const snapshot = (): string => state.membership.parts().map((p) => readFileSync(p, "base64")).join(",");
    const before = snapshot();
    withSegments(dir, [HIDDEN_U004[0]!, { id: "reads-hidden", pql: 'inSegment("u004-after-u003") or "x" matches person.name.firstName' }]);
    const error = await runSegmentJob(openSandbox(dir), { asOf: T0 + DAY, statusModel: "current", engine: "duckdb" }).then(
      () => expect.unreachable("the job should have failed"),
      (e: unknown) => e as { code: string; message: string; location: unknown },
    );
    expect(error).toMatchObject({ code: "SQL-U004", location: { file: expect.stringMatching(/\/segments\/u004-after-u003\.json$/), embeddedIn: "$.expression.value", line: 1, column: 55 } });
    expect(error.message).toMatch(/^segment "u004-after-u003" \(u004-after-u003\) cannot run on the DuckDB engine: .*--engine reference\)$/);
    expect(state.records<SegmentJob>("segment-jobs").all().map((j) => [j.status, j.errors[0]?.code])).toEqual([
      ["SUCCEEDED", undefined],
      ["FAILED", "SQL-U004"],
    ]);
    expect(snapshot()).toBe(before);
  }, 120_000);
});
