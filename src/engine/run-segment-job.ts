/**
 * Runs a segment job over a sandbox: for each merge policy its segments use, group → merge → evaluate →
 * move memberships on; then commit the membership snapshot and the job record. A failure
 * records the job as FAILED and leaves the previous snapshot untouched.
 */
import type { StatusModel } from "../segment/membership.js";
import type { CompiledSegment } from "../segment/segment-definition.js";
import { SegmentCounters, toJobError, type ProfileMemberships, type SegmentJob, type SegmentJobSegment } from "../segment/segment-job.js";
import { externalMemberships } from "../segment/external-audiences.js";
import { deterministicUuid } from "../store/ids.js";
import { JobControl } from "../store/job-control.js";
import type { MembershipGeneration } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { formatDateTime } from "../xdm/time.js";
import { PROFILE_SCHEMA_NAME, UPS_NAMESPACE, type MergePolicy, type SegmentMembership } from "../xdm/types.js";
import { recoverInterruptedJobs } from "./job-recovery.js";
import type { JobEngine } from "./job-engine.js";
import { JobCancelledError, progressCheck, type Checkpoint, type JobProgress, type StageProgress } from "./job-progress.js";
import type { ProfileGroup } from "./profile-groups.js";
import type { Sandbox } from "./sandbox.js";
import { evaluateShard, policyOf, segmentPlan, type SegmentPlan, type SegmentShardResult } from "./segment-shard.js";
import type { SqlStatement } from "../sql/jobs/engine-session.js";
import { evaluateSegmentsOnSql } from "./segment-sql.js";
import { segmentPasses, type PolicyPass } from "../sql/jobs/segment-job-sql.js";

export interface SegmentJobOptions {
  /** Segment ids to evaluate; omitted or `["*"]` evaluates every segment of the sandbox. */
  readonly segmentIds?: readonly string[];
  /** The evaluation clock, epoch ms (`now` in PQL; lastQualificationTime of changes); recorded as the job's `properties.asOf`. */
  readonly asOf: number;
  readonly statusModel: StatusModel;
  /** DuckDB's memory limit; the reference engine refuses data it could not hold in it (ENG-M002). */
  readonly memoryBytes?: number;
  /** DuckDB's threads (default one per core); the reference engine runs in this thread. */
  readonly workers?: number;
  /** Wall clock for job timing metrics; injectable for tests. */
  readonly clock?: () => number;
  /** `scheduler` for runs started by a schedule, with `properties.scheduleId` and `properties.runId`. */
  readonly source?: "api" | "scheduler";
  readonly properties?: Readonly<Record<string, string>>;
  /**
   * Called at every checkpoint (as rows are read and linked, every 1,000 profiles, as memberships are written;
   * as DuckDB's statements run), before the cancel check.
   */
  readonly onProgress?: (event: JobProgress) => void;
  /** Called once with a copy of the job as recorded when it starts (PROCESSING), before any data is read: a server answers the POST with it. */
  readonly onStart?: (job: SegmentJob) => void;
  /**
   * What evaluates: `duckdb` (the data read, merged and segmented in SQL on an embedded DuckDB, `workers` its
   * threads and `memoryBytes` its memory limit; a segment the SQL back end refuses is decided by the closure compiler
   * over DuckDB's rows) or `reference` (the JS merge and the closure compiler, the whole sandbox in memory in this
   * thread). Both write the same memberships and metrics (test/sql/segment-job-sql.test.ts). Default: DuckDB.
   */
  readonly engine?: JobEngine;
  /** The DuckDB engine only: called with every statement the job runs, in order (`segment-job --explain-sql`). */
  readonly onSql?: (statement: SqlStatement) => void;
  /** The DuckDB engine only: the number of runs of profiles the merge and the segment pass take (default: as `memoryBytes` needs). For tests of runs on small data. */
  readonly runs?: number;
  /** The DuckDB engine only: its tables in a database file (default: for data several times `memoryBytes`). For tests on small data. */
  readonly onDisk?: boolean;
  /**
   * A job `createSegmentJob` recorded as NEW for these options (a server's queued job): the run adopts it
   * instead of recording a new one.
   */
  readonly job?: SegmentJob;
}

