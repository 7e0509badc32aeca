/**
 * `GET /export/jobs`: newest first, paged with an opaque `{creationTime}_{id}` offset cursor, filtered by
 * status, answered as `{records, page, link}`.
 */
import type { ExportJob, ExportJobStatus } from "./export-job.js";
import { ExportError } from "./export-request.js";

export interface ExportJobListQuery {
  readonly limit?: number;
  /** The cursor of the last record of the previous page (`page.pageOffset`). */
  readonly offset?: string;
  readonly status?: ExportJobStatus;
}

export interface ExportJobList {
  records: ExportJob[];
  page: { sortField: "createdTime"; sort: "desc"; pageOffset: string; pageSize: number };
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
  let all = [...jobs].sort(newestFirst);
  if (query.status !== undefined) all = all.filter((j) => j.status === query.status);
  if (query.offset !== undefined) {
    const m = /^(\d+)_(\d+)$/.exec(query.offset);
    if (m === null) throw new ExportError("EXP-L001", `offset must be a cursor like 1538573416687_722, not "${query.offset}"`, { jsonPath: "offset" });
    const after = { creationTime: Number(m[1]), id: Number(m[2]) } as ExportJob;
    all = all.filter((j) => newestFirst(after, j) < 0);
  }
  const records = all.slice(0, limit);
  const last = records[records.length - 1];
  const more = all.length > records.length;
  const status = query.status ? `&status=${query.status}` : "";
  return {
    records,
    page: { sortField: "createdTime", sort: "desc", pageOffset: last ? cursorOf(last) : "", pageSize: records.length },
    link: { next: more && last ? `/export/jobs/?limit=${limit}&offset=${cursorOf(last)}${status}` : "" },
  };
}
