/**
 * `GET /export/jobs`: newest first, paged with an opaque `{creationTime}_{id}` offset cursor, filtered by
 * status, answered as `{records, page, link}`. The Profile API's variant of the page adds `start` (skip
 * that many jobs), `page` (1-based page of `limit` jobs) and `sort` (`creationTime|updateTime|id:asc|desc`).
 */
import type { ExportJob, ExportJobStatus } from "./export-job.js";
import { ExportError } from "./export-request.js";

export interface ExportJobListQuery {
  readonly limit?: number;
  /** The cursor of the last record of the previous page (`page.pageOffset`). */
  readonly offset?: string;
  readonly status?: ExportJobStatus;
  readonly start?: number;
  readonly page?: number;
  readonly sort?: string;
}

export interface ExportJobList {
  records: ExportJob[];
  page: { sortField: string; sort: "asc" | "desc"; pageOffset: string; pageSize: number };
  link: { next: string };
}

const STATUSES: readonly ExportJobStatus[] = ["NEW", "PROCESSING", "SUCCEEDED", "FAILED"];
const cursorOf = (j: ExportJob): string => `${j.creationTime}_${j.id}`;

/** Orders newest first; ties on creation time by id, newest id first. */
function newestFirst(a: ExportJob, b: ExportJob): number {
  return b.creationTime - a.creationTime || b.id - a.id;
}

export function listExportJobs(jobs: readonly ExportJob[], query: ExportJobListQuery = {}): ExportJobList {
  const limit = query.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ExportError("EXP-L001", `limit must be a positive whole number, not ${limit}`, { jsonPath: "limit" });
  if (query.status !== undefined && !STATUSES.includes(query.status)) {
    throw new ExportError("EXP-L001", `status must be one of ${STATUSES.join(", ")}, not "${query.status}"`, { jsonPath: "status" });
  }
  const [field = "creationTime", direction = "desc"] = (query.sort ?? "creationTime:desc").split(":");
  const keys: Record<string, "creationTime" | "updateTime" | "id"> = { creationTime: "creationTime", createdTime: "creationTime", updateTime: "updateTime", id: "id" };
  const key = keys[field];
  if (key === undefined || (direction !== "asc" && direction !== "desc")) {
    throw new ExportError("EXP-L001", `sort must be creationTime, updateTime or id, then :asc or :desc, not "${query.sort}"`, { jsonPath: "sort" });
  }
  const sign = direction === "asc" ? -1 : 1;
  const order = (a: ExportJob, b: ExportJob): number => sign * (b[key] - a[key] || b.id - a.id);
  let all = [...jobs].sort(order);
  if (query.status !== undefined) all = all.filter((j) => j.status === query.status);
  if (query.offset !== undefined) {
    const m = /^(\d+)_(\d+)$/.exec(query.offset);
    if (m === null) throw new ExportError("EXP-L001", `offset must be a cursor like 1538573416687_722, not "${query.offset}"`, { jsonPath: "offset" });
    // The cursor names a job by creation time and id: keep the jobs after it, in the sort's direction.
    const after = { creationTime: Number(m[1]), id: Number(m[2]) } as ExportJob;
    all = all.filter((j) => sign * newestFirst(after, j) < 0);
  }
  for (const [name, n] of [["start", query.start], ["page", query.page]] as const) {
    if (n !== undefined && (!Number.isSafeInteger(n) || n < (name === "page" ? 1 : 0))) {
      throw new ExportError("EXP-L001", `${name} must be a whole number${name === "page" ? " from 1" : ""}, not ${n}`, { jsonPath: name });
    }
  }
  all = all.slice((query.start ?? 0) + ((query.page ?? 1) - 1) * limit);
  const records = all.slice(0, limit);
  const last = records[records.length - 1];
  const more = all.length > records.length;
  const status = query.status ? `&status=${query.status}` : "";
  return {
    records,
    page: { sortField: key === "creationTime" ? "createdTime" : key, sort: direction, pageOffset: last ? cursorOf(last) : "", pageSize: records.length },
    link: { next: more && last ? `/export/jobs/?limit=${limit}&offset=${cursorOf(last)}${status}` : "" },
  };
}
