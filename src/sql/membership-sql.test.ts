import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_MEMBERSHIP_CONVENTIONS,
  EXITED_RETENTION_MS,
  MEMBERSHIP_SWITCHES,
  nextMembership,
  type MembershipConventions,
  type StatusModel,
} from "../segment/membership.js";
import type { MembershipStatus, SegmentMembershipEntry } from "../xdm/types.js";
import { DUCKDB } from "./duckdb.js";
import { nextMembershipsSql } from "./membership-sql.js";

const ASOF = Date.parse("2026-11-01T00:00:00.000Z");
const DAY = 24 * 3600 * 1000;
/** Prior lastQualificationTimes around the retention boundary and the clock. */
const PRIOR_TIMES = [ASOF - EXITED_RETENTION_MS - 1, ASOF - EXITED_RETENTION_MS, ASOF - EXITED_RETENTION_MS + 1, ASOF - DAY, ASOF - 1, ASOF];
const PRIORS: (SegmentMembershipEntry | undefined)[] = [
  undefined,
  ...(["realized", "existing", "exited"] as MembershipStatus[]).flatMap((status) =>
    PRIOR_TIMES.map((t) => ({ status, lastQualificationTime: new Date(t).toISOString(), version: "v-old" })),
  ),
];
/** Evaluated and qualifying, evaluated and not, evaluated with an unknown result (NULL), not evaluated. */
const RESULTS = [true, false, null, "not evaluated"] as const;

let db: DuckDBInstance;
let con: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(":memory:", { threads: "1" });
  con = await db.connect();
  await con.run("SET TimeZone = 'UTC'");
});
afterAll(() => {
  con.closeSync();
  db.closeSync();
});

const str = (s: string): string => DUCKDB.string(s);

/** Every (prior, result) pair as one profile of its own, one segment. */
function cases(): { key: string; prior: SegmentMembershipEntry | undefined; result: (typeof RESULTS)[number] }[] {
  return PRIORS.flatMap((prior, i) => RESULTS.map((result, j) => ({ key: `p${i}-${j}`, prior, result })));
}

interface SqlEntry extends SegmentMembershipEntry {
  readonly kept: boolean;
  readonly timeSet: boolean;
}

async function sqlNext(model: StatusModel, conventions: MembershipConventions): Promise<Map<string, SqlEntry>> {
  const all = cases();
  const evaluated = all.filter((c) => c.result !== "not evaluated").map((c) => `(${str(c.key)}, 'seg', ${c.result === null ? "NULL" : c.result ? "TRUE" : "FALSE"})`);
  const prior = all.flatMap((c) =>
    c.prior === undefined ? [] : [`(${str(c.key)}, 'seg', ${str(c.prior.status)}, ${DUCKDB.timestamp(Date.parse(c.prior.lastQualificationTime))}, ${str(c.prior.version!)})`],
  );
  await con.run(`CREATE OR REPLACE TEMP TABLE evaluated AS SELECT * FROM (VALUES ${evaluated.join(", ")}) AS t(key, segmentId, qualifies)`);
  await con.run(
    `CREATE OR REPLACE TEMP TABLE prior AS SELECT * FROM (VALUES ${prior.join(", ")}) AS t(key, segmentId, status, lastQualificationTime, version)`,
  );
  const sql = nextMembershipsSql(DUCKDB, "evaluated", "prior", { asOf: ASOF, statusModel: model, version: "v-new", conventions });
  const rows = (await con.runAndReadAll(`SELECT key, segmentId, status, strftime(lastQualificationTime, '%Y-%m-%dT%H:%M:%S.%gZ') AS t, version, kept, timeSet FROM (${sql}) ORDER BY key`)).getRowObjects();
  return new Map(rows.map((r) => [String(r["key"]), { status: r["status"] as MembershipStatus, lastQualificationTime: String(r["t"]), version: String(r["version"]), kept: r["kept"] === true, timeSet: r["timeSet"] === true }]));
}

describe("membership transitions as SQL agree with nextMembership", () => {
  const settings = (["legacy", "current"] as StatusModel[]).flatMap((model) =>
    MEMBERSHIP_SWITCHES.lastQualificationTime.flatMap((lastQualificationTime) =>
      MEMBERSHIP_SWITCHES.exitedRetention.map((exitedRetention) => ({ model, conventions: { lastQualificationTime, exitedRetention } })),
    ),
  );

  it.each(settings)("$model, $conventions.lastQualificationTime, $conventions.exitedRetention: every prior status and time × every result", async ({ model, conventions }) => {
    const got = await sqlNext(model, conventions);
    for (const c of cases()) {
      const want = c.result === "not evaluated" ? c.prior : nextMembership(c.prior, c.result === true, ASOF, model, "v-new", conventions);
      const sql = got.get(c.key);
      const where = `${c.key}: prior ${JSON.stringify(c.prior)}, result ${String(c.result)}`;
      expect(sql === undefined ? undefined : { status: sql.status, lastQualificationTime: sql.lastQualificationTime, version: sql.version }, where).toEqual(want);
      if (sql === undefined) continue;
      // The flags say how to write the entry as the reference does: the prior entry itself, or a new one whose time is the clock's or the prior's.
      expect(sql.kept, where).toBe(want === c.prior);
      if (!sql.kept) expect(want!.lastQualificationTime, where).toBe(sql.timeSet ? new Date(ASOF).toISOString() : c.prior!.lastQualificationTime);
    }
    // The cases reach every kind of move: entries created, kept, exited, moved on and dropped.
    expect(new Set([...got.values()].map((e) => `${e.status} ${e.version}`))).toEqual(
      new Set(["realized v-new", "exited v-new", "realized v-old", "existing v-old", "exited v-old", ...(model === "legacy" ? ["existing v-new"] : [])]),
    );
    expect(got.size).toBeLessThan(cases().length);
  });

  it("carries other columns of the prior entries through, NULL where there was none", async () => {
    await sqlNext("legacy", DEFAULT_MEMBERSHIP_CONVENTIONS);
    await con.run("CREATE OR REPLACE TEMP TABLE prior_noted AS SELECT *, 'note ' || key AS note FROM prior");
    const sql = nextMembershipsSql(DUCKDB, "evaluated", "prior_noted", { asOf: ASOF, statusModel: "legacy", version: "v-new", carried: ["note"] });
    const rows = (await con.runAndReadAll(`SELECT key, note FROM (${sql})`)).getRowObjects();
    const withPrior = new Set(cases().filter((c) => c.prior !== undefined).map((c) => c.key));
    expect(rows.some((r) => r["note"] === null)).toBe(true);
    for (const r of rows) expect(r["note"], String(r["key"])).toBe(withPrior.has(String(r["key"])) ? `note ${String(r["key"])}` : null);
  });
});
