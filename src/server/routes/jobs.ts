/**
 * `/data/core/ups/export/jobs` and `/data/core/ups/segment/jobs`: create (asynchronous: the answer is the job
 * as it starts), list with the documented query parameters, get, bulk-get (segment jobs) and cancel, on the
 * library calls the CLI's `export`, `segment-job` and `jobs` commands make. `_links` and `link.next` point
 * at this server.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { exportContext } from "../../engine/export-shard.js";
import { recoverInterruptedJobs } from "../../engine/job-recovery.js";
import { runExportJob } from "../../engine/run-export-job.js";
import { runSegmentJob } from "../../engine/run-segment-job.js";
import type { Sandbox } from "../../engine/sandbox.js";
import type { ExportJob } from "../../export/export-job.js";
import { listExportJobs, type ExportJobListQuery } from "../../export/export-job-list.js";
import type { SegmentJob } from "../../segment/segment-job.js";
import { bulkGetSegmentJobs, listSegmentJobs, parseSegmentJobRequest, type SegmentJobListQuery } from "../../segment/segment-job-list.js";
import { JobControl, type JobKind } from "../../store/job-control.js";
import { SandboxState } from "../../store/sandbox-state.js";
import { baseUrlOf, queryInt, queryOf, queryString, sandboxOf, type ServerContext } from "../context.js";
import { HttpError } from "../errors.js";

export const UPS = "/data/core/ups";

/** A path the library answers relative to the UPS base (`/segment/jobs/…`), made absolute on this server. */
function upsHref(request: FastifyRequest, href: string): string {
  return href.startsWith("/") ? `${baseUrlOf(request)}${UPS}${href}` : href;
}

function linkedSegmentJob(request: FastifyRequest, job: SegmentJob): SegmentJob {
  const { cancel, checkStatus } = job._links;
  return { ...job, _links: { cancel: { ...cancel, href: upsHref(request, cancel.href) }, checkStatus: { ...checkStatus, href: upsHref(request, checkStatus.href) } } };
}

interface JobParams {
  readonly id: string;
}

/** The job records of a sandbox, with jobs left running by a dead process recorded as FAILED first (as the CLI does). */
function jobsOf<J>(sandbox: Sandbox, kind: JobKind) {
  recoverInterruptedJobs(sandbox.dir);
  return new SandboxState(sandbox.dir).records<J>(kind);
}

function found<J>(job: J | undefined, what: string, id: string): J {
  if (job === undefined) throw new HttpError(404, "PLAB-J404", `${what} job "${id.slice(0, 128)}" not found`);
  return job;
}

/** DELETE on a job: the platform's `{status, message}` while it runs; 409 once it has ended. */
function cancel(sandbox: Sandbox, kind: JobKind, id: string, status: string): { status: true; message: string } {
  const answer = new JobControl(new SandboxState(sandbox.dir).root).cancel(kind, id);
  if (answer === undefined) throw new HttpError(409, "PLAB-J409", `job ${id} is not running (status ${status}); only running jobs can be cancelled`);
  return answer;
}

export function jobRoutes(app: FastifyInstance, context: ServerContext): void {
  const options = () => ({ asOf: context.clock(), statusModel: context.statusModel, clock: context.clock });

  app.post(`${UPS}/export/jobs`, async (request, reply) => {
    const sandbox = sandboxOf(context, request);
    // The body is checked now, so that an invalid one is answered at once, not after waiting for a job slot.
    exportContext(sandbox, request.body, context.statusModel, undefined);
    const job = await context.runner.start<ExportJob>(sandbox.dir, "export-jobs", (onStart) => runExportJob(sandbox, request.body, { ...options(), onStart }));
    return reply.header("x-location", `${baseUrlOf(request)}${UPS}/export/jobs/${job.id}`).send(job);
  });

  app.get(`${UPS}/export/jobs`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const query = queryOf(request, { limit: queryInt, offset: queryString, status: queryString, start: queryInt, page: queryInt, sort: queryString });
    const list = listExportJobs(jobsOf<ExportJob>(sandbox, "export-jobs").all(), query as ExportJobListQuery);
    return { ...list, link: { next: list.link.next === "" ? "" : upsHref(request, list.link.next) } };
  });

  app.get<{ Params: JobParams }>(`${UPS}/export/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    return found(jobsOf<ExportJob>(sandbox, "export-jobs").get(request.params.id), "export", request.params.id);
  });

  app.delete<{ Params: JobParams }>(`${UPS}/export/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const job = found(jobsOf<ExportJob>(sandbox, "export-jobs").get(request.params.id), "export", request.params.id);
    return cancel(sandbox, "export-jobs", request.params.id, job.status);
  });

  app.post(`${UPS}/segment/jobs`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const segmentIds = parseSegmentJobRequest(request.body, undefined, new Set(sandbox.segments.map((s) => s.definition.id)));
    const job = await context.runner.start<SegmentJob>(sandbox.dir, "segment-jobs", (onStart) => runSegmentJob(sandbox, { ...options(), segmentIds, onStart }));
    return linkedSegmentJob(request, job);
  });

  app.get(`${UPS}/segment/jobs`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const query = queryOf(request, { start: queryInt, limit: queryInt, status: queryString, sort: queryString, property: queryString });
    const list = listSegmentJobs(jobsOf<SegmentJob>(sandbox, "segment-jobs").all(), query as SegmentJobListQuery);
    const next = list._links.next.href;
    return { ...list, children: list.children.map((j) => linkedSegmentJob(request, j)), _links: { next: next === undefined ? {} : { href: upsHref(request, next) } } };
  });

  app.post(`${UPS}/segment/jobs/bulk-get`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const { results } = bulkGetSegmentJobs(jobsOf<SegmentJob>(sandbox, "segment-jobs").all(), request.body);
    return { results: Object.fromEntries(Object.entries(results).map(([id, job]) => [id, linkedSegmentJob(request, job)])) };
  });

  app.get<{ Params: JobParams }>(`${UPS}/segment/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    return linkedSegmentJob(request, found(jobsOf<SegmentJob>(sandbox, "segment-jobs").get(request.params.id), "segment", request.params.id));
  });

  app.delete<{ Params: JobParams }>(`${UPS}/segment/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const job = found(jobsOf<SegmentJob>(sandbox, "segment-jobs").get(request.params.id), "segment", request.params.id);
    return cancel(sandbox, "segment-jobs", request.params.id, job.status);
  });
}