/** The profile's whole segmentMembership as of `now`: its `ups` memberships, and external audiences still valid. */
export function membershipsOf(sandbox: Sandbox, ups: ProfileMemberships, group: ProfileGroup, now: number): SegmentMembership {
  const out = externalMemberships(sandbox.externalAudiences, group.identities, now);
  if (ups.size > 0) out[UPS_NAMESPACE] = Object.fromEntries(ups);
  return out;
}

function jobSegment(segment: CompiledSegment, policy: MergePolicy): SegmentJobSegment {
  const d = segment.definition;
  return {
    segmentId: d.id,
    segment: {
      id: d.id,
      version: d.version ?? 1,
      expression: d.expression,
      mergePolicyId: policy.id,
      mergePolicy: { id: policy.id, version: policy.version },
    },
  };
}

function newJob(sandbox: Sandbox, state: SandboxState, segments: SegmentJobSegment[], now: number, wildcard: boolean): SegmentJob {
  const n = state.records<SegmentJob>("segment-jobs").ids().length + 1;
  const id = deterministicUuid(sandbox.manifest.name, "segment-job", n);
  const href = `/segment/jobs/${id}`;
  return {
    id,
    imsOrgId: sandbox.manifest.imsOrgId,
    sandbox: { ...sandbox.manifest.sandbox },
    profileInstanceId: "ups",
    computeJobId: n,
    computeGatewayJobId: deterministicUuid(sandbox.manifest.name, "segment-compute", n),
    modelName: PROFILE_SCHEMA_NAME,
    source: "api",
    status: "NEW",
    segments: wildcard ? [{ segmentId: "*" } as SegmentJobSegment] : segments,
    metrics: { totalTime: { startTimeInMs: now } },
    requestId: deterministicUuid(sandbox.manifest.name, "segment-job-request", n),
    schema: { name: PROFILE_SCHEMA_NAME },
    properties: {},
    errors: [],
    _links: { cancel: { href, method: "DELETE" }, checkStatus: { href, method: "GET" } },
    creationTime: now,
    updateTime: now,
    updateEpoch: Math.floor(now / 1000),
  };
}

type NewJobOptions = Pick<SegmentJobOptions, "segmentIds" | "asOf" | "clock" | "source" | "properties">;

/** Records the job as NEW and claims it for this process (so a restart's job recovery finds it if the process dies first). */
function recordNewJob(sandbox: Sandbox, plan: SegmentPlan, options: NewJobOptions): SegmentJob {
  const clock = options.clock ?? Date.now;
  recoverInterruptedJobs(sandbox.dir, clock);
  const state = new SandboxState(sandbox.dir);
  const wildcard = options.segmentIds === undefined || options.segmentIds[0] === "*";
  const job = newJob(sandbox, state, plan.segments.map((s) => jobSegment(s, policyOf(sandbox, s))), clock(), wildcard);
  job.source = options.source ?? "api";
  job.properties = { ...options.properties, asOf: formatDateTime(options.asOf) };
  state.records<SegmentJob>("segment-jobs").put(job.id, job);
  new JobControl(state.root).claim("segment-jobs", job.id);
  return job;
}

/**
 * Records a segment job as NEW (queued) without running it; `runSegmentJob` with the same options and `job`
 * runs it. Unknown segment ids are refused here, before anything is recorded.
 */
export function createSegmentJob(sandbox: Sandbox, options: NewJobOptions): SegmentJob {
  return recordNewJob(sandbox, segmentPlan(sandbox, options.segmentIds), options);
}

/**
 * The reference: the JS merge and the closure compiler over the whole sandbox in memory, in this thread. Its loading
 * of the datasets (Arrow and parquet-wasm, ~250 ms) is imported only here, where a job on DuckDB never goes.
 */
async function evaluateInMemory(
  sandbox: Sandbox,
  plan: SegmentPlan,
  generation: MembershipGeneration,
  options: SegmentJobOptions,
  checkpoint: Checkpoint<StageProgress>,
): Promise<SegmentShardResult> {
  const { runInMemory } = await import("./in-memory-job.js");
  return runInMemory(sandbox, { memoryBytes: options.memoryBytes, policies: plan.byPolicy.size, checkpoint }, (shard, progress) =>
    evaluateShard(sandbox, plan, shard, { asOf: options.asOf, statusModel: options.statusModel, checkpoint: progress }, generation.partFile(0)),
  );
}

