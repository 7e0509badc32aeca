/**
 * Query Service, locally (issue 13, part 4): SQL over a sandbox on an in-memory DuckDB, with the sandbox's state as
 * named tables, read where it lies:
 * - every dataset of sandbox.json, by the table name Query Service derives from the dataset's name
 *   (`CRM Profiles` → `crm_profiles`), read with its schema's types (never inferred);
 * - the merged profiles of each merge policy, `profile_snapshot_export_<policy id>`, and `profiles` for the default
 *   policy — merged by the SQL back end only when the query names one of them, within the memory budget as a job's
 *   merge, from the identities a job linked and kept for this version of the data when there are (data-version.ts);
 * - `segment_membership`: the membership snapshot of the last segment job, one row per profile and segment;
 * - every dataset an export wrote to, by its name as well, over its successful batches' Parquet (with `batch_id`);
 *   and `batches`: the lake's batch records.
 * Queries read nothing else: before the first one runs, DuckDB may open only the tables' files (allowed_paths) and
 * its configuration is locked, so `read_csv('/etc/…')`, `COPY … TO`, `ATTACH` and `INSTALL` are refused by DuckDB.
 * The kept identities are copied in before that (attached read-only, then detached), so no query can open their file.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import { checkReadable } from "../io/sandbox-path.js";
import { datasetView, readDatasetsSql } from "../sql/merge/read-datasets.js";
import { mergeSourcesOf, type MergeSources } from "../sql/merge/sources.js";
import { SqlMerge } from "../sql/merge/sql-merge.js";
import { DUCKDB } from "../sql/duckdb.js";
import type { BatchRecord } from "../store/catalog-types.js";
import { SandboxState } from "../store/sandbox-state.js";
import { ProfileLabError } from "../xdm/errors.js";
import { keptFiles } from "./data-version.js";
import { tablesOnDisk } from "./memory-budget.js";
import type { Sandbox } from "./sandbox.js";
import { EngineSession, firstLine, messageOf, type SqlStatement } from "../sql/jobs/engine-session.js";

export class QueryError extends ProfileLabError {
  override readonly name = "QueryError";
}

/** A table a query can name, and what it reads. */
export interface QueryTable {
  readonly name: string;
  readonly source: string;
}

export interface QueryResult {
  readonly columns: readonly string[];
  /** Rows as JSON-safe values (big integers and decimals as strings, timestamps in ISO 8601, nested values as JSON). */
  readonly rows: ReadonlyArray<Record<string, unknown>>;
}

export interface QueryOptions {
  /** The memory budget in bytes (`--memory`), as a job's: DuckDB's memory_limit is its share, and profiles are merged in as many runs as fit in it. */
  readonly memory?: number;
  /** DuckDB's threads. */
  readonly threads?: number;
  /** Called with every statement run to make the tables (the merge's, and its notes), in order; not with the queries. */
  readonly onSql?: (statement: SqlStatement) => void;
}

/** Lower case, runs of anything but letters and digits as `_`. */
const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");

/** Query Service's table name for a dataset name (`CRM Profiles` → `crm_profiles`); one that would start with a digit starts with `_`. */
export function tableNameOf(name: string): string {
  const t = slug(name);
  return /^[a-z_]/.test(t) ? t : `_${t}`;
}


/** An open query session over one sandbox: its tables defined, DuckDB locked down to their files before the first query. */
export class SandboxQuery {
  /** The SQL merge, prepared when a query first names merged profiles (identities numbered and linked once). */
  private merge: SqlMerge | undefined;
  /** The merged-profile tables made so far: policy id → its first table (other names of it are views). */
  private readonly mergedTables = new Map<string, string>();
  private readonly madeTables = new Set<string>();
  private locked = false;

  private constructor(
    private readonly session: EngineSession,
    private readonly sandbox: Sandbox,
    private readonly sources: MergeSources,
    readonly tables: readonly QueryTable[],
    private readonly profileTables: ReadonlyMap<string, string>,
    /** The files the tables read: all DuckDB may open once locked down. */
    private readonly paths: readonly string[],
    private readonly memory: number | undefined,
  ) {}

