/**
 * Catalog Service (`/data/foundation/catalog`) over a sandbox: datasets (the manifest's plus those created
 * at run time, kept under `.profile-lab/catalog/datasets/`) and the batches export jobs record. Responses
 * have the platform's shapes: objects keyed by id, `limit` (default 20, 1–100) / `start` paging,
 * `properties=a,b` projection of top-level keys. Rejections are `CatalogError`s with the HTTP status and the
 * Catalog problem body (`{"type":"/placeholder/type/uri","status":404,"title":"NotFoundError",…}`).
 */
import type { SandboxManifest, SchemaRef } from "../io/sandbox-manifest.js";
import { isIdentifier } from "../io/sandbox-path.js";
import { checkRequest } from "../requests/validate.js";
import { parseDateTime } from "../xdm/time.js";
import { PROFILE_UNION_SCHEMA_ID } from "../xdm/types.js";
import { StatusError, type SourceLocation } from "../xdm/errors.js";
import type { BatchRecord } from "./catalog-types.js";
import { deterministicHexId } from "./ids.js";
import type { RecordStore } from "./record-store.js";
import type { SandboxState } from "./sandbox-state.js";

/** The Catalog's problem body (RFC 7807 style, as the platform's Catalog returns it). */
export interface CatalogProblem {
  type: "/placeholder/type/uri";
  status: number;
  title: string;
  detail: string;
}

const TITLES: Record<number, string> = { 400: "BadRequestError", 404: "NotFoundError", 416: "RangeNotSatisfiableError", 500: "InternalServerError" };

/** A Catalog (and Data Access) error with the platform's problem body. */
export class CatalogError extends StatusError {
  override readonly name: string = "CatalogError";
  constructor(
    code: string,
    message: string,
    status: number,
    location: SourceLocation = {},
    /** The platform's `detail` text, when it differs from the message (e.g. "DataSet not found."). */
    readonly problemDetail: string = message,
    /** Extra lines under the message (the other problems of a request body). */
    detail?: string,
  ) {
    super(code, message, status, location, detail);
  }

  /** The response body a server sends for this error. */
  problem(): CatalogProblem {
    return { type: "/placeholder/type/uri", status: this.status, title: TITLES[this.status] ?? "Error", detail: this.problemDetail };
  }
}

/** `POST /dataSets` body. */
export interface DatasetCreateRequest {
  name: string;
  schemaRef: SchemaRef;
  description?: string;
  tags?: Record<string, string[]>;
  fileDescription?: Record<string, unknown>;
  /** Shown in the platform's tutorial request (`"production"`); kept as given. */
  aspect?: string;
}

/** A dataset created at run time, as stored. */
export interface DatasetRecord {
  id: string;
  name: string;
  description?: string;
  imsOrg: string;
  version: "1.0.0";
  created: number;
  updated: number;
  schemaRef: SchemaRef;
  tags: Record<string, string[]>;
  fileDescription?: Record<string, unknown>;
  aspect?: string;
  viewId: string;
}

/** A dataset as `GET /dataSets/{id}` returns it (the value under its id): the record plus derived links. */
export interface CatalogDataset extends Omit<DatasetRecord, "id"> {
  files: string;
  lastBatchId?: string;
  lastBatchStatus?: BatchRecord["status"];
  lastSuccessfulBatch?: string;
}

/** A batch as `GET /batches/{id}` returns it: the record without profile-lab's lake bookkeeping (`files`). */
export type CatalogBatch = Omit<BatchRecord, "files">;

/** Query value as a caller passes it: a number, or the raw query-string text. */
export type QueryNumber = number | string;

/** `properties=a,b` as a string or a list. */
export type PropertiesQuery = string | readonly string[];

export interface ListQuery {
  /** Page size, 1–100 (default 20); 0 or more than 100 → 400. */
  limit?: QueryNumber;
  /** Zero-based offset (default 0). */
  start?: QueryNumber;
  properties?: PropertiesQuery;
}

export interface BatchListQuery extends ListQuery {
  /** Only batches related to this dataset. */
  dataSet?: string;
  /** `desc:created` (default) or `asc:created`. */
  orderBy?: string;
}

