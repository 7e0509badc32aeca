/**
 * `/data/core/ups/export/jobs` and `/data/core/ups/segment/jobs`: create (asynchronous: the request is checked,
 * the job recorded NEW and answered at once, then run when a slot is free — job-runner.ts), list with the
 * documented query parameters, get, bulk-get (segment jobs) and cancel, on the library calls the CLI's
 * `export`, `segment-job` and `jobs` commands make. `_links` and `link.next` point at this server.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { recoverInterruptedJobs } from "../../engine/job-recovery.js";
import { createExportJob, runExportJob } from "../../engine/run-export-job.js";
import { createSegmentJob, runSegmentJob } from "../../engine/run-segment-job.js";
import type { Sandbox } from "../../engine/sandbox.js";
import type { ExportJob } from "../../export/export-job.js";
import { listExportJobs, type ExportJobListQuery } from "../../export/export-job-list.js";
import type { SegmentJob } from "../../segment/segment-job.js";
import { bulkGetSegmentJobs, listSegmentJobs, parseSegmentJobRequest, type SegmentJobListQuery } from "../../segment/segment-job-list.js";
import { JobControl, type JobKind } from "../../store/job-control.js";
import type { RecordStore } from "../../store/record-store.js";
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

const IN_FLIGHT = new Set(["NEW", "QUEUED", "PROCESSING", "CANCELLING"]);

/**
 * Job records of a sandbox, as `read` picks them. A job left in flight by a process that is gone is recorded
 * FAILED first (as the CLI does). The claims are read for that only when the answer holds a job in flight
 * that this server is not running or holding: reading every claim on each request cost time in proportion
 * to the jobs waiting here.
 */
function jobsOf<J extends { id: string | number; status: string }>(context: ServerContext, sandbox: Sandbox, kind: JobKind, read: (store: RecordStore<J>) => J[]): J[] {
  const store = new SandboxState(sandbox.dir).records<J>(kind);
  const jobs = read(store);
  if (!jobs.some((j) => IN_FLIGHT.has(j.status) && !context.runner.holds(sandbox.dir, kind, j.id))) return jobs;
  recoverInterruptedJobs(sandbox.dir, context.clock);
  return read(store);
}

const all = <J>(store: RecordStore<J>): J[] => store.all();
const one =
  (id: string) =>
  <J>(store: RecordStore<J>): J[] => {
    const job = store.get(id);
    return job === undefined ? [] : [job];
  };

function found<J>(job: J | undefined, what: string, id: string): J {
  if (job === undefined) throw new HttpError(404, "PLAB-J404", `${what} job "${id.slice(0, 128)}" not found`);
  return job;
}

/**
 * DELETE on a job: the platform's `{status, message}` while it waits or runs (a waiting job ends at once
 * without running, a running one at its next checkpoint); 409 once it has ended.
 */
function cancel(context: ServerContext, sandbox: Sandbox, kind: JobKind, id: string, status: string): { status: true; message: string } {
  const answer = new JobControl(new SandboxState(sandbox.dir).root).cancel(kind, id);
  if (answer === undefined) throw new HttpError(409, "PLAB-J409", `job ${id} is not running (status ${status}); only waiting or running jobs can be cancelled`);
  context.runner.cancelQueued(sandbox.dir, kind, id);
  return answer;
}

export function jobRoutes(app: FastifyInstance, context: ServerContext): void {
  const options = () => ({ asOf: context.clock(), statusModel: context.statusModel, clock: context.clock });

  app.post(`${UPS}/export/jobs`, async (request, reply) => {
    const sandbox = sandboxOf(context, request);
    context.runner.admit();
    const body = request.body;
    const run = options();
    const job = createExportJob(sandbox, body, run);
    // The run adopts a copy: the answer is the job as recorded now (NEW), whatever the run does meanwhile.
    context.runner.submit({ dir: sandbox.dir, kind: "export-jobs", id: job.id, run: (onStart) => runExportJob(sandbox, body, { ...run, job: structuredClone(job), onStart }) });
    return reply.header("x-location", `${baseUrlOf(request)}${UPS}/export/jobs/${job.id}`).send(job);
  });

  app.get(`${UPS}/export/jobs`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const query = queryOf(request, { limit: queryInt, offset: queryString, status: queryString, start: queryInt, page: queryInt, sort: queryString });
    const list = listExportJobs(jobsOf<ExportJob>(context, sandbox, "export-jobs", all), query as ExportJobListQuery);
    return { ...list, link: { next: list.link.next === "" ? "" : upsHref(request, list.link.next) } };
  });

  app.get<{ Params: JobParams }>(`${UPS}/export/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    return found(jobsOf<ExportJob>(context, sandbox, "export-jobs", one(request.params.id))[0], "export", request.params.id);
  });

  app.delete<{ Params: JobParams }>(`${UPS}/export/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const job = found(jobsOf<ExportJob>(context, sandbox, "export-jobs", one(request.params.id))[0], "export", request.params.id);
    return cancel(context, sandbox, "export-jobs", request.params.id, job.status);
  });

  app.post(`${UPS}/segment/jobs`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const segmentIds = parseSegmentJobRequest(request.body, undefined, new Set(sandbox.segments.map((s) => s.definition.id)));
    context.runner.admit();
    const run = { ...options(), segmentIds };
    const job = createSegmentJob(sandbox, run);
    context.runner.submit({ dir: sandbox.dir, kind: "segment-jobs", id: job.id, run: (onStart) => runSegmentJob(sandbox, { ...run, job: structuredClone(job), onStart }) });
    return linkedSegmentJob(request, job);
  });

  app.get(`${UPS}/segment/jobs`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const query = queryOf(request, { start: queryInt, limit: queryInt, status: queryString, sort: queryString, property: queryString });
    const list = listSegmentJobs(jobsOf<SegmentJob>(context, sandbox, "segment-jobs", all), query as SegmentJobListQuery);
    const next = list._links.next.href;
    return { ...list, children: list.children.map((j) => linkedSegmentJob(request, j)), _links: { next: next === undefined ? {} : { href: upsHref(request, next) } } };
  });

  app.post(`${UPS}/segment/jobs/bulk-get`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const { results } = bulkGetSegmentJobs(jobsOf<SegmentJob>(context, sandbox, "segment-jobs", all), request.body);
    return { results: Object.fromEntries(Object.entries(results).map(([id, job]) => [id, linkedSegmentJob(request, job)])) };
  });

  app.get<{ Params: JobParams }>(`${UPS}/segment/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    return linkedSegmentJob(request, found(jobsOf<SegmentJob>(context, sandbox, "segment-jobs", one(request.params.id))[0], "segment", request.params.id));
  });

  app.delete<{ Params: JobParams }>(`${UPS}/segment/jobs/:id`, async (request) => {
    const sandbox = sandboxOf(context, request);
    const job = found(jobsOf<SegmentJob>(context, sandbox, "segment-jobs", one(request.params.id))[0], "segment", request.params.id);
    return cancel(context, sandbox, "segment-jobs", request.params.id, job.status);
  });
}
