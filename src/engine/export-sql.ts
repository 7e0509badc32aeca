/**
 * An export job's rows on DuckDB: the sandbox's datasets read where they lie and merged under the export's policy
 * (src/sql/merge), the membership snapshot and external audiences as tables, and each batch's Parquet written by
 * DuckDB (src/sql/export). DuckDB runs on `workers` threads (default one per core) within `memoryBytes`, spilling
 * under the sandbox's `.profile-lab/tmp`; the rows are validated first, as for the DuckDB segment job.
 */
import { availableParallelism } from "node:os";
import type { FinishedBatches } from "../export/batch-writer.js";
import type { BatchSpec } from "../export/export-job.js";
import { IDENTITY_GRAPH_LIMIT } from "./profile-groups.js";
import { SandboxState } from "../store/sandbox-state.js";
import { createAudiencesTable } from "../sql/export/memberships.js";
import { writeExportSql } from "../sql/export/export-sql.js";
import { EngineSession, jobTempDir, type SqlStatement } from "../sql/jobs/engine-session.js";
import { loadSnapshot, SNAPSHOT_TABLE } from "../sql/jobs/segment-job-sql.js";
import { DUCKDB } from "../sql/duckdb.js";
import { FieldUseBuilder, prunedSchema } from "../sql/merge/field-use.js";
import { mergeSourcesOf } from "../sql/merge/sources.js";
import { SqlMerge } from "../sql/merge/sql-merge.js";
import type { ExportContext, ExportShardResult } from "./export-shard.js";
import type { Checkpoint, StageProgress } from "./job-progress.js";
import type { Sandbox } from "./sandbox.js";
import { validateSources } from "./validate-sources.js";

export interface ExportSqlOptions {
  readonly jobId: number;
  readonly asOf: number;
  readonly workers?: number;
  readonly memoryBytes?: number;
  readonly rowsPerFile?: number;
  readonly checkpoint: Checkpoint<StageProgress>;
  readonly onSql?: (statement: SqlStatement) => void;
}

export type ExportSqlResult = FinishedBatches & ExportShardResult;

const MERGED = "pl_export_profiles";
const MEMBERSHIPS = "pl_memberships";
const AUDIENCES = "pl_audiences";

/** Writes every batch of the export into `batchDirs` (in `specs` order); the caller commits or removes them. */
export async function exportOnSql(
  sandbox: Sandbox,
  context: ExportContext,
  specs: readonly BatchSpec[],
  batchDirs: readonly string[],
  options: ExportSqlOptions,
): Promise<ExportSqlResult> {
  const { checkpoint } = options;
  const workers = options.workers ?? availableParallelism();
  await validateSources(sandbox, { workers, checkpoint, cache: true });
  const state = new SandboxState(sandbox.dir);
  const where = { rows: 0, profiles: 0, shardsDone: 0, shards: 1 };
  const session = await EngineSession.open(
    {
      tempDir: jobTempDir(state.tmpDir, "export-job", options.jobId),
      threads: workers,
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      ...(options.onSql === undefined ? {} : { onStatement: options.onSql }),
    },
    () => checkpoint({ stage: session.stage === "reading the data" ? "reading" : "merging", ...where }),
  );
  try {
    session.stage = "reading the data";
    await checkpoint({ stage: "reading", ...where });
    const sources = mergeSourcesOf(sandbox);
    const merge = await SqlMerge.prepare(session, sources);
    session.stage = `merging the profiles of merge policy ${context.policy.id}`;
    await checkpoint({ stage: "merging", ...where });
    // Only the fields the export writes are merged (all of them when the request names none).
    const schema = { profile: sandbox.profileType, event: sandbox.eventType };
    const use = new FieldUseBuilder(schema).addExport(context.plan).build();
    await merge.mergePolicy(context.policy, MERGED, { use });
    const graph = await merge.identityGraphOf(context.policy);
    session.stage = "reading the memberships";
    await loadSnapshot(session, state.membership.parts());
    await session.run(
      `CREATE OR REPLACE TEMP VIEW ${MEMBERSHIPS} AS SELECT key, segmentId, status, pql_string_ts(lqtText) AS lastQualificationTime, json_extract_string(raw, '$.version') AS version FROM ${SNAPSHOT_TABLE}`,
    );
    const audiences = sandbox.externalAudiences.size > 0 ? AUDIENCES : undefined;
    if (audiences !== undefined) await createAudiencesTable(session, audiences, sandbox.externalAudiences, DUCKDB);
    session.stage = "writing the batches";
    await checkpoint({ stage: "writing", ...where });
    const written = await writeExportSql(
      session,
      { merged: MERGED, carried: prunedSchema(schema, use), identityGraph: graph, memberships: MEMBERSHIPS, audiences, sources, policy: context.policy, plan: context.plan, rowType: context.rowType, specs },
      { asOf: options.asOf, batchDirs, ...(options.rowsPerFile === undefined ? {} : { rowsPerFile: options.rowsPerFile }) },
    );
    const [excluded] = await session.rows(
      graph === undefined ? "SELECT 0 AS n" : `SELECT count(*) AS n FROM (SELECT label FROM ${graph} GROUP BY label HAVING count(*) + 1 > ${IDENTITY_GRAPH_LIMIT})`,
    );
    await checkpoint({ stage: "writing", ...where, shardsDone: 1, exported: written.exported });
    return {
      files: written.files,
      writeMs: written.writeMs,
      exported: written.exported,
      byNamespace: written.byNamespace,
      excludedOverIdentityLimit: Number(excluded!["n"]),
    };
  } finally {
    session.close();
  }
}
