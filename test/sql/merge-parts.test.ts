/**
 * The SQL merge in runs (mergeProfilesSql `parts`): the number of runs follows the rows and the memory budget, and
 * a policy's merged table is the same rows in the same order however many runs it was merged in — so the segment
 * job's snapshot and the export's files, which read it, do not depend on the budget either (the export's files:
 * test/sql/export-sql.test.ts). Whether a merge in runs fits where one run does not is a matter of DuckDB's
 * minimum memory, which small data never leaves: measured at 100k persons (bench/RESULTS.md), not here.
 */
import { join } from "node:path";
import { tmpdir } from "node:os";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSandbox } from "../../src/engine/sandbox.js";
import { DUCKDB } from "../../src/sql/duckdb.js";
import { DuckDbSession } from "../../src/sql/merge/duckdb-session.js";
import { EVENT_MAPS, eventFragments, eventMapsSql, FRAGMENTS, fragmentsAndLinksSql, IDENTITIES, identitiesSql, lowerNamespaces, numberKeys } from "../../src/sql/merge/identities.js";
import { mergeProfilesSql } from "../../src/sql/merge/merge-profiles.js";
import { EVENTS_VIEW, RECORDS_VIEW } from "../../src/sql/merge/read-datasets.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { ALL_COMPONENTS, mergeParts, SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { REPO } from "../helpers/cli.js";

const GiB = 2 ** 30;

describe("mergeParts", () => {
  it.each([
    [1_000, undefined, 1],
    [11_700_000, undefined, 1],
    [21_854, 4 * GiB, 1],
    [1_184_161, 4 * GiB, 1],
    [1_184_161, 400 * 2 ** 20, 7],
    [11_700_000, 4 * GiB, 7],
    [117_000_000, 4 * GiB, 63],
  ] as const)("merges %d rows within a budget of %s bytes in %d runs", (rows, memory, parts) => {
    expect(mergeParts(rows, memory)).toBe(parts);
  });
});

