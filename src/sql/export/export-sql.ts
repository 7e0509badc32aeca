/**
 * The export job's rows on the SQL back end: from the merged profiles of the export's merge policy, the membership
 * snapshot and the external audiences, each batch's Parquet part files written by the engine (`COPY (SELECT …) TO`),
 * with the JS export's rows (src/engine/export-shard.ts) in its order:
 * - profile filters: empty profiles (no records) only with `emptyProfiles`; `fromIngestTimestamp` strictly before the
 *   profile's last update (its records' latest ingestion, or its events' for a profile of events only);
 * - segment filters: a batch takes a profile when any of its filter entries matches the profile's segmentMembership
 *   (namespace without case, status, qualification window) — memberships.ts builds it as the JS export does;
 * - `fields` cuts every column (row-values.ts); `timeSeriesEvents` holds the profile's events by timestamp, those
 *   ingested inside the eventList window, cut by `eventList.fields`;
 * - a batch's rows go into `part-00000.parquet`, `part-00001.parquet`, … of `rowsPerFile` rows each (an empty batch
 *   gets one file with the schema), in profile order (`xProfileOrder`).
 * Every COPY orders its rows and sets its row group size, so the files are the same bytes for any thread count.
 * Writing Parquet is DuckDB's own (COPY options, file types): another dialect would write its files its own way.
 */
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FinishedBatches, WrittenFile } from "../../export/batch-writer.js";
import { IDENTITY_GRAPH_LIMIT } from "../../engine/profile-groups.js";
import { DEFAULT_ROWS_PER_FILE } from "../../export/defaults.js";
import type { BatchSpec } from "../../export/export-job.js";
import type { ExportPlan, ResolvedSegmentFilter } from "../../export/export-request.js";
import { ALL, projectionOf } from "../../export/projection.js";
import { ProfileLabError } from "../../xdm/errors.js";
import { UPS_NAMESPACE, type MergePolicy } from "../../xdm/types.js";
import { firstLine } from "../jobs/engine-session.js";
import { object, SEGMENT_MEMBERSHIP_TYPE, type XdmObject } from "../../xdm/xdm-type.js";
import type { SqlDialect } from "../dialect.js";
import { DUCKDB } from "../duckdb.js";
import { SQL_ERROR_CODES, SqlCompileError } from "../errors.js";
import { joinEventMaps, KEYS } from "../merge/identities.js";
import { MERGED_COLUMNS, policyDatasets } from "../merge/merge-profiles.js";
import { EVENTS_VIEW } from "../merge/read-datasets.js";
import type { SqlSession } from "../merge/session.js";
import type { MergeSources } from "../merge/sources.js";
import { withinRun, type ProfileRun, type StageTime } from "../merge/sql-merge.js";
import { nameProblem, ROW_SHAPE_NAMES } from "../row-shape.js";
import { createEntries, segmentMembershipSql, type EntriesRead } from "./memberships.js";
import { LISTED_ENTRY_BYTES, SORTED_ENTRIES_ABOVE_RUNS } from "../membership-sql.js";
import { fileTypeName, RowValues } from "./row-values.js";

/** An engine statement of the export failed (the message says which step and file). */
export class SqlExportError extends ProfileLabError {
  override readonly name = "SqlExportError";
}

/**
 * How each batch file is written: rows per row group as the JS writer's (src/io/parquet-writer.ts), and zstd at level 1
 * rather than DuckDB's default 3: the ten files of a 1M-person export took 17.4–18.5 s against 17.6–21.4 s (alternated
 * four times over one rows table) and take 144.1 MiB against 147.6 (bench/RESULTS.md).
 */
export const BATCH_FILE_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 100000";