  static async open(sandbox: Sandbox, options: QueryOptions = {}): Promise<SandboxQuery> {
    // A query is never cancelled: nothing to check while a statement runs.
    const session = await EngineSession.open(
      {
        // DuckDB spills past its memory limit into the sandbox's own temp folder (by default it would use ./.tmp).
        tempDir: join(new SandboxState(sandbox.dir).tmpDir, `query-${process.pid}-${Date.now()}`),
        threads: options.threads ?? 2,
        onDisk: tablesOnDisk(sandbox, options.memory),
        ...(options.memory === undefined ? {} : { memoryBytes: options.memory }),
        ...(options.onSql === undefined ? {} : { onStatement: options.onSql }),
      },
      () => undefined,
    ).catch((e: unknown) => {
      throw new QueryError("QRY-002", messageOf(e));
    });
    try {
      const sources = mergeSourcesOf(sandbox);
      const tables: QueryTable[] = [];
      const taken = new Set<string>();
      const nameFor = (name: string, id: string): string => {
        let t = tableNameOf(name);
        if (taken.has(t)) t = `${t}_${slug(id)}`;
        taken.add(t);
        return t;
      };
      const paths: string[] = [];
      for (const s of await readDatasetsSql(sources, DUCKDB, session)) await session.run(s);
      for (const d of sources.datasets) {
        const name = nameFor(d.name, d.id);
        const cols = [...d.type.fields.keys()].map((c) => DUCKDB.ident(c)).join(", ");
        await session.run(`CREATE TEMP VIEW ${DUCKDB.ident(name)} AS SELECT ${cols} FROM ${datasetView(d.index)}`);
        tables.push({ name, source: `dataset ${d.id} (${d.files.map((f) => f.rel).join(", ") || "no files"})` });
        paths.push(...d.files.map((f) => f.path));
      }
      const profileTables = new Map<string, string>();
      for (const policy of sandbox.policies.all().length > 0 ? sandbox.policies.all() : [sandbox.policies.default]) {
        const name = `profile_snapshot_export_${slug(policy.id)}`;
        profileTables.set(name, policy.id);
        tables.push({ name, source: `merged profiles under merge policy ${policy.id} (${policy.name})` });
        if (policy.id === sandbox.policies.default.id) {
          profileTables.set("profiles", policy.id);
          tables.push({ name: "profiles", source: `merged profiles under the default merge policy ${policy.id}` });
        }
      }
      const state = new SandboxState(sandbox.dir);
      const parts = state.membership.parts();
      paths.push(...parts);
      const membership =
        parts.length === 0
          ? "SELECT NULL::VARCHAR AS profile_key, NULL::VARCHAR AS segment_id, NULL::VARCHAR AS status, NULL::TIMESTAMPTZ AS last_qualification_time, NULL::VARCHAR AS version WHERE FALSE"
          : `SELECT key AS profile_key, segmentId AS segment_id, status, lastQualificationTime::TIMESTAMPTZ AS last_qualification_time, version FROM ${DUCKDB.readParquet(parts)}`;
      await session.run(`CREATE TEMP VIEW segment_membership AS ${membership}`);
      tables.push({ name: "segment_membership", source: "the membership snapshot of the last segment job" });
      const batches = state.records<BatchRecord>("batches").all();
      await session.run(`CREATE TEMP VIEW batches AS ${batchesSql(batches)}`);
      tables.push({ name: "batches", source: "the lake's batch records" });
      const lakeDatasets = new Map<string, string[]>();
      for (const b of batches) {
        if (b.status !== "success") continue;
        const datasetId = b.relatedObjects.find((o) => o.type === "dataSet")?.id;
        if (datasetId === undefined || sources.datasets.some((d) => d.id === datasetId)) continue;
        // Lake files are the engine's own, but a part file linked out of the sandbox is refused like any other.
        const files = (b.files ?? []).map((f) => join(sandbox.dir, f.path));
        for (const f of files) checkReadable(f, { sandboxDir: sandbox.dir });
        lakeDatasets.set(datasetId, [...(lakeDatasets.get(datasetId) ?? []), ...files]);
      }
      for (const [id, files] of lakeDatasets) {
        if (files.length === 0) continue;
        const name = nameFor(sandbox.datasets.find((d) => d.entry.id === id)?.entry.name ?? state.records<{ name?: string }>("datasets").get(id)?.name ?? id, id);
        const list = files.map((f) => DUCKDB.string(f)).join(", ");
        await session.run(
          `CREATE TEMP VIEW ${DUCKDB.ident(name)} AS SELECT * EXCLUDE (filename), regexp_extract(filename, '/batches/([^/]+)/', 1) AS batch_id FROM read_parquet([${list}], union_by_name = true, filename = true)`,
        );
        tables.push({ name, source: `exported dataset ${id} (${files.length} Parquet file${files.length === 1 ? "" : "s"})` });
        paths.push(...files);
      }
      return new SandboxQuery(session, sandbox, sources, tables, profileTables, paths, options.memory);
    } catch (e) {
      session.close();
      throw e;
    }
  }

