import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbSession } from "./duckdb-session.js";

let instance: DuckDBInstance;
let session: DuckDbSession;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  session = await DuckDbSession.open(await instance.connect());
});
afterAll(() => instance.closeSync());

describe("a large result handed out in chunks of rows", () => {
  // 5,000 rows come from DuckDB in chunks of 2,048: cut smaller, joined larger, and one chunk of all of them.
  it.each([
    [3, 1667],
    [2048, 3],
    [3000, 2],
    [10_000, 1],
  ])("of %i rows at most: %i chunks, every row once, in order", async (size, chunks) => {
    const sizes: number[] = [];
    const values: unknown[] = [];
    for await (const chunk of session.rowChunks("SELECT i, 'r' || i AS s FROM range(5000) AS t(i) ORDER BY i", size)) {
      sizes.push(chunk.length);
      values.push(...chunk.map((row) => row[1]));
    }
    expect(sizes.length).toBe(chunks);
    expect(sizes.slice(0, -1).every((n) => n === size)).toBe(true);
    expect(values).toEqual(Array.from({ length: 5000 }, (_, i) => `r${i}`));
  });

  it("refuses a statement while a streamed result is read (DuckDB would end it early), and runs one after", async () => {
    const rows = session.rowChunks("SELECT i FROM range(5000) AS t(i)", 100);
    let error: unknown;
    for await (const _ of rows) {
      error = await session.run("SELECT 1").catch((e: unknown) => e);
      break;
    }
    expect(String(error)).toMatch(/while a streamed result is read/);
    await expect(session.rows("SELECT 1 AS one")).resolves.toEqual([{ one: 1 }]);
  });

  it("appends Boolean columns beside text and numbers", async () => {
    await session.run("CREATE TABLE appended (k BIGINT, b BOOLEAN)");
    await session.appendColumns("appended", [
      { type: "bigint", values: [1, 2, 3] },
      { type: "boolean", values: [true, false, null] },
    ]);
    expect(await session.rows("SELECT k, b FROM appended ORDER BY k")).toEqual([
      { k: "1", b: true },
      { k: "2", b: false },
      { k: "3", b: null },
    ]);
  });
});
