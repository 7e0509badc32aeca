import { openAsBlob } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Binary, Table, tableToIPC, vectorFromArray } from "apache-arrow";
import * as PW from "parquet-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../xdm/types.js";
import { array, IDENTITY_MAP_TYPE, map, object, scalar, type XdmObject } from "../xdm/xdm-type.js";
import type { JsonlLine } from "./jsonl.js";
import { readParquetRows, type ParquetReadOptions } from "./parquet-reader.js";
import { ParquetFileWriter, type ParquetWriteOptions } from "./parquet-writer.js";

const ROW: XdmObject = object([
  ["_id", scalar("string")],
  ["timestamp", scalar("date-time")],
  ["visits", scalar("long")],
  ["score", scalar("double")],
  ["active", scalar("boolean")],
  ["birthDate", scalar("date")],
  ["person", object([["name", object([["firstName", scalar("string")], ["lastName", scalar("string")]])]])],
  ["tags", array(scalar("string"))],
  ["scores", map(scalar("double"))],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["_acp_system_metadata", object([["ingestTime", scalar("date-time")], ["sourceBatchId", scalar("string")]])],
]);

const T0 = Date.UTC(2026, 9, 1);

/** Row i, already in the reader's output form (RFC 3339 timestamps, no nulls); fields come and go with i. */
function row(i: number): JsonObject {
  const r: JsonObject = {
    _id: `id-${i}`,
    timestamp: new Date(T0 + i * 1234).toISOString(),
    visits: i * 1_000_003,
    score: i / 8,
    active: i % 2 === 0,
  };
  if (i % 3 !== 0) r["birthDate"] = `19${50 + (i % 50)}-0${(i % 9) + 1}-1${i % 10}`;
  r["person"] = i % 4 === 0 ? { name: { firstName: "Zoë" } } : { name: { firstName: `F${i}`, lastName: "Müller" } };
  if (i % 5 !== 0) r["tags"] = i % 7 === 0 ? [] : [`t${i % 3}`, "東京"];
  r["scores"] = i % 6 === 0 ? {} : { a: i, b: i + 0.5 };
  const identityMap: JsonObject = { ECID: [{ id: `ecid-${i}`, authenticatedState: "ambiguous", primary: true }] };
  if (i % 2 === 1) identityMap["CRMID"] = [{ id: `crm-${i}`, authenticatedState: "authenticated", primary: false }, { id: `crm-${i}b` }];
  r["identityMap"] = identityMap;
  r["_acp_system_metadata"] = { ingestTime: new Date(T0 + i * 60_000).toISOString(), sourceBatchId: `b${i % 11}` };
  return r;
}

const rows = (n: number): JsonObject[] => Array.from({ length: n }, (_, i) => row(i));

let dir: string;
let fileNo = 0;
const tmpFile = (name: string): string => join(dir, `${++fileNo}-${name}.parquet`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "profile-lab-parquet-read-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function write(path: string, data: readonly JsonObject[], options?: ParquetWriteOptions): Promise<void> {
  const w = await ParquetFileWriter.open(path, ROW, options);
  for (let i = 0; i < data.length; i += 1000) await w.write(data.slice(i, i + 1000));
  await w.close();
}

async function readAll(path: string, options?: ParquetReadOptions): Promise<JsonlLine[]> {
  const out: JsonlLine[] = [];
  for await (const r of readParquetRows(path, options)) out.push(r);
  return out;
}

async function rowGroupsOf(path: string): Promise<number[]> {
  const file = await PW.ParquetFile.fromFile(await openAsBlob(path));
  try {
    return file.metadata().rowGroups().map((g) => g.numRows());
  } finally {
    file.free();
  }
}

async function failure(path: string, options?: ParquetReadOptions): Promise<unknown> {
  try {
    await readAll(path, options);
  } catch (e) {
    return e;
  }
  throw new Error("expected the read to fail");
}

