import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableToIPC, Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../xdm/types.js";
import { IDENTITY_MAP_TYPE, object, scalar } from "../xdm/xdm-type.js";
import { batchBuilderFor } from "./arrow-build.js";
import { ParquetStitcher } from "./parquet-stitch.js";
import { encodeParquet, type ParquetWriteOptions } from "./parquet-writer.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-parquet-stitch-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROW = object([
  ["id", scalar("string")],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["person", object([["age", scalar("int")], ["name", scalar("string")]])],
  ["tags", { kind: "array", items: scalar("string") }],
]);

const rowAt = (i: number): JsonObject & { id: string; person: { age: number } } => ({
  id: `row-${i}-${"x".repeat(i % 40)}`,
  identityMap: { ECID: [{ id: `e${i}`, primary: true }], ...(i % 3 === 0 ? { Email: [{ id: `p${i}@example.com`, primary: false }] } : {}) },
  person: i % 7 === 0 ? { age: i } : ({ age: i % 90, name: `N${i % 13}` } as { age: number }),
  tags: Array.from({ length: i % 4 }, (_, k) => `t${k}`),
});

/** `rows` rows as batches of `block` rows (the generator's blocks), each an Arrow IPC stream. */
function blocks(rows: number, block: number, first = 0): { ipc: Uint8Array; from: number; to: number }[] {
  const out = [];
  for (let from = first; from < first + rows; from += block) {
    const to = Math.min(from + block, first + rows);
    const batch = batchBuilderFor(ROW).build(Array.from({ length: to - from }, (_, k) => rowAt(from + k)));
    out.push({ ipc: tableToIPC(new Table([batch]), "stream"), from, to });
  }
  return out;
}

/** The same rows as batches cut where each row group of `size` rows ends. */
function groups(rows: number, block: number, size: number): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let g = 0; g < rows; g += size) {
    const cut: Uint8Array[] = [];
    for (const b of blocks(rows, block)) {
      const from = Math.max(b.from, g);
      const to = Math.min(b.to, g + size);
      if (from < to) cut.push(blocks(to - from, to - from, from)[0]!.ipc);
    }
    out.push(cut);
  }
  return out;
}

async function stitch(name: string, files: Uint8Array[]): Promise<Buffer> {
  const path = join(root, name);
  const s = await ParquetStitcher.open(path);
  for (const f of files) await s.append(f);
  const size = await s.close();
  const bytes = readFileSync(path);
  expect(size).toBe(bytes.length);
  return bytes;
}

describe("Parquet files encoded apart, stitched into one", () => {
  it.each<[string, ParquetWriteOptions]>([
    ["no statistics (offset indexes)", { statistics: "none", dictionary: false }],
    ["page statistics (column and offset indexes), dictionaries", { statistics: "page" }],
    ["snappy", { compression: "snappy", statistics: "none" }],
  ])("are byte for byte the file one encoder writes from the same batches: %s", async (label, options) => {
    const rows = 1000;
    const size = 300; // row groups of 300 rows, blocks of 70: blocks straddle the groups' ends
    const opts = { ...options, rowGroupSize: size };
    const whole = Buffer.from(await encodeParquet(blocks(rows, 70).map((b) => b.ipc), opts));
    const apart = await Promise.all(groups(rows, 70, size).map((g) => encodeParquet(g, opts)));
    const stitched = await stitch(`s-${label}.parquet`, apart);
    expect(stitched.length).toBe(whole.length);
    expect(stitched.equals(whole)).toBe(true);
  });

  it("hold every row in order for an independent reader", async () => {
    const apart = await Promise.all(groups(500, 64, 128).map((g) => encodeParquet(g, { rowGroupSize: 128, statistics: "none" })));
    const path = join(root, "read.parquet");
    await stitch("read.parquet", apart);
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const read = await c.runAndReadAll(`SELECT id, person.age AS age, len(tags) AS tags, cardinality(identityMap) AS ns FROM read_parquet('${path}')`);
    const groupsRead = await c.runAndReadAll(`SELECT count(*) FROM parquet_metadata('${path}') GROUP BY row_group_id`);
    c.closeSync();
    db.closeSync();
    expect(read.getRowObjectsJS()).toEqual(Array.from({ length: 500 }, (_, i) => ({ id: rowAt(i).id, age: rowAt(i).person.age, tags: BigInt(i % 4), ns: BigInt(i % 3 === 0 ? 2 : 1) })));
    expect(groupsRead.getRows()).toHaveLength(4);
  });

  it("give back a file without row groups as it is (a dataset without rows)", async () => {
    const empty = await encodeParquet([tableToIPC(new Table([batchBuilderFor(ROW).build([])]), "stream")], { statistics: "none" });
    expect((await stitch("empty.parquet", [empty])).equals(Buffer.from(empty))).toBe(true);
  });

  it("refuse files of another schema, and a file that is not Parquet", async () => {
    const ours = await encodeParquet(blocks(10, 10).map((b) => b.ipc));
    const other = await encodeParquet([tableToIPC(new Table([batchBuilderFor(object([["id", scalar("string")]])).build([{ id: "a" }])]), "stream")]);
    const path = join(root, "bad.parquet");
    const s = await ParquetStitcher.open(path);
    await s.append(ours);
    await expect(s.append(other)).rejects.toThrow(/schemas differ/);
    await expect(s.append(new Uint8Array(20))).rejects.toThrow(/not a Parquet file/);
    await s.abort();
    expect(existsSync(path)).toBe(false);
  });
});
