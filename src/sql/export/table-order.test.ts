import { DuckDBInstance } from "@duckdb/node-api";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BATCH_FILE_OPTIONS } from "./export-sql.js";

const dir = mkdtempSync(join(tmpdir(), "profile-lab-table-order-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What the export's batch files rely on (export-sql.ts): a COPY of a table's rows with ORDER BY writes the same bytes
 * for any thread count. Over more rows than a table's row group (122,880) and a file's (100,000), so several scan tasks
 * and row groups meet. (Without the ORDER BY, one thread cuts the row groups elsewhere: 101,034 rows, not 100,352.)
 */
describe("a sorted COPY of a table's rows", () => {
  it("writes the same bytes, in order, on 1, 2 and 4 threads", async () => {
    const digests: string[] = [];
    for (const threads of ["1", "2", "4"]) {
      const instance = await DuckDBInstance.create(":memory:", { threads });
      const c = await instance.connect();
      await c.run("CREATE TABLE t AS SELECT i AS o, i % 3 <> 0 AS b, {'s': 'v' || i, 'l': [i, i + 1]} AS x FROM range(400000) AS r(i) ORDER BY o");
      const file = join(dir, `t${threads}.parquet`);
      await c.run(`COPY (SELECT o, x FROM t WHERE b ORDER BY o) TO '${file}' (${BATCH_FILE_OPTIONS})`);
      const read = await c.runAndReadAll(`SELECT bool_and(o > prev) AS ordered, count(*) AS n FROM (SELECT o, lag(o, 1, -1) OVER () AS prev FROM read_parquet('${file}'))`);
      expect(read.getRowObjectsJson()).toEqual([{ ordered: true, n: "266666" }]);
      digests.push(createHash("sha256").update(readFileSync(file)).digest("hex"));
      instance.closeSync();
    }
    expect(new Set(digests).size).toBe(1);
  });
});
