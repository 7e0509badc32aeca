import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableToIPC, Table } from "apache-arrow";
import { afterAll, describe, expect, it, vi } from "vitest";
import { batchBuilderFor } from "../io/arrow-build.js";
import { encodeParquet } from "../io/parquet-writer.js";
import { object, scalar } from "../xdm/xdm-type.js";
import type { EncodeTask } from "./block-pool.js";
import { EncodeSlots, ParquetPartWriter } from "./writer.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-part-writer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROW = object([
  ["id", scalar("string")],
  ["n", scalar("int")],
]);
const ipcOf = (from: number, to: number): Uint8Array =>
  tableToIPC(new Table([batchBuilderFor(ROW).build(Array.from({ length: to - from }, (_, k) => ({ id: `id-${from + k}`, n: from + k })))]), "stream");

/** Encodes on "another thread": later than asked, and in any order. */
const slowEncode = async (task: EncodeTask): Promise<Uint8Array> => {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
  return encodeParquet(task.batches, task.options);
};

describe("Parquet part files from row groups encoded apart", () => {
  it("are the files one encoder writes from each part's rows", async () => {
    const [rows, block, rowsPerFile, rowGroupSize] = [1000, 70, 400, 90];
    const w = new ParquetPartWriter(root, "ds", ROW, { rowsPerFile, rowGroupSize, encode: slowEncode, slots: new EncodeSlots(3), compression: "zstd" });
    for (let from = 0; from < rows; from += block) await w.writeBlock(ipcOf(from, Math.min(from + block, rows)), Math.min(block, rows - from));
    await w.close();
    expect(w.files).toEqual(["ds/part-00000.parquet", "ds/part-00001.parquet", "ds/part-00002.parquet"]);
    expect(w.lines).toBe(rows);
    for (const [k, f] of w.files.entries()) {
      // One stream over the part's rows, in the blocks' batches cut at the part's ends.
      const batches: Uint8Array[] = [];
      const [start, end] = [k * rowsPerFile, Math.min((k + 1) * rowsPerFile, rows)];
      for (let from = 0; from < rows; from += block) {
        const [a, b] = [Math.max(from, start), Math.min(from + block, end)];
        if (a < b) batches.push(ipcOf(a, b));
      }
      const whole = await encodeParquet(batches, { rowGroupSize, dictionary: false, statistics: "none", compression: "zstd" });
      expect(readFileSync(join(root, f)).equals(Buffer.from(whole)), f).toBe(true);
    }
  });

  it("stops on a failed encode, keeping no unfinished part", async () => {
    const failing = async (): Promise<Uint8Array> => {
      throw new Error("encoder broke");
    };
    const w = new ParquetPartWriter(root, "bad", ROW, { rowsPerFile: 1000, rowGroupSize: 10, encode: failing, slots: new EncodeSlots(1), compression: "zstd" });
    await expect(
      (async () => {
        for (let from = 0; from < 200; from += 20) await w.writeBlock(ipcOf(from, from + 20), 20);
        await w.close();
      })(),
    ).rejects.toThrow(/encoder broke/);
    await w.abort();
    expect(existsSync(join(root, "bad/part-00000.parquet"))).toBe(false);
  });

  it("deletes the part being written when aborted, keeping the finished ones", async () => {
    const w = new ParquetPartWriter(root, "aborted", ROW, { rowsPerFile: 50, rowGroupSize: 20, encode: slowEncode, slots: new EncodeSlots(2), compression: "zstd" });
    for (let from = 0; from < 70; from += 10) await w.writeBlock(ipcOf(from, from + 10), 10);
    // The first part (50 rows) is done once its footer is written (the file starts as the 4 bytes "PAR1" alone); the
    // second one is open.
    const first = join(root, "aborted/part-00000.parquet");
    const footed = (): boolean => {
      const bytes = readFileSync(first);
      return bytes.length > 12 && bytes.subarray(-4).toString() === "PAR1" && bytes.readUInt32LE(bytes.length - 8) < bytes.length - 12;
    };
    await vi.waitFor(() => expect(footed()).toBe(true), { timeout: 30_000, interval: 20 });
    await w.abort();
    expect(w.files).toEqual(["aborted/part-00000.parquet", "aborted/part-00001.parquet"]);
    expect(existsSync(join(root, "aborted/part-00000.parquet"))).toBe(true);
    expect(existsSync(join(root, "aborted/part-00001.parquet"))).toBe(false);
  });
});
