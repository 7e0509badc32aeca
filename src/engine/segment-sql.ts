/**
 * A segment job's evaluation on DuckDB: the sandbox's datasets read where they lie, merged per policy, every
 * segment evaluated and the memberships moved on in SQL (src/sql/jobs/segment-job-sql.ts), the new snapshot
 * written as one part of `generation` (the DuckDB job's set-up: duckdb-job.ts).
 */
import type { MembershipGeneration } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { runSegmentsOnSql, type PolicyPass } from "../sql/jobs/segment-job-sql.js";
import type { MergePolicy } from "../xdm/types.js";
import type { StatusModel } from "../segment/membership.js";
import { onDuckDb, type DuckDbJobOptions } from "./duckdb-job.js";
import type { Sandbox } from "./sandbox.js";
import type { SegmentPlan, SegmentShardResult } from "./segment-shard.js";

export interface SegmentSqlOptions extends DuckDbJobOptions {
  readonly jobId: string;
  readonly asOf: number;
  readonly statusModel: StatusModel;
}

/** Validates, reads and links the data, and evaluates each policy's `passes` (compiled before anything is read: segmentPasses). */
export async function evaluateSegmentsOnSql(
  sandbox: Sandbox,
  plan: SegmentPlan,
  passes: ReadonlyMap<MergePolicy, PolicyPass>,
  generation: MembershipGeneration,
  options: SegmentSqlOptions,
): Promise<SegmentShardResult> {
  const priorParts = new SandboxState(sandbox.dir).membership.parts();
  return onDuckDb(sandbox, { kind: "segment-job", id: options.jobId }, options, "identities", (session, merge) =>
    runSegmentsOnSql(session, merge, plan, {
      asOf: options.asOf,
      statusModel: options.statusModel,
      conventions: sandbox.conventions,
      profileType: sandbox.profileType,
      eventType: sandbox.eventType,
      priorParts,
      partFile: generation.partFile(0),
      checkpoint: options.checkpoint,
      passes,
    }),
  );
}
