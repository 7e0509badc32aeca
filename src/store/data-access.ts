/**
 * Data Access (`/data/foundation/export`) over the local lake: the part files of a successful batch, each
 * exposed as a dataset file `<batchId>-<n>` (n from 1, in the batch record's file order), and their bytes,
 * whole (200) or a byte range (206 with `Content-Range`). Files are read from
 * `SandboxState.batchDir(dataset, batch)`; a batch that is not `success` lists no files.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename, join } from "node:path";
import type { SandboxManifest } from "../io/sandbox-manifest.js";
import { checkReadable, isIdentifier } from "../io/sandbox-path.js";
import { ProfileLabError } from "../xdm/errors.js";
import { CatalogError, datasetViewId, type QueryNumber } from "./catalog.js";
import type { BatchRecord } from "./catalog-types.js";
import type { RecordStore } from "./record-store.js";
import type { SandboxState } from "./sandbox-state.js";

export const DATA_ACCESS_BASE_URL = "https://platform.adobe.io/data/foundation/export";

/** Default and maximum number of dataset files per page. */
export const MAX_FILES_PER_PAGE = 100;

/** Data Access documents no error bodies; its errors use the Catalog's problem shape. */
export class DataAccessError extends CatalogError {
  override readonly name = "DataAccessError";
}

export interface DataSetFileEntry {
  dataSetFileId: string;
  dataSetViewId: string;
  version: "1.0.0";
  /** Epoch ms as a string. */
  created: string;
  updated: string;
  isValid: true;
  _links: { self: { href: string } };
}

/** `GET /batches/{batchId}/files`. */
export interface BatchFilesResponse {
  data: DataSetFileEntry[];
  /** `count` = entries on this page. */
  _page: { limit: number; count: number };
  /** Present when more files follow this page. */
  _links?: { next: { href: string } };
}

export interface FileEntry {
  name: string;
  /** Size in bytes, as a string. */
  length: string;
  _links: { self: { href: string } };
}

/** `GET /files/{dataSetFileId}`. */
export interface FileResponse {
  data: FileEntry[];
  _page: { limit: number; count: number };
}

/** An HTTP byte range, both ends inclusive (`Range: bytes=start-end`); `end` omitted = to the end of the file. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** `GET /files/{dataSetFileId}?path=<name>` (with an optional `Range`). */
export interface FileContent {
  bytes: Uint8Array;
  status: 200 | 206;
  contentLength: number;
  /** `bytes <first>-<last>/<total>` for a 206. */
  contentRange?: string;
  contentType: string;
}

/** `HEAD /files/{dataSetFileId}?path=<name>`. */
export interface FileHead {
  contentLength: number;
  contentType: string;
  acceptRanges: "bytes";
}

export interface DataAccessOptions {
  /** Prefix of the `_links` hrefs (default `https://platform.adobe.io/data/foundation/export`). */
  baseUrl?: string;
}

type BatchFile = NonNullable<BatchRecord["files"]>[number];

function notFound(code: string, message: string, jsonPath: string): DataAccessError {
  return new DataAccessError(code, message, 404, { jsonPath });
}

function queryInt(value: QueryNumber | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "number" ? value : /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new DataAccessError("DAC-010", `${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`, 400, { jsonPath: `query.${name}` });
  }
  return n;
}

/**
 * The `ByteRange` of a `Range` header `bytes=<first>-<last>` or `bytes=<first>-`; undefined for anything
 * else (no header, other units, several ranges, suffix ranges), which HTTP lets a server answer with the
 * whole file (200).
 */
export function parseRangeHeader(header: string | undefined): ByteRange | undefined {
  const m = header === undefined ? null : /^\s*bytes\s*=\s*(\d+)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return undefined;
  const start = Number(m[1]);
  return m[2] === "" ? { start } : { start, end: Number(m[2]) };
}