export interface SqlExportInput {
  /** The merged-profiles table of the export's merge policy (SqlMerge.mergePolicy). */
  readonly merged: string;
  /**
   * The schema of the merged table's columns and `xEvent` items when it was merged for the fields some readers use
   * only; default the sources' union schemas. It must carry what the export reads: the `fields` (all without),
   * identityMap (the namespace counters), and the events' `eventList.fields` when events are exported.
   */
  readonly carried?: { readonly profile: XdmObject; readonly event: XdmObject };
  /** The component table of the policy's identity graph (SqlMerge.identityGraphOf); undefined for `none`. */
  readonly identityGraph: string | undefined;
  /** The membership snapshot after the segment job, a table or view: (key, segmentId, status, lastQualificationTime, version). */
  readonly memberships: string;
  /** The external audiences (memberships.ts createAudiencesTable), or undefined when the sandbox has none. */
  readonly audiences: string | undefined;
  readonly sources: MergeSources;
  /** The fragments' table (SqlMerge.fragments; an event's is its map's), asked for only when the rows need the events' ingestion times. */
  readonly fragments: () => Promise<string>;
  readonly policy: MergePolicy;
  readonly plan: ExportPlan;
  /** The row type the JS export writes (ExportContext.rowType): the file's columns. */
  readonly rowType: XdmObject;
  readonly specs: readonly BatchSpec[];
}

export interface SqlExportOptions {
  /** The export's clock, epoch ms (external audiences' validity). */
  readonly asOf: number;
  /** Each batch's folder (in `specs` order), made if missing. */
  readonly batchDirs: readonly string[];
  readonly rowsPerFile?: number;
  readonly dialect?: SqlDialect;
  /** Prefix of the work tables the export makes (and drops). */
  readonly prefix?: string;
  /** The number of runs work over `items` items of `bytesPerItem` each fits in within the job's memory (SqlMerge.runsFor); one when absent. */
  readonly runsFor?: (items: number, bytesPerItem: number) => number;
}

export interface SqlExportResult extends FinishedBatches {
  /** Wall time of each step, in order (the benchmark's breakdown). */
  readonly times: readonly StageTime[];
  /** Profiles exported (in any batch). */
  readonly exported: number;
  /** Exported profiles by identity namespace, keys in order of first profile. */
  readonly byNamespace: Record<string, number>;
  /** Stitched profiles the merge left out for their identity graph's size (the merged table does not hold them). */
  readonly excludedOverIdentityLimit: number;
}

/** Whether the rows need each event's ingestion time (eventList window; the last update of event-only profiles). */
function needsEventIngest(input: SqlExportInput): boolean {
  const { plan, rowType } = input;
  const window = plan.eventList !== undefined && (plan.eventList.from !== undefined || plan.eventList.to !== undefined);
  return (window && rowType.fields.has("timeSeriesEvents")) || (plan.fromIngestTimestamp !== undefined && plan.emptyProfiles);
}

/** The entries the batches' segment filters read. */
function filtersRead(specs: readonly BatchSpec[]): EntriesRead {
  const filters = specs.flatMap((s) => s.filters ?? []);
  const namespaces = [...new Set(filters.map((f) => f.segmentNs.toLowerCase()))];
  const upsSegments = [...new Set(filters.filter((f) => f.segmentNs.toLowerCase() === UPS_NAMESPACE).map((f) => f.segmentId))];
  return { upsSegments, namespaces };
}

/** The condition that one segment filter entry matches an entry row (memberships.ts `createEntries`). */
function filterCondition(f: ResolvedSegmentFilter, plan: ExportPlan, d: SqlDialect): string {
  const parts = [
    "ns_first",
    `lns = ${d.string(f.segmentNs.toLowerCase())}`,
    `sid = ${d.string(f.segmentId)}`,
    f.status.length === 0 ? "FALSE" : `st IN (${f.status.map((s) => d.string(s)).join(", ")})`,
  ];
  if (plan.qualificationStart !== undefined) parts.push(`lqt_ms >= ${plan.qualificationStart}`);
  if (plan.qualificationEnd !== undefined) parts.push(`lqt_ms <= ${plan.qualificationEnd}`);
  return d.and(parts);
}

/** Runs of profiles: ranges (after, through] of a column's values (one run, undefined: the whole table). */
type Runs = ReadonlyArray<ProfileRun | undefined>;

const ONE_RUN: Runs = [undefined];

/** A profile's segmentMembership map and the runs of profiles (by key id) it was built in (ExportSql.memberships). */
interface Memberships {
  readonly table: string;
  readonly runs: Runs;
  /** The entries listed: every candidate profile's, so at least the exported profiles'. */
  readonly entries: number;
}

