/**
 * `GET /segment/jobs` and `POST /segment/jobs/bulk-get`: paging by `start`/`limit`, a status filter,
 * `sort=<attribute>:asc|desc`, and `property=` filters (`segments~segmentId==<id>` for a value inside an
 * array, `<dotted.path>==<value>` otherwise).
 */
import { checkRequest } from "../requests/validate.js";
import { SegmentError } from "./segment-error.js";
import type { SegmentJob, SegmentJobStatus } from "./segment-job.js";

export interface SegmentJobListQuery {
  readonly start?: number;
  readonly limit?: number;
  readonly status?: SegmentJobStatus;
  /** `creationTime:desc` (default), `updateTime:asc`, … */
  readonly sort?: string;
  readonly property?: string;
}

export interface SegmentJobList {
  _page: { totalCount: number; pageSize: number };
  children: SegmentJob[];
  _links: { next: { href?: string } };
}

const STATUSES: readonly SegmentJobStatus[] = ["NEW", "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"];

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const p of path) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** A predicate for one `property=` filter. */
function propertyFilter(property: string): (job: SegmentJob) => boolean {
  const inArray = /^([\w.]+)~([\w.]+)==(.+)$/.exec(property);
  if (inArray) {
    const [, arrayPath, itemPath, value] = inArray;
    return (job) => {
      const items = at(job, arrayPath!.split("."));
      return Array.isArray(items) && items.some((item) => String(at(item, itemPath!.split("."))) === value);
    };
  }
  const plain = /^([\w.]+)==(.+)$/.exec(property);
  if (plain) return (job) => String(at(job, plain[1]!.split("."))) === plain[2];
  throw new SegmentError("SEG-L001", `property must be "<array>~<field>==<value>" or "<path>==<value>", not "${property}"`, { jsonPath: "property" });
}

export function listSegmentJobs(jobs: readonly SegmentJob[], query: SegmentJobListQuery = {}): SegmentJobList {
  const start = query.start ?? 0;
  const limit = query.limit ?? 100;
  if (!Number.isSafeInteger(start) || start < 0) throw new SegmentError("SEG-L001", `start must be a whole number, not ${start}`, { jsonPath: "start" });
  if (!Number.isSafeInteger(limit) || limit < 1) throw new SegmentError("SEG-L001", `limit must be a positive whole number, not ${limit}`, { jsonPath: "limit" });
  if (query.status !== undefined && !STATUSES.includes(query.status)) {
    throw new SegmentError("SEG-L001", `status must be one of ${STATUSES.join(", ")}, not "${query.status}"`, { jsonPath: "status" });
  }
  const [field = "creationTime", direction = "desc"] = (query.sort ?? "creationTime:desc").split(":");
  if (direction !== "asc" && direction !== "desc") throw new SegmentError("SEG-L001", `sort must be <attribute>:asc or <attribute>:desc, not "${query.sort}"`, { jsonPath: "sort" });
  const sign = direction === "asc" ? 1 : -1;
  let all = [...jobs];
  if (query.status !== undefined) all = all.filter((j) => j.status === query.status);
  if (query.property !== undefined) all = all.filter(propertyFilter(query.property));
  all.sort((a, b) => {
    const x = at(a, field.split("."));
    const y = at(b, field.split("."));
    const c = x === y ? 0 : (x as number | string) < (y as number | string) ? -1 : 1;
    return sign * c || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });
  const children = all.slice(start, start + limit);
  const more = start + limit < all.length;
  return {
    _page: { totalCount: all.length, pageSize: children.length },
    children,
    _links: { next: more ? { href: `/segment/jobs?start=${start + limit}&limit=${limit}` } : {} },
  };
}

/** `POST /segment/jobs/bulk-get` with `{"ids": [{"id": …}]}` → `{"results": {"<id>": job}}` (unknown ids left out). */
export function bulkGetSegmentJobs(jobs: readonly SegmentJob[], body: unknown): { results: Record<string, SegmentJob> } {
  const ids = typeof body === "object" && body !== null ? (body as { ids?: unknown }).ids : undefined;
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === "object" && x !== null && typeof (x as { id?: unknown }).id === "string")) {
    throw new SegmentError("SEG-L002", "the body must be {\"ids\": [{\"id\": \"<segment job id>\"}, …]}", { jsonPath: "$.ids" });
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const results: Record<string, SegmentJob> = {};
  for (const { id } of ids as { id: string }[]) {
    const job = byId.get(id);
    if (job) results[id] = job;
  }
  return { results };
}

/**
 * The body of `POST /segment/jobs`: an array `[{"segmentId": …}, …]` (up to 1,500 segments), or
 * `{"schema": {"name": "_xdm.context.profile"}, "segments": [{"segmentId": "*"}]}` for every segment (the
 * object form also takes up to 1,500 ids). Checked against SEGMENT_JOB_REQUEST_SCHEMA at every level, then: `*`
 * only alone in the object form, no id twice, and with `known` every id one of them (SEG-J001 at its JSON path).
 * Returns the segment ids (`["*"]` for all).
 */
export function parseSegmentJobRequest(body: unknown, file?: string, known?: ReadonlySet<string>): string[] {
  checkRequest("segmentJob", body, (p, detail) => new SegmentError(p.code, p.message, { file, jsonPath: p.jsonPath }, detail));
  const fail = (jsonPath: string, message: string): never => {
    throw new SegmentError("SEG-R001", message, { file, jsonPath });
  };
  const arrayForm = Array.isArray(body);
  const at = arrayForm ? "$" : "$.segments";
  const entries = (arrayForm ? body : (body as { segments: unknown[] }).segments) as { segmentId: string }[];
  const first = new Map<string, number>();
  const ids = entries.map(({ segmentId }, i) => {
    if (segmentId === "*") {
      if (arrayForm) fail(`$[${i}].segmentId`, '"*" goes in the object form: {"schema": {"name": "_xdm.context.profile"}, "segments": [{"segmentId": "*"}]}');
      if (entries.length > 1) fail(`${at}[${i}].segmentId`, '"*" means every segment and must stand alone');
    }
    const seen = first.get(segmentId);
    // The platform documents no de-duplication; a repeated id is a mistake in the request.
    if (seen !== undefined) fail(`${at}[${i}].segmentId`, `segment "${segmentId}" is listed twice (${at}[${seen}] and ${at}[${i}])`);
    first.set(segmentId, i);
    return segmentId;
  });
  ids.forEach((id, i) => {
    if (known === undefined || id === "*" || known.has(id)) return;
    throw new SegmentError("SEG-J001", `unknown segment "${id}"; known segments: ${[...known].join(", ") || "none"}`, { file, jsonPath: `${at}[${i}].segmentId` });
  });
  return ids;
}