describe("the merge in runs", () => {
  const sandbox = openSandbox(join(REPO, "sample-data"), { segments: false });
  let instance: DuckDBInstance;
  let session: DuckDbSession;
  let merge: SqlMerge;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(":memory:", { threads: "2", temp_directory: join(tmpdir(), `profile-lab-merge-parts-${process.pid}`) });
    session = await DuckDbSession.open(await instance.connect());
    merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
  });
  afterAll(() => instance.closeSync());

  it("appends each run to the table in profile order, and drops what each run made", () => {
    const policy = sandbox.policies.all()[0]!;
    const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, undefined, 3);
    expect(statements.filter((s) => s.startsWith("CREATE OR REPLACE TABLE t AS ")).map((s) => s.endsWith("WHERE p.pl_part = 0 ORDER BY p.pl_order"))).toEqual([true]);
    expect(statements.filter((s) => s.startsWith("INSERT INTO t ")).map((s) => /WHERE p\.pl_part = (\d) ORDER BY p\.pl_order$/.exec(s)?.[1])).toEqual(["1", "2"]);
    expect(statements.filter((s) => s.startsWith("DROP TABLE pl_t_ranked"))).toHaveLength(3);
    expect(statements.slice(-3)).toEqual(["DROP TABLE pl_t_rin", "DROP TABLE pl_t_ein", "DROP TABLE pl_t_eim"]);
  });

  it("reads each dataset view once whatever the number of runs, the records into their run inputs, the events into a table of their own: each run reads its range of the tables made from them", () => {
    const policy = sandbox.policies.all()[0]!;
    const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, undefined, 3);
    const reads = (s: string): boolean => [RECORDS_VIEW, EVENTS_VIEW].some((view) => new RegExp(`\\b${view}\\b`).test(s));
    const firstRun = statements.findIndex((s) => s.startsWith("CREATE OR REPLACE TABLE pl_t_ranked "));
    expect(statements.slice(0, firstRun).filter(reads).map((s) => /^CREATE OR REPLACE TABLE (\w+) /.exec(s)?.[1])).toEqual(["pl_t_rin", "pl_t_esrc"]);
    expect(statements.slice(firstRun).filter(reads)).toEqual([]);
    for (const table of ["rin", "ein", "eim"]) expect(statements.filter((s) => new RegExp(`FROM pl_t_${table} WHERE pl_part = 2\\b`).test(s)).length).toBeGreaterThan(0);
  });

  it("links the events by their distinct identityMaps, each map once, and every event with an identity is still a fragment", async () => {
    const [row] = await session.rows(
      `SELECT (SELECT count(*) FROM ${EVENT_MAPS}) AS maps, (SELECT count(*) FROM (SELECT DISTINCT pl_ds, pl_idmap FROM ${EVENTS_VIEW})) AS distinct_maps, ` +
        `(SELECT count(*) FROM ${EVENTS_VIEW}) AS events, (SELECT count(*) FROM ${EVENTS_VIEW} WHERE len(flatten(map_values(pl_idmap))) > 0) AS identified, ` +
        `(SELECT count(*) FROM ${FRAGMENTS} WHERE pl_ds IN (SELECT DISTINCT pl_ds FROM ${EVENTS_VIEW})) AS fragments`,
    );
    expect(Number(row!["maps"])).toBe(Number(row!["distinct_maps"]));
    expect(Number(row!["maps"])).toBeLessThan(Number(row!["events"]) / 2);
    expect(Number(row!["fragments"])).toBe(Number(row!["identified"]));
  });

  it("gives each event its map's fragment by the map's hash, or by the map itself where two maps of a dataset hash alike: the same fragments", async () => {
    const link = async (mapHash?: (maps: readonly string[]) => string): Promise<{ fragments: unknown; statement: string | undefined }> => {
      const statements: string[] = [];
      const run = session.run.bind(session);
      session.run = (sql: string) => {
        statements.push(sql);
        return run(sql);
      };
      try {
        await session.run(eventMapsSql(merge.sources, DUCKDB));
        await session.run(identitiesSql(merge.sources, DUCKDB));
        await lowerNamespaces(session, DUCKDB);
        await numberKeys(session, DUCKDB);
        for (const s of fragmentsAndLinksSql(merge.sources, DUCKDB)) await session.run(s);
        await eventFragments(session, merge.sources, DUCKDB, mapHash);
        await session.run(`DROP TABLE ${IDENTITIES}`);
      } finally {
        session.run = run;
      }
      const fragments = (await session.rows(`SELECT count(*) AS n, md5(string_agg(CAST(f AS VARCHAR), ',' ORDER BY pl_seq)) AS digest FROM ${FRAGMENTS} AS f`))[0];
      return { fragments, statement: statements.find((s) => s.startsWith(`CREATE OR REPLACE TABLE ${FRAGMENTS} AS`)) };
    };
    const before = (await session.rows(`SELECT count(*) AS n, md5(string_agg(CAST(f AS VARCHAR), ',' ORDER BY pl_seq)) AS digest FROM ${FRAGMENTS} AS f`))[0];
    const byHash = await link();
    const byMap = await link(() => "0");
    expect(byHash.statement).toMatch(/g\.h = hash\(e\.pl_idmap\)/);
    expect(byMap.statement).toMatch(/g\.pl_idmap = e\.pl_idmap/);
    expect(Number((byHash.fragments as Record<string, unknown>)["n"])).toBeGreaterThan(1000);
    expect(byHash.fragments).toEqual(before);
    expect(byMap.fragments).toEqual(before);
  });

  it("joins each view's rows to the fragments of its own kind of dataset only (the hash table DuckDB builds on them is a fraction)", () => {
    const policy = sandbox.policies.all()[0]!;
    const of = (kind: string): string => merge.sources.datasets.filter((x) => x.kind === kind).map((x) => x.index).join(", ");
    for (const parts of [1, 3]) {
      const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, undefined, parts);
      const joins = statements.flatMap((s) => [...s.matchAll(/FROM (pl_records|pl_events|pl_t_esrc|pl_evmaps) AS \w JOIN \(SELECT \* FROM pl_t_(?:sp|fk) WHERE pl_ds IN \(([^)]*)\)\)/g)].map((m) => [m[1], m[2]]));
      expect(new Set(joins.map(([from]) => from))).toEqual(new Set(parts === 1 ? ["pl_records", "pl_events", "pl_evmaps"] : ["pl_records", "pl_t_esrc", "pl_evmaps"]));
      for (const [from, datasets] of joins) expect(datasets).toBe(from === "pl_records" ? of("profile") : of("event"));
    }
  });

  it.each(sandbox.policies.all().map((p) => [p.id, p] as const))("merges policy %s into the same rows in the same order in 1 and 4 runs", async (_, policy) => {
    const digests: Array<Record<string, unknown>> = [];
    for (const parts of [1, 4]) {
      await merge.mergePolicy(policy, "t", { parts });
      // The table's own order (no ORDER BY): readers such as the query command's tables see it.
      const [row] = await session.rows(`SELECT count(*) AS n, md5(string_agg(CAST(t AS VARCHAR), '\n' ORDER BY ord)) AS digest, bool_and(ord = "xProfileOrder") AS ordered FROM (SELECT *, row_number() OVER () AS ord FROM t) AS t`);
      digests.push(row!);
    }
    expect(Number(digests[0]!["n"])).toBeGreaterThan(1000);
    expect(digests[0]!["ordered"]).toBe(true);
    expect(digests[1]).toEqual(digests[0]);
  }, 600_000);

  it.each(sandbox.policies.all().map((p) => [p.id, p] as const))(
    "lists only the events onto kept merged profiles (policy %s): the rows of a whole merge, in 1 and 4 runs",
    async (_, policy) => {
      const digest = async (table: string): Promise<Record<string, unknown>> =>
        (await session.rows(`SELECT count(*) AS n, md5(string_agg(CAST(t AS VARCHAR), '\n' ORDER BY ord)) AS digest FROM (SELECT *, row_number() OVER () AS ord FROM ${table}) AS t`))[0]!;
      await merge.mergePolicy(policy, "whole");
      // What a segment job keeps (SqlMerge.keepMerged): every profile field, no events.
      await session.run(`CREATE OR REPLACE TABLE kept AS SELECT * EXCLUDE ("xEvent") FROM whole`);
      const whole = await digest("whole");
      expect(Number(whole["n"])).toBeGreaterThan(1000);
      const columns = async (table: string): Promise<unknown> => session.rows(`SELECT column_name, column_type FROM (DESCRIBE ${table})`);
      for (const parts of [1, 4]) {
        await merge.mergePolicy(policy, "t", { parts, keptProfiles: "kept" });
        expect(await digest("t")).toEqual(whole);
        expect(await columns("t")).toEqual(await columns("whole"));
      }
      const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, undefined, 3, "kept");
      expect(statements.filter((s) => new RegExp(`\\b${RECORDS_VIEW}\\b`).test(s))).toEqual([]);
    },
    600_000,
  );
});
