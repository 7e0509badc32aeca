import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { datasetViewId } from "./catalog.js";
import type { BatchRecord } from "./catalog-types.js";
import { DataAccess, DataAccessError, parseRangeHeader } from "./data-access.js";
import { SandboxState } from "./sandbox-state.js";
import { thrown } from "../../test/helpers/thrown.js";

const BASE = "https://platform.adobe.io/data/foundation/export";
const CREATED = Date.parse("2024-05-01T01:00:00Z");
const B1 = "da5cfb4de32c4b93a09f7e37fa53ad52";

let dir: string;
let state: SandboxState;
const access = (): DataAccess => new DataAccess(state, { name: "acme" });

/** Writes a batch record and its part files (content: byte i = (seed + i) % 256). */
function writeBatch(id: string, sizes: number[], status: BatchRecord["status"] = "success", datasetId = "ds_export"): Uint8Array[] {
  const folder = state.batchDir(datasetId, id);
  mkdirSync(folder, { recursive: true });
  const contents = sizes.map((size, f) => Uint8Array.from({ length: size }, (_, i) => (f * 7 + i) % 256));
  const files = contents.map((bytes, f) => {
    const name = `part-${String(f).padStart(5, "0")}.parquet`;
    writeFileSync(join(folder, name), bytes);
    return { name, path: relative(dir, join(folder, name)), rows: 10, length: bytes.length };
  });
  state.records<BatchRecord>("batches").put(id, {
    id,
    imsOrg: "ACME@AdobeOrg",
    status,
    created: CREATED,
    updated: CREATED + 5000,
    ...(status === "success" ? { completed: CREATED + 5000 } : {}),
    relatedObjects: [{ type: "dataSet", id: datasetId }],
    version: "1.0.0",
    inputFormat: { format: "parquet" },
    recordCount: 10 * sizes.length,
    size: sizes.reduce((a, b) => a + b, 0),
    files,
    tags: { exportJobId: ["1"] },
  });
  return contents;
}

const rejection = (fn: () => unknown): DataAccessError => thrown(fn, DataAccessError);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "profile-lab-data-access-"));
  state = new SandboxState(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("E15 — reading the export through Data Access", () => {
  it("lists the two part files of a batch", () => {
    writeBatch(B1, [300, 120]);
    const res = access().listBatchFiles(B1);
    expect(res).toEqual({
      data: [1, 2].map((n) => ({
        dataSetFileId: `${B1}-${n}`,
        dataSetViewId: datasetViewId("acme", "ds_export"),
        version: "1.0.0",
        created: String(CREATED + 5000),
        updated: String(CREATED + 5000),
        isValid: true,
        _links: { self: { href: `${BASE}/files/${B1}-${n}` } },
      })),
      _page: { limit: 100, count: 2 },
    });
  });

  it("describes one file: name, length as a string, download link with ?path=", () => {
    writeBatch(B1, [300, 120]);
    expect(access().getFile(`${B1}-1`)).toEqual({
      data: [{ name: "part-00000.parquet", length: "300", _links: { self: { href: `${BASE}/files/${B1}-1?path=part-00000.parquet` } } }],
      _page: { limit: 100, count: 1 },
    });
    expect(access().getFile(`${B1}-2`).data[0]).toMatchObject({ name: "part-00001.parquet", length: "120" });
  });

  it("downloads a file whole (200) and with Range bytes=0-99 (206, Content-Range)", () => {
    const [first] = writeBatch(B1, [300, 120]);
    const whole = access().readFile(`${B1}-1`, "part-00000.parquet");
    expect(whole.status).toBe(200);
    expect(whole.contentLength).toBe(300);
    expect(whole.contentType).toBe("application/parquet");
    expect(whole.contentRange).toBeUndefined();
    expect(Buffer.from(whole.bytes).equals(Buffer.from(first!))).toBe(true);

    const part = access().readFile(`${B1}-1`, "part-00000.parquet", { start: 0, end: 99 });
    expect(part.status).toBe(206);
    expect(part.contentRange).toBe("bytes 0-99/300");
    expect(part.contentLength).toBe(100);
    expect(Buffer.from(part.bytes).equals(Buffer.from(first!.subarray(0, 100)))).toBe(true);
  });

  it("ranges: open end, end clamped to the last byte, start beyond the file → 416, bad range → 400", () => {
    const [first] = writeBatch(B1, [300]);
    const tail = access().readFile(`${B1}-1`, "part-00000.parquet", { start: 250 });
    expect([tail.status, tail.contentRange, tail.contentLength]).toEqual([206, "bytes 250-299/300", 50]);
    expect(Buffer.from(tail.bytes).equals(Buffer.from(first!.subarray(250)))).toBe(true);
    const clamped = access().readFile(`${B1}-1`, "part-00000.parquet", { start: 290, end: 1000 });
    expect([clamped.contentRange, clamped.contentLength]).toEqual(["bytes 290-299/300", 10]);
    expect(rejection(() => access().readFile(`${B1}-1`, "part-00000.parquet", { start: 300 })).status).toBe(416);
    expect(rejection(() => access().readFile(`${B1}-1`, "part-00000.parquet", { start: 10, end: 5 })).status).toBe(400);
    expect(rejection(() => access().readFile(`${B1}-1`, "part-00000.parquet", { start: -1 })).status).toBe(400);
  });

  it("parseRangeHeader reads bytes=a-b and bytes=a-, and ignores other forms", () => {
    expect(parseRangeHeader("bytes=0-99")).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader("Bytes = 100-")).toEqual({ start: 100 });
    for (const h of [undefined, "", "bytes=-100", "bytes=0-1,5-9", "items=0-1", "bytes=a-b"]) expect(parseRangeHeader(h)).toBeUndefined();
    writeBatch(B1, [300]);
    expect(access().readFile(`${B1}-1`, "part-00000.parquet", parseRangeHeader("bytes=0-99")).contentRange).toBe("bytes 0-99/300");
  });

  it("HEAD gives the length and type", () => {
    writeBatch(B1, [300]);
    expect(access().headFile(`${B1}-1`, "part-00000.parquet")).toEqual({ contentLength: 300, contentType: "application/parquet", acceptRanges: "bytes" });
  });
});