/** Reads `length` bytes at `position` (fewer if the file is shorter). */
function readAt(fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, bytes, off, length - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return off === length ? bytes : bytes.subarray(0, off);
}

function contentTypeOf(name: string): string {
  if (name.endsWith(".parquet")) return "application/parquet";
  if (name.endsWith(".json")) return "application/json";
  return "application/octet-stream";
}

export class DataAccess {
  private readonly batches: RecordStore<BatchRecord>;
  private readonly baseUrl: string;

  constructor(
    private readonly state: SandboxState,
    private readonly manifest: Pick<SandboxManifest, "name">,
    options: DataAccessOptions = {},
  ) {
    this.batches = state.records<BatchRecord>("batches");
    this.baseUrl = (options.baseUrl ?? DATA_ACCESS_BASE_URL).replace(/\/+$/, "");
  }

  private batch(batchId: string, jsonPath: string): BatchRecord {
    const record = isIdentifier(batchId) ? this.batches.get(batchId) : undefined;
    if (record === undefined) throw notFound("DAC-404", `batch "${batchId}" not found`, jsonPath);
    return record;
  }

  /** The part files a batch exposes: none unless it is `success`. */
  private filesOf(batch: BatchRecord): BatchFile[] {
    return batch.status === "success" ? (batch.files ?? []) : [];
  }

  private datasetOf(batch: BatchRecord): string {
    const ds = batch.relatedObjects?.find((o) => o.type === "dataSet")?.id;
    if (ds === undefined) throw new DataAccessError("DAC-501", `batch "${batch.id}" is not related to a dataset`, 500, { jsonPath: "$.relatedObjects" });
    return ds;
  }

  /** Resolves `<batchId>-<n>` to its batch and part file; unknown → 404. */
  private file(fileId: string): { batch: BatchRecord; file: BatchFile } {
    const m = /^(.+)-([1-9]\d*)$/.exec(fileId);
    const fail = (): DataAccessError => notFound("DAC-405", `dataset file "${fileId}" not found`, "$.dataSetFileId");
    if (m === null) throw fail();
    const batch = isIdentifier(m[1]!) ? this.batches.get(m[1]!) : undefined;
    const file = batch && this.filesOf(batch)[Number(m[2]) - 1];
    if (batch === undefined || file === undefined) throw fail();
    return { batch, file };
  }

  private fileHref(fileId: string): string {
    return `${this.baseUrl}/files/${encodeURIComponent(fileId)}`;
  }

  /** `GET /batches/{batchId}/files?start&limit` (limit 1–100, default 100); unknown batch → 404. */
  listBatchFiles(batchId: string, query: { start?: QueryNumber; limit?: QueryNumber } = {}): BatchFilesResponse {
    const batch = this.batch(batchId, "$.batchId");
    const limit = queryInt(query.limit, "limit", MAX_FILES_PER_PAGE, 1, MAX_FILES_PER_PAGE);
    const start = queryInt(query.start, "start", 0, 0, Number.MAX_SAFE_INTEGER);
    const files = this.filesOf(batch);
    const viewId = files.length > 0 ? datasetViewId(this.manifest.name, this.datasetOf(batch)) : "";
    const stamp = String(batch.completed ?? batch.updated);
    const data = files.slice(start, start + limit).map((_, i): DataSetFileEntry => {
      const dataSetFileId = `${batch.id}-${start + i + 1}`;
      return {
        dataSetFileId,
        dataSetViewId: viewId,
        version: "1.0.0",
        created: stamp,
        updated: stamp,
        isValid: true,
        _links: { self: { href: this.fileHref(dataSetFileId) } },
      };
    });
    const more = start + limit < files.length;
    return {
      data,
      _page: { limit, count: data.length },
      ...(more ? { _links: { next: { href: `${this.baseUrl}/batches/${encodeURIComponent(batch.id)}/files?start=${start + limit}&limit=${limit}` } } } : {}),
    };
  }

