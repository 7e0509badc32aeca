/**
 * The merge's scalar order keys (pairOrder, positionOrder), the membership entries' (tupleOrder) and the list by one
 * key (listOrderedByKey) order on DuckDB as the pairs, tuples and sorts they stand for: a key that orders otherwise
 * would reorder profiles' events, identities and segmentMembership entries.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUCKDB } from "./duckdb.js";
import { positionOrder } from "./merge/identities.js";

/** Epoch-ms times (NULL, negative, the JavaScript Date bounds) and load positions (file × 2^32 + row), with ties. */
const HIGHS = ["NULL", "-8640000000000000", "-1", "0", "1", "1712000000000", "8640000000000000"];
const LOWS = ["0", "1", "4294967297", "4294967296 * 255 + 7", "9223372036854775807"];

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  connection = await instance.connect();
  const values = HIGHS.flatMap((h) => LOWS.map((l) => `(CAST(${h} AS BIGINT), CAST(${l} AS BIGINT))`));
  await connection.run(`CREATE TABLE pairs AS SELECT h, l, row_number() OVER () AS n FROM (VALUES ${values.join(", ")}) AS v(h, l)`);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

const column = async (sql: string): Promise<unknown[]> => (await connection.runAndReadAll(sql)).getRows().map((r) => r[0]);

describe("the merge's order keys", () => {
  it("pairOrder orders as (high NULLS LAST, low)", async () => {
    const byPair = await column(`SELECT n FROM pairs ORDER BY h ASC NULLS LAST, l`);
    expect(byPair).toHaveLength(HIGHS.length * LOWS.length);
    expect(await column(`SELECT n FROM pairs ORDER BY ${DUCKDB.pairOrder("h", "l")}`)).toEqual(byPair);
  });

  it("positionOrder orders as (major, minor) for positions of lists", async () => {
    const positions = `(SELECT a, b, row_number() OVER () AS n FROM (VALUES (1, 1), (1, 4294967295), (2, 1), (2147483647, 1), (2147483647, 4294967295), (3, 2)) AS v(a, b))`;
    const byPair = await column(`SELECT n FROM ${positions} ORDER BY a, b`);
    expect(await column(`SELECT n FROM ${positions} ORDER BY ${positionOrder("a", "b")}`)).toEqual(byPair);
  });

  it("tupleOrder orders as the tuple, each value from 0 to the top of its width", async () => {
    // (boolean, 32 bits, 1 bit, 40 bits, 32 bits): the membership entries' order (export/memberships.ts).
    const widths = [1, 32, 1, 40, 32];
    const values = widths.map((bits) => (bits === 1 ? ["FALSE", "TRUE"] : ["0", "1", String(2 ** (bits - 1)), String(2 ** bits - 1)]));
    const tuples = values.reduce<string[][]>((acc, vs) => acc.flatMap((t) => vs.map((v) => [...t, v])), [[]]);
    const rows = tuples.map((t) => `(${t.map((v, i) => (widths[i] === 1 ? v : `CAST(${v} AS BIGINT)`)).join(", ")})`);
    const table = `(SELECT *, row_number() OVER () AS n FROM (VALUES ${rows.join(", ")}) AS v(a, b, c, d, e))`;
    const byTuple = await column(`SELECT n FROM ${table} ORDER BY a, b, c, d, e`);
    expect(byTuple).toHaveLength(2 * 4 * 2 * 4 * 4);
    const key = DUCKDB.tupleOrder(["a", "b", "c", "d", "e"].map((v, i) => [v, widths[i]!] as const));
    expect(await column(`SELECT n FROM ${table} ORDER BY ${key}`)).toEqual(byTuple);
    expect(() => DUCKDB.tupleOrder([["a", 64], ["b", 63]])).toThrow(/127 bits/);
  });

  it("listOrderedByKey lists the values in the order of their keys", async () => {
    const [listed] = await column(`SELECT ${DUCKDB.listOrderedByKey("n", DUCKDB.pairOrder("h", "l"))} FROM pairs`);
    expect((listed as { items: unknown[] }).items).toEqual(await column(`SELECT n FROM pairs ORDER BY h ASC NULLS LAST, l`));
  });

  it("listOrderedByKey keeps its two lists aligned in groups aggregated on several threads over several row groups", async () => {
    const wide = await DuckDBInstance.create(":memory:", { threads: "4" });
    const c = await wide.connect();
    try {
      // 400,000 rows (four row groups) in 1,000 groups, keys unique and shuffled against the rows' order.
      await c.run(`CREATE TABLE t AS SELECT i % 1000 AS g, hash(i) AS k, i AS v FROM range(400000) AS r(i)`);
      const [differing] = (
        await c.runAndReadAll(`SELECT count(*) FROM (SELECT g, ${DUCKDB.listOrderedByKey("v", "k")} AS a, list(v ORDER BY k) AS b FROM t GROUP BY g) WHERE a IS DISTINCT FROM b`)
      ).getRows();
      expect(Number(differing![0])).toBe(0);
    } finally {
      c.closeSync();
      wide.closeSync();
    }
  });
});
