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
import type { SqlDialect } from "../../src/sql/dialect.js";
import { EVENT_MAPS, eventMapsSql, FRAGMENTS, joinEventMaps } from "../../src/sql/merge/identities.js";
import { EVENT_ELEMENT } from "../../src/sql/event-counts.js";
import { mergeProfilesSql } from "../../src/sql/merge/merge-profiles.js";
import { EVENTS_VIEW, RECORDS_VIEW } from "../../src/sql/merge/read-datasets.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { ALL_COMPONENTS, mergeParts, SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { REPO } from "../helpers/cli.js";

const GiB = 2 ** 30;

/** DuckDB's dialect with a hash under which every value hashes alike: the way taken where two event maps collide. */
const hashingAlike: SqlDialect = Object.create(DUCKDB, { hash: { value: () => "0" } });

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
    const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, { parts: 3 });
    expect(statements.filter((s) => s.startsWith("CREATE OR REPLACE TABLE t AS ")).map((s) => s.endsWith("WHERE p.pl_part = 0 ORDER BY p.pl_order"))).toEqual([true]);
    expect(statements.filter((s) => s.startsWith("INSERT INTO t ")).map((s) => /WHERE p\.pl_part = (\d) ORDER BY p\.pl_order$/.exec(s)?.[1])).toEqual(["1", "2"]);
    expect(statements.filter((s) => s.startsWith("DROP TABLE pl_t_ranked"))).toHaveLength(3);
    expect(statements.slice(-3)).toEqual(["DROP TABLE pl_t_rin", "DROP TABLE pl_t_ein", "DROP TABLE pl_t_eim"]);
  });

  it("reads each dataset view once whatever the number of runs, the records into their run inputs, the events into a table of their own: each run reads its range of the tables made from them", () => {
    const policy = sandbox.policies.all()[0]!;
    const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, { parts: 3 });
    const reads = (s: string): boolean => [RECORDS_VIEW, EVENTS_VIEW].some((view) => new RegExp(`\\b${view}\\b`).test(s));
    const firstRun = statements.findIndex((s) => s.startsWith("CREATE OR REPLACE TABLE pl_t_ranked "));
    expect(statements.slice(0, firstRun).filter(reads).map((s) => /^CREATE OR REPLACE TABLE (\w+) /.exec(s)?.[1])).toEqual(["pl_t_rin", "pl_t_esrc"]);
    expect(statements.slice(firstRun).filter(reads)).toEqual([]);
    for (const table of ["rin", "ein", "eim"]) expect(statements.filter((s) => new RegExp(`FROM pl_t_${table} WHERE pl_part = 2\\b`).test(s)).length).toBeGreaterThan(0);
  });

  it("links the events by their distinct identityMaps, each map once, and every event with an identity finds its map's fragment", async () => {
    const [row] = await session.rows(
      `SELECT (SELECT count(*) FROM ${EVENT_MAPS}) AS maps, (SELECT count(*) FROM (SELECT DISTINCT pl_ds, pl_idmap FROM ${EVENTS_VIEW})) AS distinct_maps, ` +
        `(SELECT count(*) FROM ${EVENTS_VIEW}) AS events, (SELECT count(*) FROM ${EVENTS_VIEW} WHERE len(flatten(map_values(pl_idmap))) > 0) AS identified, ` +
        `(SELECT count(*) FROM ${EVENTS_VIEW} AS e ${joinEventMaps(merge.sources, DUCKDB, "e", FRAGMENTS, "f")}) AS fragments, ` +
        `(SELECT sum(pl_n) FROM ${EVENT_MAPS}) AS mapped`,
    );
    expect(Number(row!["maps"])).toBe(Number(row!["distinct_maps"]));
    expect(Number(row!["maps"])).toBeLessThan(Number(row!["events"]) / 2);
    expect(Number(row!["fragments"])).toBe(Number(row!["identified"]));
    expect(Number(row!["mapped"])).toBe(Number(row!["events"]));
  });

  it("finds each event's fragment by its map's hash, or by the map itself where maps of a dataset hash alike: the same fragments", async () => {
    const fragmentsOf = async (dialect: SqlDialect): Promise<Record<string, unknown>> => {
      for (const s of eventMapsSql(merge.sources, dialect)) await session.run(s);
      const join = joinEventMaps(merge.sources, dialect, "e", FRAGMENTS, "f");
      const [row] = await session.rows(
        `SELECT count(*) AS n, md5(string_agg(e.pl_seq || ':' || f.prim || ':' || f.first, ',' ORDER BY e.pl_seq)) AS digest, ` +
          `(SELECT count(*) FILTER (WHERE dup) FROM ${EVENT_MAPS}) AS dups, (SELECT count(*) FROM ${EVENT_MAPS}) AS maps FROM ${EVENTS_VIEW} AS e ${join}`,
      );
      return { ...row!, join };
    };
    try {
      const byHash = await fragmentsOf(DUCKDB);
      const byMap = await fragmentsOf(hashingAlike);
      expect(byHash["join"]).toMatch(/f\.pl_h = hash\(e\.pl_idmap\)/);
      expect(Number(byHash["n"])).toBeGreaterThan(1000);
      expect(Number(byHash["dups"])).toBe(0);
      expect(Number(byMap["dups"])).toBe(Number(byMap["maps"]));
      expect([byMap["n"], byMap["digest"]]).toEqual([byHash["n"], byHash["digest"]]);
    } finally {
      for (const s of eventMapsSql(merge.sources, DUCKDB)) await session.run(s);
    }
  });

  it.each([1, 3])("merges the same rows and counts the same events in %d run(s) where every map hashes alike (events told apart by their maps)", async (parts) => {
    const policy = sandbox.policies.all()[0]!;
    const merged = async (dialect: SqlDialect): Promise<unknown> => {
      const alone = await DuckDBInstance.create(":memory:", { threads: "2" });
      try {
        const s = await DuckDbSession.open(await alone.connect());
        const m = await SqlMerge.prepare(s, mergeSourcesOf(sandbox), { dialect });
        const eventCounts = { table: "counts", conditions: ["TRUE", `${EVENT_ELEMENT}."eventType" = 'commerce.purchases'`] };
        await m.mergePolicy(policy, "t", { parts, eventCounts });
        return s.rows(
          `SELECT (SELECT md5(string_agg(CAST(t AS VARCHAR), '\n' ORDER BY "xProfileOrder")) FROM t) AS rows, ` +
            `(SELECT md5(string_agg(CAST(c AS VARCHAR), '\n' ORDER BY "xProfileOrder")) FROM counts AS c) AS counts, (SELECT count(*) FROM counts) AS counted`,
        );
      } finally {
        alone.closeSync();
      }
    };
    const [real, alike] = [await merged(DUCKDB), await merged(hashingAlike)];
    expect(Number((real as Array<Record<string, unknown>>)[0]!["counted"])).toBeGreaterThan(100);
    expect(alike).toEqual(real);
  }, 600_000);

  it("joins each view's rows to the fragments of its own kind of dataset only (the hash table DuckDB builds on them is a fraction)", () => {
    const policy = sandbox.policies.all()[0]!;
    const of = (kind: string): string => merge.sources.datasets.filter((x) => x.kind === kind).map((x) => x.index).join(", ");
    for (const parts of [1, 3]) {
      const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, { parts });
      // An event joins its map's fragment (joinEventMaps): the fragments' subquery inside the maps'.
      const joins = statements.flatMap((s) =>
        [...s.matchAll(/FROM (pl_records|pl_events|pl_evmaps) AS \w JOIN (?:\(SELECT r\.\*, [^()]* FROM )?\(SELECT \* FROM pl_t_(?:sp|fk) WHERE pl_ds IN \(([^)]*)\)\)/g)].map((m) => [m[1], m[2]]),
      );
      expect(new Set(joins.map(([from]) => from))).toEqual(new Set(["pl_records", "pl_events", "pl_evmaps"]));
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
      const statements = mergeProfilesSql(merge.sources, policy, { all: ALL_COMPONENTS, policy: undefined }, "t", "pl_t", DUCKDB, { parts: 3, keptProfiles: "kept" });
      expect(statements.filter((s) => new RegExp(`\\b${RECORDS_VIEW}\\b`).test(s))).toEqual([]);
    },
    600_000,
  );
});