  /** `GET /files/{dataSetFileId}` → the file's name, length and download link; unknown → 404. */
  getFile(fileId: string): FileResponse {
    const { file } = this.file(fileId);
    this.servable(this.locate(fileId, file.name).location, fileId);
    return {
      data: [{ name: file.name, length: String(file.length), _links: { self: { href: `${this.fileHref(fileId)}?path=${encodeURIComponent(file.name)}` } } }],
      _page: { limit: MAX_FILES_PER_PAGE, count: 1 },
    };
  }

  private locate(fileId: string, path: string): { location: string; name: string } {
    const { batch, file } = this.file(fileId);
    if (path !== file.name || basename(file.name) !== file.name) {
      throw notFound("DAC-406", `dataset file "${fileId}" has no path "${path}" (it holds "${file.name}")`, "query.path");
    }
    return { location: join(this.state.batchDir(this.datasetOf(batch), batch.id), file.name), name: file.name };
  }

  /** A part file of the lake, checked before it is listed or served: a regular file inside the sandbox (io/sandbox-path.ts). */
  private servable(location: string, fileId: string): string {
    try {
      checkReadable(location, { sandboxDir: this.state.sandboxDir });
      return location;
    } catch (e) {
      if (e instanceof ProfileLabError && e.code !== "IO-F001") {
        throw new DataAccessError("DAC-502", `dataset file "${fileId}" is not served: ${e.message}`, 500, e.location);
      }
      throw new DataAccessError("DAC-500", `dataset file "${fileId}" is recorded but missing from the lake (${location})`, 500, { file: location });
    }
  }

  private open(location: string, fileId: string): number {
    try {
      return openSync(this.servable(location, fileId), "r");
    } catch (e) {
      if (e instanceof DataAccessError) throw e;
      throw new DataAccessError(
        "DAC-500",
        `dataset file "${fileId}" is recorded but missing from the lake (${location}): ${e instanceof Error ? e.message : String(e)}`,
        500,
        { file: location },
      );
    }
  }

  /** `HEAD /files/{dataSetFileId}?path=<name>`. */
  headFile(fileId: string, path: string): FileHead {
    const { location, name } = this.locate(fileId, path);
    const fd = this.open(location, fileId);
    try {
      return { contentLength: fstatSync(fd).size, contentType: contentTypeOf(name), acceptRanges: "bytes" };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * `GET /files/{dataSetFileId}?path=<name>`: the whole file (200), or with `range` the bytes
   * `start..end` inclusive (206, `Content-Range: bytes start-end/total`; `end` is clamped to the last byte).
   * Unknown file or path → 404; a range starting beyond the file → 416.
   */
  readFile(fileId: string, path: string, range?: ByteRange): FileContent {
    const { location, name } = this.locate(fileId, path);
    const contentType = contentTypeOf(name);
    const fd = this.open(location, fileId);
    try {
      const total = fstatSync(fd).size;
      if (range === undefined) {
        const bytes = readAt(fd, 0, total);
        return { bytes, status: 200, contentLength: bytes.length, contentType };
      }
      const { start, end } = range;
      if (!Number.isInteger(start) || start < 0 || (end !== undefined && (!Number.isInteger(end) || end < start))) {
        throw new DataAccessError("DAC-011", `invalid byte range ${JSON.stringify(range)}: start and end are integers with 0 ≤ start ≤ end`, 400, { jsonPath: "header.Range" });
      }
      if (start >= total) {
        throw new DataAccessError("DAC-416", `range start ${start} is beyond the end of "${name}" (${total} bytes)`, 416, { jsonPath: "header.Range" });
      }
      const last = Math.min(end ?? total - 1, total - 1);
      const bytes = readAt(fd, start, last - start + 1);
      return { bytes, status: 206, contentLength: bytes.length, contentRange: `bytes ${start}-${start + bytes.length - 1}/${total}`, contentType };
    } finally {
      closeSync(fd);
    }
  }
}
