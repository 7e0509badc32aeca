/**
 * What both jobs do first on the DuckDB engine: open the job's DuckDB (`workers` threads, default one per core, within
 * `memoryBytes`, spilling under the sandbox's `.profile-lab/tmp`, its tables in a file there for data several times
 * its memory), validate the rows (DuckDB would read a row that breaks its schema; it checks Parquet files first,
 * JavaScript the rest), read the datasets and link their identities (SqlMerge.prepare) — or copy them in from the
 * previous job's, kept per data version (data-version.ts); then the job's own work, and DuckDB closed however it ends.
 */
import { availableParallelism } from "node:os";
import { EngineSession, jobTempDir, type SqlStatement } from "../sql/jobs/engine-session.js";
import { mergeSourcesOf } from "../sql/merge/sources.js";
import { SqlMerge } from "../sql/merge/sql-merge.js";
import { SandboxState } from "../store/sandbox-state.js";
import { keptFiles } from "./data-version.js";
import type { Checkpoint, JobStage, StageProgress } from "./job-progress.js";
import { tablesOnDisk, worthWorkers } from "./memory-budget.js";
import type { Sandbox } from "./sandbox.js";
import { validateSources } from "./validate-sources.js";

export interface DuckDbJobOptions {
  readonly workers?: number;
  readonly memoryBytes?: number;
  readonly checkpoint: Checkpoint<StageProgress>;
  /** Called with every statement the job runs, in order (`--explain-sql`). */
  readonly onSql?: (statement: SqlStatement) => void;
  /** The number of runs of profiles the work takes whatever `memoryBytes` says (SqlMergeOptions.runs): tests of runs on small data. */
  readonly runs?: number;
  /** The job's tables in a database file (EngineOptions.onDisk) whatever the data's size says (tablesOnDisk): tests on small data. */
  readonly onDisk?: boolean;
  /** The kept linked tables only a merge reads copied in when a merge runs (SqlMergeOptions.deferMergeLinks). */
  readonly deferMergeLinks?: boolean;
}

/** Runs `work` on the job's DuckDB with the data read and linked; `stage` is what progress says while it runs statements. */
export async function onDuckDb<T>(
  sandbox: Sandbox,
  job: { readonly kind: "segment-job" | "export-job"; readonly id: string | number },
  options: DuckDbJobOptions,
  stage: JobStage,
  work: (session: EngineSession, merge: SqlMerge) => Promise<T>,
): Promise<T> {
  const { checkpoint } = options;
  const workers = options.workers ?? availableParallelism();
  const where = { rows: 0, profiles: 0 };
  const session = await EngineSession.open(
    {
      tempDir: jobTempDir(new SandboxState(sandbox.dir).tmpDir, job.kind, job.id),
      threads: workers,
      onDisk: options.onDisk ?? tablesOnDisk(sandbox, options.memoryBytes),
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      ...(options.onSql === undefined ? {} : { onStatement: options.onSql }),
    },
    () => checkpoint({ stage: session.stage === READING ? "reading" : stage, ...where, step: session.stage }),
  );
  try {
    session.stage = READING;
    // Validation threads each load the engine (seconds of CPU): worth it for large data only. Rows validated are the
    // progress while DuckDB checks Parquet files too.
    const validating: Checkpoint<StageProgress> = (p) => {
      where.rows = p.rows ?? where.rows;
      return checkpoint(p);
    };
    await validateSources(sandbox, { workers: worthWorkers(sandbox) ? workers : 1, checkpoint: validating, cache: true, sql: session });
    where.rows = 0;
    await checkpoint({ stage: "reading", ...where, step: READING });
    const sources = mergeSourcesOf(sandbox);
    const prepare = {
      keep: keptFiles(sandbox, sources),
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      ...(options.runs === undefined ? {} : { runs: options.runs }),
      ...(options.deferMergeLinks === true ? { deferMergeLinks: true } : {}),
    };
    return await work(session, await SqlMerge.prepare(session, sources, prepare));
  } finally {
    session.close();
  }
}

const READING = "reading the data";