/**
 * DuckDB's memory that building the exported rows in one run may take per row, and per membership entry and event
 * ingestion time a row carries: the rows join the selection's (its batches, map and list) as a hash table beside the
 * wide profiles. 1M persons (1.72M rows, 2.68M entries) in 200 MiB (`--memory 400m`) ran out in 1–3 runs and fit in 4;
 * what fits is not monotonic in the limit (one run fit in 300 MiB and not in 400), hence about twice that margin.
 */
const EXPORTED_ROW_BYTES = 256;
const MAP_ENTRY_BYTES = 512;
const INGEST_TIME_BYTES = 32;

/** `table`, or its rows whose `column` is in `run`, as a FROM item. */
function inRun(table: string, column: string, run: ProfileRun | undefined): string {
  return run === undefined ? table : `(SELECT * FROM ${table}${withinRun(column, run)})`;
}

/** The SQL export: work tables named from `prefix`, then one COPY per part file. */
class ExportSql {
  private readonly d: SqlDialect;
  private readonly values: RowValues;
  private readonly p: string;
  private readonly tables: string[] = [];
  readonly times: StageTime[] = [];
  private readonly merged: string;
  private readonly key: string;
  private readonly order: string;
  private readonly keyId: string;
  private readonly carried: { readonly profile: XdmObject; readonly event: XdmObject };

  constructor(
    private readonly session: SqlSession,
    private readonly input: SqlExportInput,
    private readonly options: SqlExportOptions,
  ) {
    this.d = options.dialect ?? DUCKDB;
    this.values = new RowValues(this.d);
    this.p = options.prefix ?? "pl_export";
    this.merged = this.d.ident(input.merged);
    this.key = this.d.ident(MERGED_COLUMNS.key);
    this.order = this.d.ident(MERGED_COLUMNS.order);
    this.keyId = this.d.ident(MERGED_COLUMNS.keyId);
    this.carried = input.carried ?? { profile: input.sources.profileType, event: input.sources.eventType };
  }

