import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IDENTITY_MAP_TYPE, object, scalar } from "../xdm/xdm-type.js";
import { codecOf, parquetCodec } from "./parquet-codec.js";
import { ParquetFileWriter, type ParquetWriteOptions } from "./parquet-writer.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-parquet-codec-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Maps, lists and nested objects put every Thrift type the footer holds before the codec (lists of structs,
// binaries, key-value metadata) in the reader's way.
const ROW = object([
  ["id", scalar("string")],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["person", object([["age", scalar("int")], ["score", scalar("double")], ["ok", scalar("boolean")]])],
]);

async function write(name: string, options: ParquetWriteOptions, rows = 3): Promise<string> {
  const path = join(root, name);
  const w = await ParquetFileWriter.open(path, ROW, options);
  await w.write(Array.from({ length: rows }, (_, i) => ({ id: `r${i}`, identityMap: { ECID: [{ id: `e${i}`, primary: true }] }, person: { age: i, score: i / 2, ok: i % 2 === 0 } })));
  await w.close();
  return path;
}

describe("a Parquet file's codec, from its footer", () => {
  it("is the codec it was written with", async () => {
    expect(parquetCodec(await write("z.parquet", {}))).toBe("zstd");
    expect(parquetCodec(await write("s.parquet", { compression: "snappy", statistics: "none", dictionary: false }))).toBe("snappy");
    expect(parquetCodec(await write("u.parquet", { compression: "uncompressed", rowGroupSize: 1 }))).toBe("uncompressed");
  });

  it("is unknown for a file without rows, a file that is not Parquet, a cut footer, a missing file or a folder", async () => {
    expect(parquetCodec(await write("empty.parquet", {}, 0))).toBeUndefined();
    const text = join(root, "text.parquet");
    writeFileSync(text, "not parquet at all");
    expect(parquetCodec(text)).toBeUndefined();
    expect(codecOf(new Uint8Array([0x15, 0x02, 0x19]))).toBeUndefined();
    expect(parquetCodec(join(root, "missing.parquet"))).toBeUndefined();
    mkdirSync(join(root, "folder.parquet"));
    expect(parquetCodec(join(root, "folder.parquet"))).toBeUndefined();
  });
});
