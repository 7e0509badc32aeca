import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../engine/profile-groups.js";
import { DuckDbSession } from "./duckdb-session.js";
import { hashKeys, KEY_HASHES, KEYS } from "./identities.js";

let instance: DuckDBInstance;
let session: DuckDbSession;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  session = await DuckDbSession.open(await instance.connect());
});
afterAll(() => instance.closeSync());

async function hashesOf(keys: readonly string[], groupKeys: number, groupsPerStatement?: number): Promise<number[]> {
  await session.run("CREATE OR REPLACE TABLE given (k VARCHAR, id BIGINT)");
  await session.appendColumns("given", [
    { type: "varchar", values: keys },
    { type: "bigint", values: keys.map((_, i) => i) },
  ]);
  await session.run(`CREATE OR REPLACE TABLE ${KEYS} AS SELECT k, CAST(id AS INTEGER) AS id FROM given`);
  await hashKeys(session, keys.length, groupKeys, groupsPerStatement);
  const rows = await session.rows(`SELECT id, h FROM ${KEY_HASHES} ORDER BY id`);
  expect(rows.map((r) => Number(r["id"]))).toEqual(keys.map((_, i) => i));
  return rows.map((r) => Number(r["h"]));
}

/** The statements `hashesOf` streams out (session.strings), with its hashes. */
async function hashesAndStatements(...args: Parameters<typeof hashesOf>): Promise<{ hashes: number[]; statements: string[] }> {
  const statements: string[] = [];
  const run = session.strings.bind(session);
  session.strings = (sql: string) => {
    statements.push(sql);
    return run(sql);
  };
  try {
    return { hashes: await hashesOf(...args), statements };
  } finally {
    session.strings = run;
  }
}

describe("the keys' hashes, read out in groups joined into one text", () => {
  const keys = ["ecid:0001", "email:ana@example.com", "crmid:é", "phone:+1 555", "email:ü𝒜b@x.org", "crmid:", "ecid:999", "email:\u{10FFFF}"];

  it.each([1, 3, 4, 100])("are the reference's hashKey less 2^31, in id order, %i keys a group", async (groupKeys) => {
    expect(await hashesOf(keys, groupKeys)).toEqual(keys.map((k) => hashKey(k) - 2 ** 31));
  });

  it("reads a range of groups a statement (an ordered aggregate over every key ran out of memory at 10M persons)", async () => {
    const many = Array.from({ length: 23 }, (_, i) => `ecid:${i}`).concat(keys);
    const { hashes, statements } = await hashesAndStatements(many, 3, 2);
    expect(hashes).toEqual(many.map((k) => hashKey(k) - 2 ** 31));
    // 31 keys, 6 a statement.
    expect(statements.length).toBe(6);
  });

  it("reads a group again key by key when a key holds the separator (U+0000), and only that group", async () => {
    const withNul = [...keys.slice(0, 4), "crmid:a\u0000b", ...keys.slice(4), "email:\u0000"];
    const { hashes, statements } = await hashesAndStatements(withNul, 3);
    expect(hashes).toEqual(withNul.map((k) => hashKey(k) - 2 ** 31));
    // Groups of three: ids 3–5 and 9 hold a U+0000 each.
    expect(statements.filter((s) => /^SELECT k FROM/.test(s)).map((s) => s.match(/id >= (\d+)/)![1])).toEqual(["3", "9"]);
  });

  it("of no keys: an empty table", async () => {
    expect(await hashesOf([], 4)).toEqual([]);
  });
});