  /** Runs a step, timed; an engine error becomes a SqlExportError naming the step (and the file, when writing one). */
  private async step<T>(what: string, work: () => Promise<T>, file?: string): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } catch (e) {
      if (e instanceof ProfileLabError) throw e;
      throw new SqlExportError("SQL-X001", `the export failed while ${what}: ${firstLine(e)}`, file === undefined ? {} : { file });
    } finally {
      this.times.push({ stage: what, ms: performance.now() - start });
    }
  }

  private async create(name: string, select: string, what: string): Promise<string> {
    const table = `${this.p}_${name}`;
    await this.step(what, () => this.session.run(`CREATE OR REPLACE TABLE ${table} AS ${select}`));
    this.tables.push(table);
    return table;
  }

  /** (pid, iid, ik): each exported-candidate profile's identities (ProfileGroup.identities). */
  private identities(): Promise<string> {
    const own = `SELECT m.${this.keyId} AS pid, m.${this.keyId} AS iid, m.${this.key} AS ik FROM ${this.merged} AS m`;
    const graph = this.input.identityGraph;
    const linked = graph === undefined ? "" : ` UNION ALL SELECT c.label, c.id, k.k FROM ${graph} AS c JOIN ${KEYS} AS k ON k.id = c.id JOIN (${own}) AS o ON o.pid = c.label`;
    return this.create("ids", `${own}${linked}`, "listing the profiles' identities");
  }

  /** (pid, ing): each profile's events' ingestion times, epoch ms, in the order of its `xEvent` list. */
  private async eventIngest(): Promise<string> {
    const d = this.d;
    const { sources, policy, identityGraph } = this.input;
    const fragments = await this.input.fragments();
    const included = policyDatasets(sources, policy);
    const pid = identityGraph === undefined ? "f.prim" : "coalesce(c.label, f.prim)";
    const join = identityGraph === undefined ? "" : ` LEFT JOIN ${identityGraph} AS c ON c.id = f.prim`;
    return this.create(
      "evi",
      `SELECT ${pid} AS pid, ${d.orderedList("e.pl_ingest", ["e.pl_ts", "e.pl_seq"])} AS ing FROM ${EVENTS_VIEW} AS e ${joinEventMaps(sources, d, "e", fragments, "f")}${join} ` +
        `WHERE f.pl_ds IN (${included.length > 0 ? included.join(", ") : "NULL"}) GROUP BY 1`,
      "reading the events' ingestion times",
    );
  }

  /** The profiles' segmentMembership entries (memberships.ts createEntries). */
  private async entries(read: EntriesRead | undefined): Promise<string> {
    const { input, options } = this;
    const ids = await this.identities();
    const entries = await this.step("building the segment memberships", () =>
      createEntries(this.session, { identities: ids, memberships: input.memberships, audiences: input.audiences }, this.p, options.asOf, this.d, read),
    );
    this.tables.push(`${this.p}_segs`, entries);
    return entries;
  }

  /**
   * (pid, sm): each profile's segmentMembership, in runs of profiles (by key id) when its entries are many: listing
   * every profile's entries at once did not fit where the merge did (1M persons in 400 MiB).
   */
  private async memberships(entries: string): Promise<Memberships> {
    const what = "building the segment memberships";
    const upsOnly = this.input.audiences === undefined;
    const [counts] = await this.step(what, () => this.session.rows(`SELECT count(*) AS n FROM ${entries}`));
    const count = Number(counts!["n"]);
    const parts = this.options.runsFor?.(count, LISTED_ENTRY_BYTES) ?? 1;
    const runs = parts === 1 ? ONE_RUN : await this.quantileRuns(entries, "pid", parts, what);
    // Each run picks its profiles' entries out of them all, sorted by profile first only for many runs.
    const source = parts > SORTED_ENTRIES_ABOVE_RUNS ? await this.create("entries_by_pid", `SELECT * FROM ${entries} ORDER BY pid`, what) : entries;
    const runSql = (run: ProfileRun | undefined): string => segmentMembershipSql(`${inRun(source, "pid", run)} AS e`, upsOnly, this.d);
    return { table: await this.inRuns("sm", runs, runSql, what), runs, entries: count };
  }

  /**
   * (o, pid, b0, b1, …[, sm][, ing]): the profiles that pass the profile filters and go into at least one batch, with
   * what their rows take by profile (segmentMembership, the events' ingestion times), in the runs of profiles the maps
   * were built in. The rows then join one narrow table by profile order: joined by key id there, DuckDB's hash table of
   * the maps did not fit beside the wide rows (1M persons in 400 MiB; bench/RESULTS.md).
   */
  private async selection(entries: string | undefined, evi: string | undefined, sm: Memberships | undefined): Promise<string> {
    const d = this.d;
    const { plan, specs } = this.input;
    const what = "applying the profile and segment filters";
    const filters = specs.flatMap((s, i) => (s.filters ?? []).map((f, j) => ({ batch: i, column: `f${i}_${j}`, f })));
    let matchJoin = "";
    if (entries !== undefined && filters.length > 0) {
      const columns = filters.map(({ column, f }) => `bool_or(${filterCondition(f, plan, d)}) AS ${column}`);
      const match = await this.create("match", `SELECT pid, ${columns.join(", ")} FROM ${entries} GROUP BY pid`, "matching the segment filters");
      matchJoin = ` LEFT JOIN ${match} AS f ON f.pid = m.${this.keyId}`;
    }
    const batches = specs.map((s, i) => {
      if (s.filters === undefined) return "TRUE";
      const mine = filters.filter((f) => f.batch === i).map((f) => `f.${f.column}`);
      return mine.length === 0 ? "FALSE" : `coalesce(${d.or(mine)}, FALSE)`;
    });
    const hasRecords = `m.${d.ident(MERGED_COLUMNS.recordCount)} > 0`;
    const where = [d.or(batches)];
    if (!plan.emptyProfiles) where.push(hasRecords);
    if (plan.fromIngestTimestamp !== undefined) {
      const events = evi === undefined ? "NULL" : "list_max(ev.ing)";
      where.push(`CASE WHEN ${hasRecords} THEN m.${d.ident(MERGED_COLUMNS.lastIngestTime)} ELSE ${events} END > ${plan.fromIngestTimestamp}`);
    }
    const carried = [...(sm === undefined ? [] : [", sm.sm AS sm"]), ...(evi === undefined ? [] : [", ev.ing AS ing"])].join("");
    const runs = sm?.runs ?? ONE_RUN;
    const runSql = (run: ProfileRun | undefined): string =>
      `SELECT m.${this.order} AS o, m.${this.keyId} AS pid, ${batches.map((b, i) => `${b} AS b${i}`).join(", ")}${carried} FROM ${inRun(this.merged, this.keyId, run)} AS m${matchJoin}` +
      (sm === undefined ? "" : ` LEFT JOIN ${inRun(sm.table, "pid", run)} AS sm ON sm.pid = m.${this.keyId}`) +
      (evi === undefined ? "" : ` LEFT JOIN ${inRun(evi, "pid", run)} AS ev ON ev.pid = m.${this.keyId}`) +
      ` WHERE ${d.and(where)}`;
    return this.inRuns("sel", runs, runSql, what);
  }

  /**
   * `parts` runs over integer `column` of `table` holding nearly equal numbers of its rows, cut at its quantiles (key
   * ids cluster: runs of equal ranges of them held 65 and 35 % of a 1M-person export's entries), the first and the last
   * open, so that what joins by that column in the same runs meets every value.
   */
  private async quantileRuns(table: string, column: string, parts: number, what: string): Promise<Runs> {
    const fractions = Array.from({ length: parts - 1 }, (_, i) => (i + 1) / parts);
    const rows = await this.step(what, () =>
      this.session.rows(`SELECT DISTINCT unnest(q) AS q FROM (SELECT quantile_disc(${column}, [${fractions.join(", ")}]) AS q FROM ${table}) ORDER BY q`),
    );
    const cuts = [Number.MIN_SAFE_INTEGER, ...rows.map((r) => Number(r["q"])), Number.MAX_SAFE_INTEGER];
    return cuts.slice(1).map((through, i) => [cuts[i]!, through] as const);
  }

  /** Creates work table `name` from the SELECT of each run, in order (one statement for one run). */
  private async inRuns(name: string, runs: Runs, runSql: (run: ProfileRun | undefined) => string, what: string): Promise<string> {
    const [first, ...rest] = runs;
    const table = await this.create(name, runSql(first), what);
    for (const run of rest) await this.step(what, () => this.session.run(`INSERT INTO ${table} ${runSql(run)}`));
    return table;
  }

  /** The SELECT list of a row: the row type's columns, cut by `fields`, typed as the file's. */
  private columns(evi: string | undefined): string[] {
    const d = this.d;
    const { plan, rowType } = this.input;
    const projection = plan.fields && projectionOf(plan.fields);
    return [...rowType.fields].map(([name, dst]) => {
      const sel = projection === undefined ? ALL : (projection.get(name) ?? ALL);
      let value: string;
      if (name === "timeSeriesEvents" && plan.eventList !== undefined && dst.kind === "array" && dst.items.kind === "object") {
        value = this.events(dst.items, evi);
      } else if (name === "segmentMembership") {
        value = this.values.value("s.sm", SEGMENT_MEMBERSHIP_TYPE, dst, sel);
      } else {
        const src = this.carried.profile.fields.get(name);
        value = src === undefined ? this.values.nullOf(dst) : this.values.value(`m.${d.ident(name)}`, src, dst, sel);
      }
      return `CAST(${value} AS ${fileTypeName(dst, d)}) AS ${d.ident(name)}`;
    });
  }

  /** `timeSeriesEvents`: the profile's events ingested inside the window, each cut by `eventList.fields` (never dropped). */
  private events(dst: XdmObject, evi: string | undefined): string {
    const d = this.d;
    const el = this.input.plan.eventList!;
    const list = `m.${d.ident(ROW_SHAPE_NAMES.events)}`;
    const ingest = d.listElement("s.ing", "pl_i");
    const window = [el.from === undefined ? "" : `${ingest} > ${el.from}`, el.to === undefined ? "" : `${ingest} < ${el.to}`].filter((c) => c !== "");
    const kept = window.length === 0 || evi === undefined ? list : d.listFilter(list, d.lambda(["pl_e", "pl_i"], d.and(window)));
    const projection = el.fields && projectionOf(el.fields);
    const src = this.carried.event;
    const each = projection === undefined ? this.values.whole("pl_e", src, dst) : this.values.fields("pl_e", src, dst, projection);
    return d.listTransform(kept, d.lambda(["pl_e"], each));
  }

  /** The identity namespaces of the exported profiles' identityMaps: profiles per namespace, in order of first profile. */
  private async byNamespace(sel: string): Promise<Record<string, number>> {
    const d = this.d;
    if (this.carried.profile.fields.get("identityMap")?.kind !== "map") return {};
    const keys = d.mapKeys(`m.${d.ident("identityMap")}`);
    const rows = await this.step("counting the exported identities", () =>
      this.session.rows(
        `SELECT ns, count(*) AS n FROM (SELECT s.o, ${d.unnest(keys)} AS ns, ${d.unnestIndex(keys)} AS i FROM ${sel} AS s JOIN ${this.merged} AS m ON m.${this.order} = s.o) ` +
          `GROUP BY ns ORDER BY min({'o': o, 'i': i})`,
      ),
    );
    return Object.fromEntries(rows.map((r) => [String(r["ns"]), Number(r["n"])]));
  }

  /** The components of the policy's identity graph over IDENTITY_GRAPH_LIMIT identities: each is a profile the merge leaves out. */
  private async excluded(): Promise<number> {
    const graph = this.input.identityGraph;
    if (graph === undefined) return 0;
    const rows = await this.step("counting the profiles over the identity limit", () =>
      this.session.rows(`SELECT count(*) AS n FROM (SELECT label FROM ${graph} GROUP BY label HAVING count(*) + 1 > ${IDENTITY_GRAPH_LIMIT})`),
    );
    return Number(rows[0]!["n"]);
  }

  async run(): Promise<SqlExportResult> {
    const d = this.d;
    const { input, options } = this;
    const rowsPerFile = options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE;
    if (!Number.isSafeInteger(rowsPerFile) || rowsPerFile < 1) throw new SqlCompileError(SQL_ERROR_CODES.internal, `rowsPerFile must be a positive integer, not ${rowsPerFile}`, undefined);
    if (options.batchDirs.length !== input.specs.length) throw new SqlCompileError(SQL_ERROR_CODES.internal, `${input.specs.length} batches but ${options.batchDirs.length} folders`, undefined);
    const problem = nameProblem({ profile: input.rowType, event: object([]) }, d);
    if (problem !== undefined) throw new SqlCompileError(SQL_ERROR_CODES.names, `the export's columns cannot be written: ${problem.replace(/^profile/, "row")}`, undefined);

    // Memberships are built only when a segment filter or the segmentMembership column reads them.
    const filtered = input.specs.some((s) => s.filters !== undefined && s.filters.length > 0);
    const withMemberships = input.rowType.fields.has("segmentMembership");
    const entries = filtered || withMemberships ? await this.entries(withMemberships ? undefined : filtersRead(input.specs)) : undefined;
    const sm = entries !== undefined && withMemberships ? await this.memberships(entries) : undefined;
    const evi = needsEventIngest(input) ? await this.eventIngest() : undefined;
    const sel = await this.selection(entries, evi, sm);

    const events = evi === undefined ? "" : `, coalesce(sum(${d.listLength("ing")}), 0) AS events`;
    const counts = (await this.step("counting the batches' rows", () => this.session.rows(`SELECT count(*) AS n, ${input.specs.map((_, i) => `count_if(b${i}) AS b${i}`).join(", ")}${events} FROM ${sel}`)))[0]!;
    // Every exported row built once with the batches it goes to: each file then reads its rows from this table (and
    // sorts them: the row groups of a sort's output are the same for any thread count, those of the table's own order
    // are not on one thread: table-order.test.ts), where it joined the wide merged profiles (a scan of all of them).
    // In runs by profile order when the selection's maps and lists are many: its rows are the join's hash table.
    const exported = Number(counts["n"]);
    const what = "building the exported rows";
    const perRow = exported === 0 ? 0 : ((sm?.entries ?? 0) * MAP_ENTRY_BYTES + Number(counts["events"] ?? 0) * INGEST_TIME_BYTES) / exported;
    const parts = options.runsFor?.(exported, EXPORTED_ROW_BYTES + perRow) ?? 1;
    const runs = parts === 1 ? ONE_RUN : await this.quantileRuns(sel, "o", parts, what);
    const select = ["s.o AS pl_o", ...input.specs.map((_, i) => `s.b${i} AS pl_b${i}`), ...this.columns(evi)].join(", ");
    const rowSql = (run: ProfileRun | undefined): string =>
      `SELECT ${select} FROM ${inRun(sel, "o", run)} AS s JOIN ${inRun(this.merged, this.order, run)} AS m ON m.${this.order} = s.o`;
    const rowsTable = await this.inRuns("rows", runs, rowSql, what);
    const columns = [...input.rowType.fields.keys()].map((name) => d.ident(name)).join(", ");
    // The files' COPYs each on one thread, as many at once as the job has threads (runEach), where each ran on all of
    // them in turn: a sort and a Parquet writer use two threads poorly (1M persons, ten batches: the export 18.5–22.9 →
    // 16.5–18.0 s, bench/RESULTS.md). The bytes are those of any thread count (table-order.test.ts).
    const planned: { readonly name: string; readonly rows: number; readonly path: string; readonly copy: string }[][] = [];
    for (const [i, dir] of options.batchDirs.entries()) {
      mkdirSync(dir, { recursive: true });
      const rows = Number(counts[`b${i}`]);
      const parts = Math.max(1, Math.ceil(rows / rowsPerFile));
      // A batch of several files cut by the profile order of every rowsPerFile-th row: each file then sorts its own
      // rows, where a LIMIT and OFFSET sorted the batch's again for each (10M persons: a batch of 5.5M rows, 62 s for
      // its first file).
      const ends = parts === 1 ? [] : await this.step(`cutting batch ${input.specs[i]!.batchId} into files`, () => this.fileEnds(rowsTable, i, rowsPerFile));
      const written: (typeof planned)[number] = [];
      for (let k = 0; k < parts; k++) {
        const name = `part-${String(k).padStart(5, "0")}.parquet`;
        const after = k > 0 ? ` AND pl_o > ${ends[k - 1]}` : "";
        const through = k < parts - 1 ? ` AND pl_o <= ${ends[k]}` : "";
        const query = `SELECT ${columns} FROM ${rowsTable} WHERE pl_b${i}${after}${through} ORDER BY pl_o`;
        const path = join(dir, name);
        written.push({ name, rows: Math.min(rowsPerFile, rows - k * rowsPerFile), path, copy: `COPY (${query}) TO ${d.string(path)} (${BATCH_FILE_OPTIONS})` });
      }
      planned.push(written);
    }
    const start = performance.now();
    // Largest first, so that no large file is left to run alone at the end (a stable sort: ties in batch order).
    const largestFirst = planned.flat().sort((a, b) => b.rows - a.rows);
    await this.step("writing the batches", () => this.session.runEach(largestFirst.map((f) => f.copy)));
    const writeMs = performance.now() - start;
    const files: WrittenFile[][] = planned.map((written) => written.map(({ name, rows, path }) => ({ name, rows, bytes: statSync(path).size })));
    const byNamespace = await this.byNamespace(sel);
    const excludedOverIdentityLimit = await this.excluded();
    return { files, writeMs: Math.round(writeMs), exported: Number(counts["n"]), byNamespace, excludedOverIdentityLimit, times: this.times };
  }

  /** The profile order (pl_o) of the last row of each full file of batch `i`, in order. */
  private async fileEnds(rowsTable: string, i: number, rowsPerFile: number): Promise<number[]> {
    const rows = await this.session.rows(
      `SELECT pl_o FROM (SELECT pl_o, row_number() OVER (ORDER BY pl_o) AS r FROM ${rowsTable} WHERE pl_b${i}) WHERE r % ${rowsPerFile} = 0 ORDER BY pl_o`,
    );
    return rows.map((r) => Number(r["pl_o"]));
  }

  async dropTables(): Promise<void> {
    for (const t of this.tables.reverse()) await this.session.run(`DROP TABLE IF EXISTS ${t}`);
  }
}

/**
 * Writes every batch of an export into its folder from the merged profiles, memberships and audiences in `session`,
 * and returns the files and the export's counters. The work tables it makes are dropped however it ends; the
 * folders' files are the caller's to remove when it fails.
 */
export async function writeExportSql(session: SqlSession, input: SqlExportInput, options: SqlExportOptions): Promise<SqlExportResult> {
  const exportSql = new ExportSql(session, input, options);
  let result: SqlExportResult;
  try {
    result = await exportSql.run();
  } catch (e) {
    // The export's error is the one to report; a connection it broke may refuse the drops too.
    await exportSql.dropTables().catch(() => undefined);
    throw e;
  }
  await exportSql.dropTables();
  return result;
}