export interface CatalogOptions {
  /** Epoch milliseconds "now"; the only source of time. */
  clock: () => number;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

function bad(code: string, jsonPath: string, message: string): CatalogError {
  return new CatalogError("CAT-" + code, message, 400, { jsonPath });
}

function queryInt(value: QueryNumber | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "number" ? value : /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n)) throw bad("010", `query.${name}`, `${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Validates `limit` (1–100, default 20) and `start` (≥ 0, default 0). */
export function parsePaging(query: { limit?: QueryNumber; start?: QueryNumber }, max = MAX_LIST_LIMIT, fallback = DEFAULT_LIST_LIMIT): { limit: number; start: number } {
  const limit = queryInt(query.limit, "limit") ?? fallback;
  if (limit < 1 || limit > max) {
    throw bad("011", "query.limit", `limit must be between 1 and ${max} (got ${limit}); use start to page through more results`);
  }
  const start = queryInt(query.start, "start") ?? 0;
  if (start < 0) throw bad("012", "query.start", `start must be a zero-based offset ≥ 0 (got ${start})`);
  return { limit, start };
}

function parseProperties(properties: PropertiesQuery | undefined): string[] | undefined {
  if (properties === undefined) return undefined;
  const list = (typeof properties === "string" ? properties.split(",") : [...properties]).map((p) => p.trim()).filter((p) => p !== "");
  return list.length === 0 ? undefined : list;
}

/** Keeps only the listed top-level keys; keys the object lacks are omitted (the result may be `{}`). */
function project<T extends object>(value: T, properties: readonly string[] | undefined): Partial<T> {
  if (properties === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const p of properties) {
    if (Object.prototype.hasOwnProperty.call(value, p)) out[p] = (value as Record<string, unknown>)[p];
  }
  return out as Partial<T>;
}

/**
 * A `POST /dataSets` body, checked against DATASET_REQUEST_SCHEMA at every level (codes CAT-001…015 by
 * field); only datasets of the profile union schema (export targets) can be created (CAT-006).
 */
function parseCreateRequest(body: unknown, file: string | undefined): DatasetCreateRequest {
  const where = (jsonPath: string): SourceLocation => ({ ...(file !== undefined ? { file } : {}), jsonPath });
  const request = checkRequest<DatasetCreateRequest>("dataset", body, (p, detail) => new CatalogError(p.code, p.message, 400, where(p.jsonPath), p.message, detail));
  if (request.schemaRef.id !== PROFILE_UNION_SCHEMA_ID) {
    throw new CatalogError(
      "CAT-006",
      `only datasets of the profile union schema "${PROFILE_UNION_SCHEMA_ID}" (export targets) can be created here; ` +
        `"${request.schemaRef.id}" datasets come from sandbox.json`,
      400,
      where("$.schemaRef.id"),
    );
  }
  return structuredClone(request);
}

/** The `viewId` of a dataset (24 hex characters, derived from the sandbox name and dataset id). */
export function datasetViewId(sandboxName: string, datasetId: string): string {
  return deterministicHexId(sandboxName, "dataset-view", datasetId).slice(0, 24);
}

function byCreated(a: { created: number; id: string }, b: { created: number; id: string }): number {
  return a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class Catalog {
  private readonly datasets: RecordStore<DatasetRecord>;
  private readonly batches: RecordStore<BatchRecord>;

  constructor(
    state: SandboxState,
    private readonly manifest: Pick<SandboxManifest, "name" | "imsOrgId" | "datasets" | "referenceTime">,
    private readonly options: CatalogOptions,
  ) {
    this.datasets = state.records<DatasetRecord>("datasets");
    this.batches = state.records<BatchRecord>("batches");
  }

  private viewIdOf(datasetId: string): string {
    return datasetViewId(this.manifest.name, datasetId);
  }

  /** Every dataset record: the manifest's (in manifest order, stamped with its reference time) then the created ones. */
  private datasetRecords(): DatasetRecord[] {
    const stamp = (this.manifest.referenceTime !== undefined ? parseDateTime(this.manifest.referenceTime) : undefined) ?? 0;
    const fromManifest = this.manifest.datasets.map(
      (d): DatasetRecord => ({
        id: d.id,
        name: d.name,
        ...(d.description !== undefined ? { description: d.description } : {}),
        imsOrg: this.manifest.imsOrgId,
        version: "1.0.0",
        created: stamp,
        updated: stamp,
        schemaRef: { ...d.schemaRef },
        tags: structuredClone(d.tags ?? {}),
        viewId: this.viewIdOf(d.id),
      }),
    );
    const known = new Set(fromManifest.map((d) => d.id));
    return [...fromManifest, ...this.datasets.all().filter((d) => !known.has(d.id)).sort(byCreated)];
  }

  private datasetRecord(id: string): DatasetRecord | undefined {
    const entry = this.manifest.datasets.find((d) => d.id === id);
    if (entry !== undefined) return this.datasetRecords().find((d) => d.id === id);
    return isIdentifier(id) ? this.datasets.get(id) : undefined;
  }

  private allBatches(): BatchRecord[] {
    return this.batches.all();
  }

  /** The dataset as the Catalog returns it, with the last batch derived from the batch records. */
  private view(record: DatasetRecord, batches: readonly BatchRecord[]): CatalogDataset {
    const own = batches.filter((b) => b.relatedObjects?.some((o) => o.type === "dataSet" && o.id === record.id)).sort(byCreated);
    const last = own.at(-1);
    const lastSuccess = own.filter((b) => b.status === "success").at(-1);
    const { id, ...rest } = record;
    return {
      ...rest,
      updated: Math.max(record.updated, last?.updated ?? 0),
      files: `@/dataSetFiles?dataSetId=${id}`,
      ...(last !== undefined ? { lastBatchId: last.id, lastBatchStatus: last.status } : {}),
      ...(lastSuccess !== undefined ? { lastSuccessfulBatch: lastSuccess.id } : {}),
    };
  }

  /** Whether a dataset with this id exists (manifest or created). */
  hasDataset(id: string): boolean {
    return this.datasetRecord(id) !== undefined;
  }

  /**
   * `POST /dataSets` → 201 with `["@/dataSets/<id>"]` (24-hex id). Only the profile union schema (export
   * targets) can be created; other schemas → 400 at `$.schemaRef.id`.
   */
  createDataset(body: unknown, file?: string): string[] {
    const request = parseCreateRequest(body, file);
    const now = this.options.clock();
    const taken = new Set([...this.manifest.datasets.map((d) => d.id), ...this.datasets.ids()]);
    let id = "";
    for (let n = this.datasets.ids().length; id === "" || taken.has(id); n++) {
      id = deterministicHexId(this.manifest.name, "dataset", now, n).slice(0, 24);
    }
    const record: DatasetRecord = {
      id,
      name: request.name,
      ...(request.description !== undefined ? { description: request.description } : {}),
      imsOrg: this.manifest.imsOrgId,
      version: "1.0.0",
      created: now,
      updated: now,
      schemaRef: request.schemaRef,
      tags: request.tags ?? {},
      ...(request.fileDescription !== undefined ? { fileDescription: request.fileDescription } : {}),
      ...(request.aspect !== undefined ? { aspect: request.aspect } : {}),
      viewId: this.viewIdOf(id),
    };
    this.datasets.put(id, record);
    return [`@/dataSets/${id}`];
  }

  /** `GET /dataSets/{id}?properties=a,b` → `{ "<id>": {…} }`, or 404 "DataSet not found.". */
  getDataset(id: string, query: { properties?: PropertiesQuery } = {}): Record<string, Partial<CatalogDataset>> {
    const properties = parseProperties(query.properties);
    const record = this.datasetRecord(id);
    if (record === undefined) {
      throw new CatalogError("CAT-404", `DataSet not found: "${id}"`, 404, { jsonPath: "$.id" }, "DataSet not found.");
    }
    return { [id]: project(this.view(record, this.allBatches()), properties) };
  }

  /** `GET /dataSets?limit&start&properties` → an object keyed by id (manifest datasets first, then created ones). */
  listDatasets(query: ListQuery = {}): Record<string, Partial<CatalogDataset>> {
    const { limit, start } = parsePaging(query);
    const properties = parseProperties(query.properties);
    const batches = this.allBatches();
    const out: Record<string, Partial<CatalogDataset>> = {};
    for (const record of this.datasetRecords().slice(start, start + limit)) out[record.id] = project(this.view(record, batches), properties);
    return out;
  }

  /**
   * `GET /batches?dataSet&limit&start&orderBy&properties` → an object keyed by batch id, in `orderBy` order
   * (`desc:created` by default; ties by id).
   */
  listBatches(query: BatchListQuery = {}): Record<string, Partial<CatalogBatch>> {
    const { limit, start } = parsePaging(query);
    const properties = parseProperties(query.properties);
    const orderBy = query.orderBy ?? "desc:created";
    if (orderBy !== "desc:created" && orderBy !== "asc:created") {
      throw bad("014", "query.orderBy", `orderBy must be "desc:created" or "asc:created", got ${JSON.stringify(orderBy)}`);
    }
    let batches = this.allBatches();
    if (query.dataSet !== undefined) {
      batches = batches.filter((b) => b.relatedObjects?.some((o) => o.type === "dataSet" && o.id === query.dataSet));
    }
    batches.sort(byCreated);
    if (orderBy === "desc:created") batches.reverse();
    const out: Record<string, Partial<CatalogBatch>> = {};
    for (const b of batches.slice(start, start + limit)) out[b.id] = project(batchView(b), properties);
    return out;
  }

  /** `GET /batches/{id}` → `{ "<id>": {…} }`, or 404 "Batch not found.". */
  getBatch(id: string, query: { properties?: PropertiesQuery } = {}): Record<string, Partial<CatalogBatch>> {
    const record = this.batchRecord(id);
    if (record === undefined) throw new CatalogError("CAT-405", `Batch not found: "${id}"`, 404, { jsonPath: "$.id" }, "Batch not found.");
    return { [id]: project(batchView(record), parseProperties(query.properties)) };
  }

  /** The stored batch record (with its lake files), or undefined. */
  batchRecord(id: string): BatchRecord | undefined {
    return isIdentifier(id) ? this.batches.get(id) : undefined;
  }
}

function batchView(record: BatchRecord): CatalogBatch {
  const { files: _files, ...rest } = record;
  return rest;
}
