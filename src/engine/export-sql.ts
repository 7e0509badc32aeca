/**
 * An export job's rows on DuckDB: the sandbox's datasets read where they lie and merged under the export's policy
 * (src/sql/merge), the membership snapshot and external audiences as tables, and each batch's Parquet written by
 * DuckDB (src/sql/export); the DuckDB job's set-up (validation, threads, memory, spill) is duckdb-job.ts.
 */
import type { FinishedBatches } from "../export/batch-writer.js";
import type { BatchSpec } from "../export/export-job.js";
import { IDENTITY_GRAPH_LIMIT } from "./profile-groups.js";
import { SandboxState } from "../store/sandbox-state.js";
import { createAudiencesTable } from "../sql/export/memberships.js";
import { writeExportSql } from "../sql/export/export-sql.js";
import { loadSnapshotFields, SNAPSHOT_TABLE } from "../sql/jobs/segment-job-sql.js";
import { DUCKDB } from "../sql/duckdb.js";
import { FieldUseBuilder, prunedSchema } from "../sql/merge/field-use.js";
import { KEPT_PROFILES } from "../sql/merge/sql-merge.js";
import type { ExportContext, ExportShardResult } from "./export-shard.js";
import { onDuckDb, type DuckDbJobOptions } from "./duckdb-job.js";
import type { Sandbox } from "./sandbox.js";

export interface ExportSqlOptions extends DuckDbJobOptions {
  readonly jobId: number;
  readonly asOf: number;
  readonly rowsPerFile?: number;
}

export type ExportSqlResult = FinishedBatches & ExportShardResult;

const MERGED = "pl_export_profiles";
const MEMBERSHIPS = "pl_memberships";
const AUDIENCES = "pl_audiences";

/** Writes every batch of the export into `batchDirs` (in `specs` order); the caller commits or removes them. */
export function exportOnSql(
  sandbox: Sandbox,
  context: ExportContext,
  specs: readonly BatchSpec[],
  batchDirs: readonly string[],
  options: ExportSqlOptions,
): Promise<ExportSqlResult> {
  const { checkpoint } = options;
  const where = { rows: 0, profiles: 0 };
  // Over a segment job's kept merged profiles the export reads the keys alone: what a merge reads waits for one (or
  // for the fragments to be asked for).
  return onDuckDb(sandbox, { kind: "export-job", id: options.jobId }, { ...options, deferMergeLinks: true }, "merging", async (session, merge) => {
    session.stage = `merging the profiles of merge policy ${context.policy.id}`;
    await checkpoint({ stage: "merging", ...where });
    // Only the fields the export writes are merged (all of them when the request names none) — unless a segment job
    // over the same data kept the policy's merged profiles (every field, no events): they are read as they are.
    const schema = { profile: sandbox.profileType, event: sandbox.eventType };
    const use = new FieldUseBuilder(schema).addExport(context.plan).build();
    const reused = use.event === undefined && (await merge.restoreMerged(context.policy));
    if (!reused) await merge.mergePolicy(context.policy, MERGED, { use });
    const merged = reused ? KEPT_PROFILES : MERGED;
    const carried = prunedSchema(schema, reused ? { ...use, profile: true } : use);
    const graph = await merge.identityGraphOf(context.policy);
    session.stage = "reading the memberships";
    await loadSnapshotFields(session, new SandboxState(sandbox.dir).membership.parts());
    // Each distinct time parsed once: a snapshot holds few (one per job that moved entries), and parsing every
    // entry's was most of reading it (1M persons: 3.0 → 0.4 CPU-s).
    const times = `SELECT lqtText, pql_string_ts(lqtText) AS t FROM (SELECT DISTINCT lqtText FROM ${SNAPSHOT_TABLE})`;
    await session.run(
      `CREATE OR REPLACE TEMP VIEW ${MEMBERSHIPS} AS SELECT s.key, s.segmentId, s.status, t.t AS lastQualificationTime, s.version ` +
        `FROM ${SNAPSHOT_TABLE} AS s LEFT JOIN (${times}) AS t ON t.lqtText = s.lqtText`,
    );
    const audiences = sandbox.externalAudiences.size > 0 ? AUDIENCES : undefined;
    if (audiences !== undefined) await createAudiencesTable(session, audiences, sandbox.externalAudiences, DUCKDB);
    session.stage = "writing the batches";
    await checkpoint({ stage: "writing", ...where });
    const written = await writeExportSql(
      session,
      { merged, carried, identityGraph: graph, memberships: MEMBERSHIPS, audiences, sources: merge.sources, fragments: () => merge.fragments(), policy: context.policy, plan: context.plan, rowType: context.rowType, specs },
      { asOf: options.asOf, batchDirs, runsFor: (items, bytes) => merge.runsFor(items, bytes), ...(options.rowsPerFile === undefined ? {} : { rowsPerFile: options.rowsPerFile }) },
    );
    const [excluded] = await session.rows(
      graph === undefined ? "SELECT 0 AS n" : `SELECT count(*) AS n FROM (SELECT label FROM ${graph} GROUP BY label HAVING count(*) + 1 > ${IDENTITY_GRAPH_LIMIT})`,
    );
    await checkpoint({ stage: "writing", ...where, exported: written.exported });
    return {
      files: written.files,
      writeMs: written.writeMs,
      exported: written.exported,
      byNamespace: written.byNamespace,
      excludedOverIdentityLimit: Number(excluded!["n"]),
    };
  });
}