/** On DuckDB: `workers` its threads (default one per core), `memoryBytes` its memory limit. */
function evaluateOnDuckDb(
  sandbox: Sandbox,
  plan: SegmentPlan,
  passes: ReadonlyMap<MergePolicy, PolicyPass>,
  generation: MembershipGeneration,
  jobId: string,
  options: SegmentJobOptions,
  checkpoint: Checkpoint<StageProgress>,
): Promise<SegmentShardResult> {
  return evaluateSegmentsOnSql(sandbox, plan, passes, generation, {
    jobId,
    asOf: options.asOf,
    statusModel: options.statusModel,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
    ...(options.onSql === undefined ? {} : { onSql: options.onSql }),
    ...(options.runs === undefined ? {} : { runs: options.runs }),
    ...(options.onDisk === undefined ? {} : { onDisk: options.onDisk }),
    checkpoint,
  });
}

/**
 * Every segment of the plan compiled to SQL (or left to the closure compiler over DuckDB's rows), before any data is
 * read: the DuckDB engine runs the job on them. Undefined when the reference runs it. A segment neither runs exactly
 * (closureAnswers) is the job's error, saying that the reference engine runs it.
 */
function sqlPasses(sandbox: Sandbox, plan: SegmentPlan, options: SegmentJobOptions): Map<MergePolicy, PolicyPass> | undefined {
  if (options.engine === "reference") return undefined;
  return segmentPasses(plan, { asOf: options.asOf, profileType: sandbox.profileType, eventType: sandbox.eventType });
}

/** Runs the job to completion and returns its final record (also stored under `.profile-lab/`). */
export async function runSegmentJob(sandbox: Sandbox, options: SegmentJobOptions): Promise<SegmentJob> {
  const clock = options.clock ?? Date.now;
  const plan = segmentPlan(sandbox, options.segmentIds);
  const job = options.job ?? recordNewJob(sandbox, plan, options);
  const state = new SandboxState(sandbox.dir);
  const control = new JobControl(state.root);
  const jobs = state.records<SegmentJob>("segment-jobs");
  const update = (patch: Partial<SegmentJob>): void => {
    const now = clock();
    Object.assign(job, patch, { updateTime: now, updateEpoch: Math.floor(now / 1000) });
    jobs.put(job.id, job);
  };
  update({ status: "PROCESSING" });
  options.onStart?.(structuredClone(job));
  const generation = state.membership.begin();
  try {
    const segmentationStart = clock();
    const checkpoint = progressCheck("segment-jobs", job.id, control, options.onProgress);
    const passes = sqlPasses(sandbox, plan, options);
    const result =
      passes !== undefined
        ? await evaluateOnDuckDb(sandbox, plan, passes, generation, job.id, options, checkpoint)
        : await evaluateInMemory(sandbox, plan, generation, options, checkpoint);
    const counters = new SegmentCounters(plan.segments.map((s) => s.definition.id));
    counters.add(result.counts);
    const byMergePolicy: Record<string, number> = Object.fromEntries([...plan.byPolicy.keys()].map((p) => [p.id, result.profilesByPolicy[p.id] ?? 0]));
    const excluded = Math.max(0, ...Object.values(result.excludedByPolicy));
    const end = clock();
    generation.commit();
    update({
      status: "SUCCEEDED",
      metrics: {
        totalTime: { startTimeInMs: job.creationTime, endTimeInMs: end, totalTimeInMs: end - job.creationTime },
        profileSegmentationTime: { startTimeInMs: segmentationStart, endTimeInMs: end, totalTimeInMs: end - segmentationStart },
        totalProfiles: Math.max(0, ...Object.values(byMergePolicy)),
        segmentedProfileCounter: counters.segmented,
        segmentedProfileByNamespaceCounter: counters.byNamespace,
        segmentedProfileByStatusCounter: counters.byStatus,
        totalProfilesByMergePolicy: byMergePolicy,
        ...(excluded > 0 ? { excludedProfileCounter: { identityGraphOverLimit: excluded } } : {}),
      },
    });
    return job;
  } catch (e) {
    generation.abort();
    // A cancelled job ends CANCELLED and, like a failed one, writes no membership.
    update(e instanceof JobCancelledError ? { status: "CANCELLED", errors: [toJobError(e)] } : { status: "FAILED", errors: [toJobError(e)] });
    throw e;
  } finally {
    control.release("segment-jobs", job.id);
  }
}