  /** Runs one SQL text; the merged-profile tables it names are merged first (each once per session). */
  async run(sql: string): Promise<QueryResult> {
    const named = [...this.profileTables].filter(([t]) => !this.madeTables.has(t) && new RegExp(`\\b${t}\\b`, "i").test(sql));
    for (const [table, policyId] of named) await this.makeProfileTable(table, policyId);
    if (!this.locked) {
      await lockDown(this.session.connection, this.paths);
      this.locked = true;
    }
    try {
      const reader = await this.session.connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Array<Record<string, unknown>> };
    } catch (e) {
      throw new QueryError("QRY-001", firstLine(e), {}, detailOf(e));
    }
  }

  private async makeProfileTable(table: string, policyId: string): Promise<void> {
    const existing = this.mergedTables.get(policyId);
    if (existing !== undefined) {
      await this.session.run(`CREATE TEMP VIEW ${DUCKDB.ident(table)} AS SELECT * FROM ${DUCKDB.ident(existing)}`);
    } else {
      this.merge ??= await this.prepareMerge();
      this.session.stage = `merging the profiles of merge policy ${policyId}`;
      await this.merge.mergePolicy(this.sandbox.policies.get(policyId), table);
      this.mergedTables.set(policyId, table);
    }
    this.madeTables.add(table);
  }

  /**
   * Reads and links the data as a job does, within the same budget. Until DuckDB is locked down, the identities a job
   * linked and kept for this version of the data are copied in when there are (read only: a query changes no state);
   * after, DuckDB may open no such file, and they are linked anew.
   */
  private prepareMerge(): Promise<SqlMerge> {
    this.session.stage = "reading the data";
    return SqlMerge.prepare(this.session, this.sources, {
      ...(this.locked ? {} : { keep: keptFiles(this.sandbox, this.sources), keepReadOnly: true }),
      ...(this.memory === undefined ? {} : { memoryBytes: this.memory }),
    });
  }

  close(): void {
    this.session.close();
  }
}

function batchesSql(batches: readonly BatchRecord[]): string {
  const cols = "id, dataset_id, status, record_count, segment_ids, export_job_id, created, completed";
  if (batches.length === 0)
    return `SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS dataset_id, NULL::VARCHAR AS status, NULL::BIGINT AS record_count, NULL::VARCHAR[] AS segment_ids, NULL::VARCHAR AS export_job_id, NULL::TIMESTAMPTZ AS created, NULL::TIMESTAMPTZ AS completed WHERE FALSE`;
  const s = (v: string | undefined): string => (v === undefined ? "NULL" : DUCKDB.string(v));
  const rows = batches.map((b) =>
    [
      s(b.id),
      s(b.relatedObjects.find((o) => o.type === "dataSet")?.id),
      s(b.status),
      b.recordCount === undefined ? "NULL" : String(b.recordCount),
      b.tags?.segmentId === undefined ? "NULL" : `[${b.tags.segmentId.map(s).join(", ")}]::VARCHAR[]`,
      s(b.tags?.exportJobId[0]),
      `make_timestamptz(${b.created * 1000})`,
      b.completed === undefined ? "NULL" : `make_timestamptz(${b.completed * 1000})`,
    ].join(", "),
  );
  return `SELECT * FROM (VALUES (${rows.join("), (")})) AS t(${cols})`;
}

/** After this, DuckDB opens only `paths` and refuses any change to its configuration. */
async function lockDown(connection: DuckDBConnection, paths: readonly string[]): Promise<void> {
  const list = [...new Set(paths)].map((p) => DUCKDB.string(p)).join(", ");
  await connection.run(`SET allowed_paths = [${list}]`);
  await connection.run("SET allowed_directories = []");
  await connection.run("SET enable_external_access = false");
  await connection.run("SET autoinstall_known_extensions = false");
  await connection.run("SET autoload_known_extensions = false");
  await connection.run("SET lock_configuration = true");
}

/** DuckDB's own pointer under the message (`LINE 1: …` and its caret), when it gives one. */
function detailOf(e: unknown): string | undefined {
  const rest = messageOf(e).split("\n").slice(1).join("\n").trim();
  return rest === "" ? undefined : rest.replace(/^/gm, "  ");
}
