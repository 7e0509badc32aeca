import { DuckDBInstance } from "@duckdb/node-api";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DuckDbSession } from "../merge/duckdb-session.js";
import { BATCH_FILE_OPTIONS } from "./export-sql.js";

const dir = mkdtempSync(join(tmpdir(), "profile-lab-table-order-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What the export's batch files rely on (export-sql.ts): a COPY of a table's rows with ORDER BY writes the same bytes
 * for any thread count, whether it runs on them (`run`) or on one thread beside another COPY (`runEach`, as the export
 * writes its files). Over more rows than a table's row group (122,880) and a file's (100,000), from a table not in
 * their order, so several scan tasks and row groups meet. (Without the ORDER BY, one thread cuts the row groups
 * elsewhere: 101,034 rows, not 100,352.)
 */
async function sortedCopies(threads: string, how: "run" | "runEach"): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:", { threads });
  try {
    const session = await DuckDbSession.open(await instance.connect(), () => instance.connect());
    await session.run("CREATE TABLE t AS SELECT i AS o, i % 3 <> 0 AS b, i % 5 = 0 AS c, {'s': 'v' || i, 'l': [i, i + 1]} AS x FROM range(400000) AS r(i) ORDER BY hash(i)");
    const files = ["b", "c"].map((flag) => join(dir, `${threads}-${how}-${flag}.parquet`));
    const copies = ["b", "c"].map((flag, i) => `COPY (SELECT o, x FROM t WHERE ${flag} ORDER BY o) TO '${files[i]}' (${BATCH_FILE_OPTIONS})`);
    if (how === "run") for (const sql of copies) await session.run(sql);
    else {
      const ran: number[] = [];
      await session.runEach(copies, (index) => ran.push(index));
      expect(ran.sort()).toEqual([0, 1]);
    }
    const read = await session.rows(`SELECT bool_and(o > prev) AS ordered, count(*) AS n FROM (SELECT o, lag(o, 1, -1) OVER () AS prev FROM read_parquet('${files[0]}'))`);
    expect(read).toEqual([{ ordered: true, n: "266666" }]);
    const hash = createHash("sha256");
    for (const file of files) hash.update(readFileSync(file));
    return hash.digest("hex");
  } finally {
    instance.closeSync();
  }
}

describe("a sorted COPY of a table's rows", () => {
  it("writes the same bytes, in order, on 1, 2 and 4 threads, and on one thread each beside another", async () => {
    const digests: string[] = [];
    for (const threads of ["1", "2", "4"]) for (const how of ["run", "runEach"] as const) digests.push(await sortedCopies(threads, how));
    expect(new Set(digests).size).toBe(1);
  });
});
