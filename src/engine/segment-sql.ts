/**
 * A segment job's evaluation on DuckDB: the sandbox's datasets read where they lie, merged per policy, every
 * segment evaluated and the memberships moved on in SQL (src/sql/jobs/segment-job-sql.ts), the new snapshot
 * written as one part of `generation`. DuckDB runs on `workers` threads within `memoryBytes`, spilling under the
 * sandbox's `.profile-lab/tmp`.
 */
import type { MembershipGeneration } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { mergeSourcesOf } from "../sql/merge/sources.js";
import { SqlMerge } from "../sql/merge/sql-merge.js";
import { EngineSession, jobTempDir } from "../sql/jobs/engine-session.js";
import { runSegmentsOnSql, type SqlSegmentRun } from "../sql/jobs/segment-job-sql.js";
import type { StatusModel } from "../segment/membership.js";
import type { Checkpoint, StageProgress } from "./job-progress.js";
import type { Sandbox } from "./sandbox.js";
import type { SegmentPlan } from "./segment-shard.js";

export interface SegmentSqlOptions {
  readonly jobId: string;
  readonly asOf: number;
  readonly statusModel: StatusModel;
  readonly workers?: number;
  readonly memoryBytes?: number;
  readonly checkpoint: Checkpoint<StageProgress>;
}

export async function evaluateSegmentsOnSql(sandbox: Sandbox, plan: SegmentPlan, generation: MembershipGeneration, options: SegmentSqlOptions): Promise<SqlSegmentRun> {
  const state = new SandboxState(sandbox.dir);
  const priorParts = state.membership.parts();
  const { checkpoint } = options;
  const where = { rows: 0, profiles: 0, shardsDone: 0, shards: 1 };
  const session = await EngineSession.open(
    {
      tempDir: jobTempDir(state.tmpDir, "segment-job", options.jobId),
      ...(options.workers === undefined ? {} : { threads: options.workers }),
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
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
    });
  } finally {
    session.close();
  }
}
