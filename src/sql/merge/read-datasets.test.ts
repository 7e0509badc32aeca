import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONVENTIONS } from "../../merge/merge-options.js";
import { object, scalar } from "../../xdm/xdm-type.js";
import { DUCKDB } from "../duckdb.js";
import { DuckDbSession } from "./duckdb-session.js";
import { datasetView, readDatasetsSql } from "./read-datasets.js";
import type { MergeSources } from "./sources.js";

let dir: string;
let instance: DuckDBInstance;
let session: DuckDbSession;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pl-read-datasets-"));
  instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  session = await DuckDbSession.open(await instance.connect());
});
afterAll(() => {
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe("a dataset's Parquet files", () => {
  // Files in load order: 0, 1 and 4 share a schema; 2 has a column more; 3 and 5 have a column named `filename`.
  const files = [
    ["a", "SELECT 'a' || i AS name FROM range(3) AS t(i)"],
    ["b", "SELECT 'b' || i AS name FROM range(2) AS t(i)"],
    ["c", "SELECT 'c' || i AS name, i AS extra FROM range(2) AS t(i)"],
    ["d", "SELECT 'd' || i AS name, 'x.parquet' AS filename FROM range(2) AS t(i)"],
    ["e", "SELECT 'e' || i AS name FROM range(4) AS t(i)"],
    ["f", "SELECT 'f' || i AS name, 'y.parquet' AS filename FROM range(3) AS t(i)"],
  ] as const;

  it("are read one scan per schema (a file with a column named `filename` alone), each row with its own file and row", async () => {
    for (const [name, rows] of files) await session.run(`COPY (${rows}) TO '${join(dir, `${name}.parquet`)}' (FORMAT parquet)`);
    const type = object([["name", scalar("string")]]);
    const sources: MergeSources = {
      datasets: [
        {
          index: 0,
          id: "ds",
          name: "Profiles",
          kind: "profile",
          type,
          primaryNamespace: undefined,
          files: files.map(([name], ordinal) => ({ path: join(dir, `${name}.parquet`), rel: `datasets/${name}.parquet`, ordinal })),
        },
      ],
      profileType: type,
      eventType: object([]),
      conventions: DEFAULT_CONVENTIONS,
    };
    const statements = await readDatasetsSql(sources, DUCKDB, session);
    const view = statements.find((s) => s.includes(`VIEW ${datasetView(0)} AS`))!;
    expect(view.match(/read_parquet\(/g)).toHaveLength(4);
    for (const s of statements) await session.run(s);
    const rows = await session.rows(`SELECT pl_file, pl_row, name FROM ${datasetView(0)} ORDER BY pl_seq`);
    const expected = files.flatMap(([name], ordinal) => Array.from({ length: { a: 3, b: 2, c: 2, d: 2, e: 4, f: 3 }[name] }, (_, i) => ({ pl_file: ordinal, pl_row: i + 1, name: `${name}${i}` })));
    expect(rows.map((r) => ({ pl_file: Number(r["pl_file"]), pl_row: Number(r["pl_row"]), name: r["name"] }))).toEqual(expected);
  });
});