describe("readParquetRows", () => {
  it("reads a file of several row groups, each larger than a decoded batch, row for row as written", async () => {
    const path = tmpFile("multi");
    const data = rows(25_000);
    await write(path, data, { rowGroupSize: 10_000, batchRows: 7_000 });
    expect(await rowGroupsOf(path)).toEqual([10_000, 10_000, 5_000]);
    const read = await readAll(path);
    expect(read.length).toBe(data.length);
    expect(read.map((r) => r.line)).toEqual(data.map((_, i) => i + 1));
    expect(read.map((r) => r.value)).toEqual(data);
    // Fields in the file's column order, nulls left out.
    expect(Object.keys(read[3]!.value as JsonObject)).toEqual(Object.keys(data[3]!));
    expect(read[0]!.value).not.toHaveProperty("tags");
    expect((read[0]!.value as JsonObject)["person"]).toEqual({ name: { firstName: "Zoë" } });
  });

  it("reads small row groups (fewer rows than a batch)", async () => {
    const path = tmpFile("small-groups");
    const data = rows(2_500);
    await write(path, data, { rowGroupSize: 1_000, batchRows: 700 });
    expect(await rowGroupsOf(path)).toEqual([1_000, 1_000, 500]);
    const read = await readAll(path);
    expect(read.map((r) => r.value)).toEqual(data);
    expect(read.at(-1)!.line).toBe(2_500);
  });

  it("reads only the projected top-level columns; names the file lacks are ignored", async () => {
    const path = tmpFile("projection");
    const data = rows(3_000);
    await write(path, data, { rowGroupSize: 1_000 });
    const read = await readAll(path, { columns: ["_acp_system_metadata", "identityMap", "noSuchColumn"] });
    expect(read.map((r) => r.line)).toEqual(data.map((_, i) => i + 1));
    expect(read.map((r) => r.value)).toEqual(data.map((r) => ({ identityMap: r["identityMap"], _acp_system_metadata: r["_acp_system_metadata"] })));
    // The file's column order, whatever the order asked for.
    expect(Object.keys(read[0]!.value as JsonObject)).toEqual(["identityMap", "_acp_system_metadata"]);

    const tagsOnly = await readAll(path, { columns: ["tags"] });
    expect(tagsOnly.map((r) => r.value)).toEqual(data.map((r) => (r["tags"] === undefined ? {} : { tags: r["tags"] })));
  });

  it("gives empty rows, one per row, for a projection onto columns the file does not have", async () => {
    const path = tmpFile("projection-none");
    await write(path, rows(1_500), { rowGroupSize: 1_000 });
    const read = await readAll(path, { columns: ["nothing", "here"] });
    expect(read.length).toBe(1_500);
    expect(read.every((r) => Object.keys(r.value as JsonObject).length === 0)).toBe(true);
    expect((await readAll(path, { columns: [] })).length).toBe(1_500);
  });

  it("reads a file without rows as no rows", async () => {
    const path = tmpFile("empty");
    await write(path, []);
    expect(await readAll(path)).toEqual([]);
    expect(await readAll(path, { columns: ["identityMap"] })).toEqual([]);
  });

  it("can stop early (the reader is released)", async () => {
    const path = tmpFile("early");
    await write(path, rows(20_000), { rowGroupSize: 5_000 });
    const lines: number[] = [];
    for await (const r of readParquetRows(path)) if (lines.push(r.line) === 10) break;
    expect(lines).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await readAll(path)).length).toBe(20_000);
  });

  it("reports a missing file as IO-F001 and a directory as IO-F003, at the path or at the sandbox.json entry that lists it", async () => {
    const file = join(dir, "missing.parquet");
    const e = await failure(file);
    expect(e).toMatchObject({ name: "IoError", code: "IO-F001", location: { file } });
    expect((e as Error).message).toContain("not found");
    const folder = join(dir, "folder.parquet");
    await mkdir(folder);
    expect(await failure(folder)).toMatchObject({ code: "IO-F003", location: { file: folder } });
    const manifest = join(dir, "sandbox.json");
    const listed = { manifest, jsonPath: "$.datasets[2].files[1]", entry: "datasets/folder.parquet" };
    expect(await failure(folder, { listed })).toMatchObject({
      code: "IO-F003",
      location: { file: manifest, jsonPath: "$.datasets[2].files[1]" },
      message: expect.stringContaining('"datasets/folder.parquet" is a directory, not a data file'),
    });
    expect(await failure(file, { listed })).toMatchObject({ code: "IO-F001", location: { file: manifest, jsonPath: "$.datasets[2].files[1]" } });
  });

  it("reports a file that is not Parquet, and a truncated one, as IO-P001 with the path", async () => {
    const text = join(dir, "not.parquet");
    await writeFile(text, '{"this": "is JSON"}\n');
    expect(await failure(text)).toMatchObject({ name: "IoError", code: "IO-P001", location: { file: text }, message: expect.stringContaining("does not start with") });
    const fake = join(dir, "fake.parquet");
    await writeFile(fake, "PAR1 but not really PAR1");
    expect(await failure(fake, { columns: ["identityMap"] })).toMatchObject({ code: "IO-P001", location: { file: fake } });
    const whole = tmpFile("whole");
    await write(whole, rows(3_000));
    const bytes = await readFile(whole);
    const truncated = join(dir, "truncated.parquet");
    await writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
    expect(await failure(truncated)).toMatchObject({ code: "IO-P001", location: { file: truncated }, message: expect.stringContaining("truncated") });
  });

  it("reports damaged column data as IO-P003 with its row group and column, and reads a good file afterwards", async () => {
    const path = tmpFile("damaged");
    await write(path, rows(30_000), { rowGroupSize: 10_000 });
    const groups = await rowGroupsOf(path);
    const bytes = await readFile(path);
    // Garbage over 4 KB in the middle: inside the second row group's column chunks.
    for (let i = 0; i < 4096; i++) bytes[(bytes.length >> 1) + i] = (i * 7919 + 13) & 0xff;
    await writeFile(path, bytes);
    const read: number[] = [];
    const e = await (async () => {
      try {
        for await (const r of readParquetRows(path)) read.push(r.line);
      } catch (error) {
        return error;
      }
      throw new Error("expected the read to fail");
    })();
    expect(groups).toEqual([10_000, 10_000, 10_000]);
    expect(e).toMatchObject({ name: "IoError", code: "IO-P003", location: { file: path } });
    expect((e as Error).message).toMatch(/^damaged Parquet file: the data of row group 1 of 3 \(rows 10,001–20,000\), columns? \S+.* does not decode; write it again/);
    expect(read.length).toBe(10_000);
    // parquet-wasm panicked on its decoding thread; this thread and the next files are unaffected.
    const good = tmpFile("good");
    await write(good, rows(2_000));
    expect((await readAll(good)).map((r) => r.value)).toEqual(rows(2_000));
  });

  it("names at most two damaged columns of a row group damaged throughout (each one found costs a decoding thread)", async () => {
    const path = tmpFile("damaged-throughout");
    await write(path, rows(30_000), { rowGroupSize: 10_000 });
    const bytes = await readFile(path);
    // Garbage over the middle third: every column chunk of the second row group.
    for (let i = Math.floor(bytes.length * 0.36); i < bytes.length * 0.64; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    await writeFile(path, bytes);
    const e = await failure(path);
    expect(e).toMatchObject({ name: "IoError", code: "IO-P003", location: { file: path } });
    expect((e as Error).message).toMatch(/^damaged Parquet file: the data of row group 1 of 3 \(rows 10,001–20,000\), columns \w+, \w+ \(later columns not checked\) does not decode; write it again/);
  });

  it("reports columns of a type it cannot convert as IO-P002, unless projected away", async () => {
    const path = tmpFile("binary");
    const table = new Table({ blob: vectorFromArray([new Uint8Array([1, 2]), new Uint8Array([3])], new Binary()), n: vectorFromArray([1, 2]) });
    await writeFile(path, PW.writeParquet(PW.Table.fromIPCStream(tableToIPC(table, "stream"))));
    expect(await failure(path)).toMatchObject({ name: "IoError", code: "IO-P002", location: { file: path } });
    expect((await readAll(path, { columns: ["n"] })).map((r) => r.value)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
