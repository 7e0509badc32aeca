/**
 * A segment job's evaluation on DuckDB: the sandbox's datasets read where they lie, merged per policy, every
 * segment evaluated and the memberships moved on in SQL (src/sql/jobs/segment-job-sql.ts), the new snapshot
 * written as one part of `generation`. DuckDB runs on `workers` threads (default one per core) within `memoryBytes`, spilling under the
 * sandbox's `.profile-lab/tmp`.
 */
import { availableParallelism } from "node:os";
import type { MembershipGeneration } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { mergeSourcesOf } from "../sql/merge/sources.js";
import { SqlMerge } from "../sql/merge/sql-merge.js";
import { EngineSession, jobTempDir, type SqlStatement } from "../sql/jobs/engine-session.js";
import { runSegmentsOnSql, segmentPasses, type SqlSegmentRun } from "../sql/jobs/segment-job-sql.js";
import type { StatusModel } from "../segment/membership.js";
import type { Checkpoint, StageProgress } from "./job-progress.js";
import type { Sandbox } from "./sandbox.js";
import { validateSources } from "./validate-sources.js";
import type { SegmentPlan } from "./segment-shard.js";

export interface SegmentSqlOptions {
  readonly jobId: string;
  readonly asOf: number;
  readonly statusModel: StatusModel;
  readonly workers?: number;
  readonly memoryBytes?: number;
  readonly checkpoint: Checkpoint<StageProgress>;
  /** Called with every statement the job runs on DuckDB, in order (`--explain-sql`). */
  readonly onSql?: (statement: SqlStatement) => void;
}

/**
 * Compiles every segment to SQL before anything is read (a segment DuckDB cannot run stops the job at once), then
 * validates the rows (DuckDB would read a row that breaks its schema) and evaluates.
 */
export async function evaluateSegmentsOnSql(sandbox: Sandbox, plan: SegmentPlan, generation: MembershipGeneration, options: SegmentSqlOptions): Promise<SqlSegmentRun> {
  const state = new SandboxState(sandbox.dir);
  const priorParts = state.membership.parts();
  const { checkpoint } = options;
  const passes = segmentPasses(plan, { asOf: options.asOf, profileType: sandbox.profileType, eventType: sandbox.eventType });
  const workers = options.workers ?? availableParallelism();
  await validateSources(sandbox, { workers, checkpoint, cache: true });
  const where = { rows: 0, profiles: 0, shardsDone: 0, shards: 1 };
  const session = await EngineSession.open(
    {
      tempDir: jobTempDir(state.tmpDir, "segment-job", options.jobId),
      threads: workers,
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      ...(options.onSql === undefined ? {} : { onStatement: options.onSql }),
    },
    () => checkpoint({ stage: session.stage === "reading the data" ? "reading" : "identities", ...where }),
  );
  try {
    await checkpoint({ stage: "reading", ...where });
    session.stage = "reading the data";
    const merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
    return await runSegmentsOnSql(session, merge, plan, {
      asOf: options.asOf,
      statusModel: options.statusModel,
      conventions: sandbox.conventions,
      profileType: sandbox.profileType,
      eventType: sandbox.eventType,
      priorParts,
      partFile: generation.partFile(0),
      checkpoint,
      passes,
    });
  } finally {
    session.close();
  }
}