describe("paging", () => {
  it("start/limit page through the files; ids keep their position; next link while more follow", () => {
    writeBatch(B1, [10, 11, 12, 13, 14]);
    const first = access().listBatchFiles(B1, { limit: 2 });
    expect(first.data.map((d) => d.dataSetFileId)).toEqual([`${B1}-1`, `${B1}-2`]);
    expect(first._page).toEqual({ limit: 2, count: 2 });
    expect(first._links).toEqual({ next: { href: `${BASE}/batches/${B1}/files?start=2&limit=2` } });
    const last = access().listBatchFiles(B1, { start: "4", limit: "2" });
    expect(last.data.map((d) => d.dataSetFileId)).toEqual([`${B1}-5`]);
    expect(last._links).toBeUndefined();
    expect(access().getFile(`${B1}-5`).data[0]!.length).toBe("14");
  });

  it("limit must be 1–100 and start ≥ 0 (400)", () => {
    writeBatch(B1, [10]);
    for (const q of [{ limit: 0 }, { limit: 101 }, { start: -1 }, { limit: "x" }]) {
      expect(rejection(() => access().listBatchFiles(B1, q)).status).toBe(400);
    }
  });
});

describe("errors and non-successful batches", () => {
  it("a batch that is not success lists no files and serves none", () => {
    writeBatch("loading1", [10], "loading");
    writeBatch("failed1", [10], "failed");
    for (const id of ["loading1", "failed1"]) {
      expect(access().listBatchFiles(id)).toEqual({ data: [], _page: { limit: 100, count: 0 } });
      expect(rejection(() => access().getFile(`${id}-1`)).status).toBe(404);
      expect(rejection(() => access().readFile(`${id}-1`, "part-00000.parquet")).status).toBe(404);
    }
  });

  it("unknown batch, file id, file number and path → 404", () => {
    writeBatch(B1, [10, 10]);
    const unknownBatch = rejection(() => access().listBatchFiles("nope"));
    expect([unknownBatch.status, unknownBatch.code, unknownBatch.location.jsonPath]).toEqual([404, "DAC-404", "$.batchId"]);
    expect(unknownBatch.problem()).toMatchObject({ status: 404, title: "NotFoundError" });
    for (const id of [`${B1}-3`, `${B1}-0`, `${B1}-01`, B1, "nope-1", "../x-1"]) {
      expect(rejection(() => access().getFile(id)).code).toBe("DAC-405");
    }
    const badPath = rejection(() => access().readFile(`${B1}-1`, "part-00001.parquet"));
    expect([badPath.status, badPath.code, badPath.location.jsonPath]).toEqual([404, "DAC-406", "query.path"]);
    expect(rejection(() => access().readFile(`${B1}-1`, "../part-00000.parquet")).status).toBe(404);
  });

  it("a recorded file missing from the lake → 500 naming the file", () => {
    writeBatch(B1, [10]);
    rmSync(join(state.batchDir("ds_export", B1), "part-00000.parquet"));
    const e = rejection(() => access().readFile(`${B1}-1`, "part-00000.parquet"));
    expect([e.status, e.code]).toEqual([500, "DAC-500"]);
    expect(e.message).toContain("missing from the lake");
  });

  it("custom base URL for the links", () => {
    writeBatch(B1, [10]);
    const da = new DataAccess(state, { name: "acme" }, { baseUrl: "http://localhost:8080/data/foundation/export/" });
    expect(da.listBatchFiles(B1).data[0]!._links.self.href).toBe(`http://localhost:8080/data/foundation/export/files/${B1}-1`);
  });
});
