/**
 * The SQL merge of a sandbox on one engine session: the datasets read where they lie and the identities numbered
 * and linked once (steps 1–2), then the merged profiles of any merge policy as a table (step 3). Each stage's wall
 * and CPU time is kept for the benchmark.
 */
import { existsSync, rmSync } from "node:fs";
import type { MergePolicy } from "../../xdm/types.js";
import type { SqlDialect } from "../dialect.js";
import { DUCKDB } from "../duckdb.js";
import { duckDbMemoryBytes } from "../jobs/engine-session.js";
import type { FieldUse } from "./field-use.js";
import { checkPrimaries, components, EVENT_MAPS, eventMapsSql, FRAGMENTS, fragmentsAndLinksSql, hashKeys, identitiesSql, IDENTITIES, KEY_HASHES, KEYS, LINKS, lowerNamespaces, NAMESPACES, numberKeys, type ComponentMethod } from "./identities.js";
import { attachTables, detachTables, keepTables, openKeep, restoreTables } from "./kept-tables.js";
import { mergeProfilesSql, policyDatasets, type ComponentTables, type MergeProfilesOptions } from "./merge-profiles.js";
import { readDatasetsSql } from "./read-datasets.js";
import type { SqlSession } from "./session.js";
import type { MergeSources } from "./sources.js";

export interface SqlMergeOptions {
  /** How identity components are computed (default: the union-find, the faster one — see bench/RESULTS.md). */
  readonly components?: ComponentMethod;
  readonly dialect?: SqlDialect;
  /** The job's memory budget, bytes: a policy's merge runs in as many parts as its rows need within it (mergeParts). */
  readonly memoryBytes?: number;
  /** The files that hold, or will hold, what this merge builds over exactly this data (KeptFiles). */
  readonly keep?: KeptFiles;
  /** Copy the linked identities in from `keep.links` only, never write it: a query reads the sandbox's state, never changes it. */
  readonly keepReadOnly?: boolean;
  /** The number of runs every policy's merge takes, whatever `memoryBytes` says (tests of runs on small data). */
  readonly runs?: number;
  /**
   * Of the linked identities found in `keep.links`, those a merge reads (MERGE_LINKED_TABLES) are copied in when a
   * merge is to run or the fragments are asked for (fragments), not before: for a job that may not merge — an export
   * over a policy's kept merged profiles reads the keys alone (10M persons, when the fragments were a row per event:
   * copying those two in took 19.3 s of its 672 s).
   */
  readonly deferMergeLinks?: boolean;
}

/**
 * DuckDB files named by everything their tables depend on (src/engine/data-version.ts; kept-tables.ts): `links`
 * holds the linked identities of the data, copied in when it is there and whole, else written once they are
 * linked; `merged(policy)` a policy's merged profiles (keepMerged, restoreMerged).
 */
export interface KeptFiles {
  readonly links: string;
  merged(policy: MergePolicy): string;
}

/** The name the merged profiles have in a kept file, and in the session that reads them (restoreMerged). */
export const KEPT_PROFILES = "pl_kept_profiles";
/** The name a kept file of merged profiles is attached as while read (restoreMerged, releaseMerged). */
const KEPT_MERGED_FILE = "pl_kept_merged";

/** The merged profiles of a policy being kept (SqlMerge.keepMerged). */
export interface MergedKeep {
  /** The table of the kept file to merge them into (MergeProfilesOptions.into). */
  readonly into: string;
  /** Completes the file once the job is past the merged profiles (their view and events' table dropped). */
  commit(): Promise<void>;
  /** Removes what was written (the job failed). */
  abort(): Promise<void>;
}

export interface StageTime {
  readonly stage: string;
  readonly ms: number;
  /** CPU time of the whole process meanwhile (the engine's threads included), where measured. */
  readonly cpuMs?: number;
}

/**
 * DuckDB's memory limit per row of the datasets (record or event) that a merge in one run may take: its largest
 * statement, the identityMap union, took 2.3 GB for the 1.2M rows of 100k persons in one run, and the merge of those
 * rows ran out of `--memory 400m` in one run but not in two; the tables the job keeps share the limit.
 */
const MERGE_BYTES_PER_ROW = 1152;

/**
 * The number of runs work over `items` items of `bytesPerItem` each fits in within DuckDB's share of the memory
 * budget `memoryBytes` (duckDbMemoryBytes; one run without a budget).
 */
function runsWithin(items: number, bytesPerItem: number, memoryBytes: number | undefined): number {
  return memoryBytes === undefined ? 1 : Math.max(1, Math.ceil((items * bytesPerItem) / duckDbMemoryBytes(memoryBytes)));
}

/** The number of runs a merge of `rows` rows fits in within the memory budget `memoryBytes` (one without a budget). */
export function mergeParts(rows: number, memoryBytes: number | undefined): number {
  return runsWithin(rows, MERGE_BYTES_PER_ROW, memoryBytes);
}

/** A run of places (after, through]: profileRuns. */
export type ProfileRun = readonly [number, number];

/** ` WHERE` `column` (its places shifted by `offset`) is in `run`; nothing for the whole table (no run). */
export function withinRun(column: string, run: ProfileRun | undefined, offset = 0): string {
  return run === undefined ? "" : ` WHERE ${column} > ${offset + run[0]} AND ${column} <= ${offset + run[1]}`;
}

/**
 * `parts` ranges (after, through] of places in profile order that cover 1…`last`, nearly equal; one run is the
 * whole table (undefined: no range).
 */
export function profileRuns(last: number, parts: number): Array<ProfileRun | undefined> {
  if (parts <= 1) return [undefined];
  return Array.from({ length: parts }, (_, i) => [Math.floor((i * last) / parts), Math.floor(((i + 1) * last) / parts)] as const);
}

/** The components of the graph over all datasets (id, label): the order of profiles and of the membership snapshot. */
export const ALL_COMPONENTS = "pl_comp_all";

/** What prepare builds after the views (the identities' table aside, dropped once linked): what is kept per data version. */
const LINKED_TABLES = [NAMESPACES, KEYS, KEY_HASHES, EVENT_MAPS, FRAGMENTS, LINKS, ALL_COMPONENTS];
/** The linked tables a merge reads and few else (fragments), the file's largest (a row per record and per distinct event map): deferMergeLinks. */
const MERGE_LINKED_TABLES = [EVENT_MAPS, FRAGMENTS];

export class SqlMerge {
  /** Wall and CPU time of each stage run so far, in order. */
  readonly times: StageTime[] = [];
  private readonly policyComponents = new Set<string>();

  private keyCount = 0;
  /** The kept file MERGE_LINKED_TABLES are still to be copied in from (deferMergeLinks), until a merge. */
  private mergeLinksFrom: string | undefined;

  private constructor(
    private readonly session: SqlSession,
    readonly sources: MergeSources,
    private readonly dialect: SqlDialect,
    private readonly method: ComponentMethod,
    private readonly memoryBytes: number | undefined,
    private readonly kept: KeptFiles | undefined,
    private readonly runs: number | undefined,
  ) {}

  /**
   * Reads the datasets, numbers and links their identities, and computes the components over all datasets. With
   * `keep`, the linked identities are copied in from that file when it is there and whole, else kept in it (unless
   * `keepReadOnly`).
   */
  static async prepare(session: SqlSession, sources: MergeSources, options: SqlMergeOptions = {}): Promise<SqlMerge> {
    const dialect = options.dialect ?? DUCKDB;
    const method = options.components ?? "union-find";
    const merge = new SqlMerge(session, sources, dialect, method, options.memoryBytes, options.keep, options.runs);
    await merge.timed("views", async () => {
      for (const s of await readDatasetsSql(sources, dialect, session)) await session.run(s);
    });
    const links = options.keep?.links;
    const defer = options.deferMergeLinks === true;
    if (links !== undefined && (await merge.reuse(links, defer ? LINKED_TABLES.filter((t) => !MERGE_LINKED_TABLES.includes(t)) : LINKED_TABLES))) {
      if (defer) merge.mergeLinksFrom = links;
    } else {
      await merge.link();
      if (links !== undefined && options.keepReadOnly !== true) await merge.keep(links);
    }
    return merge;
  }

  /**
   * Starts keeping the merged profiles of `policy`, merged for `use`, without their events, for an export over the
   * same data (restoreMerged): the merge writes them into the kept file (`into`) — only when they carry every profile
   * field and identity, as an export may read. Undefined when not kept so: no kept files, fewer fields, a file already
   * there (its name says all it holds), or one that cannot be made.
   */
  async keepMerged(policy: MergePolicy, use: FieldUse): Promise<MergedKeep | undefined> {
    const file = this.kept?.merged(policy);
    if (file === undefined || use.profile !== true || !use.identities || existsSync(file)) return undefined;
    const keep = await openKeep(this.session, file);
    if (keep === undefined) return undefined;
    return {
      into: keep.table(KEPT_PROFILES),
      commit: async () => {
        if (await this.timed(`merged profiles of ${policy.id} kept`, () => keep.commit(0))) {
          this.session.note?.(`merged profiles of merge policy ${policy.id} kept in ${file} for an export over the same data`);
        }
      },
      abort: () => keep.abort(),
    };
  }

  /**
   * Makes the merged profiles of `policy` a job kept over the same data (keepMerged: every profile field, no events)
   * readable as KEPT_PROFILES, read where they lie until releaseMerged. Whether it could; a file that cannot be opened
   * is removed, to be kept anew.
   */
  async restoreMerged(policy: MergePolicy): Promise<boolean> {
    const file = this.kept?.merged(policy);
    if (file === undefined || !existsSync(file)) return false;
    if ((await this.timed(`merged profiles of ${policy.id} attached`, () => attachTables(this.session, file, KEPT_MERGED_FILE, [KEPT_PROFILES]))) === undefined) {
      rmSync(file, { force: true });
      return false;
    }
    this.session.note?.(`merged profiles of merge policy ${policy.id} reused from ${file}: not merged again`);
    return true;
  }

  /** Ends what restoreMerged began: KEPT_PROFILES is gone and its file detached. */
  async releaseMerged(): Promise<void> {
    await detachTables(this.session, KEPT_MERGED_FILE, [KEPT_PROFILES]);
  }

  private async reuse(file: string, tables: readonly string[]): Promise<boolean> {
    const kept = await this.timed("linked identities copied in", () => restoreTables(this.session, file, tables));
    if (kept === undefined) return false;
    this.keyCount = kept;
    this.session.note?.(`linked identities reused from ${file}: ${tables.join(", ")} copied in, the data not linked again`);
    return true;
  }

  /** FRAGMENTS (with EVENT_MAPS, which events find theirs through: joinEventMaps), copied in first if deferred (deferMergeLinks): what reads the fragments outside a merge asks for them so. */
  async fragments(): Promise<string> {
    await this.mergeLinks();
    return FRAGMENTS;
  }

  /**
   * Copies in the linked tables deferred to a merge (deferMergeLinks); links the data anew if they cannot be read whole
   * (the file is kept anew by the next job that copies everything in: a segment job).
   */
  private async mergeLinks(): Promise<void> {
    const file = this.mergeLinksFrom;
    if (file === undefined) return;
    this.mergeLinksFrom = undefined;
    if (!(await this.reuse(file, MERGE_LINKED_TABLES))) await this.link();
  }

  private async keep(file: string): Promise<void> {
    if (await this.timed("linked identities kept", () => keepTables(this.session, file, LINKED_TABLES.map((t) => [t, `SELECT * FROM ${t}`] as const), this.keyCount))) {
      this.session.note?.(`linked identities kept in ${file} for the next job over the same data`);
    }
  }

  /** Reads the identities of every row, numbers and hashes their keys, links them, and computes the components over all datasets. */
  private async link(): Promise<void> {
    const { session, sources, dialect, method } = this;
    await this.timed("identities", async () => {
      for (const s of eventMapsSql(sources, dialect)) await session.run(s);
      await session.run(identitiesSql(sources, dialect));
      await lowerNamespaces(session, dialect);
    });
    this.keyCount = await this.timed("keys", () => numberKeys(session, dialect));
    await this.timed("key hashes", () => hashKeys(session, this.keyCount));
    await this.timed("fragments and links", async () => {
      for (const s of fragmentsAndLinksSql(sources, dialect)) await session.run(s);
      await checkPrimaries(session, sources);
      await session.run(`DROP TABLE ${IDENTITIES}`);
    });
    await this.timed(`components (${method}, all datasets)`, () => components(session, method, ALL_COMPONENTS, undefined, this.keyCount));
  }

  private async timed<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const out = await work();
    const used = process.cpuUsage(cpu);
    this.times.push({ stage, ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 });
    return out;
  }

  /** The component table of the graph over these datasets (all datasets: the one computed up front). */
  private async componentsOver(datasets: readonly number[]): Promise<string> {
    if (datasets.length === this.sources.datasets.length) return ALL_COMPONENTS;
    const table = `pl_comp_${datasets.join("_")}`;
    if (!this.policyComponents.has(table)) {
      await this.timed(`components (${this.method}, datasets ${datasets.join(", ")})`, () => components(this.session, this.method, table, datasets, this.keyCount));
      this.policyComponents.add(table);
    }
    return table;
  }

  /**
   * The component table (id, label) of the identity graph a `pdg` policy stitches its profiles by (undefined for
   * `none`): a profile's identities are its key and the ids labelled with it.
   */
  async identityGraphOf(policy: MergePolicy): Promise<string | undefined> {
    return policy.identityGraph.type === "pdg" ? this.componentsOver(policyDatasets(this.sources, policy)) : undefined;
  }

  /**
   * The number of runs work over `items` items fits in within the memory budget, at `bytesPerItem` each (one without
   * a budget); the forced number (SqlMergeOptions.runs) when there is one.
   */
  runsFor(items: number, bytesPerItem: number): number {
    return this.runs ?? runsWithin(items, bytesPerItem, this.memoryBytes);
  }

  /** The records and events of these datasets that have a fragment (an event: its map's): what a merge's memory grows with. */
  private async rowsOf(datasets: readonly number[]): Promise<number> {
    const [rows] = await this.session.rows(
      `SELECT sum(coalesce(g.pl_n, 1)) AS n FROM ${FRAGMENTS} AS f LEFT JOIN ${EVENT_MAPS} AS g ON g.pl_seq = f.pl_seq WHERE f.pl_ds IN (${datasets.length > 0 ? datasets.join(", ") : "NULL"})`,
    );
    return Number(rows!["n"] ?? 0);
  }

  /**
   * Creates `table` (a view of `options.into`, when given): the merged profiles of `policy` in the row shape, in the
   * reference's profile order. Returns the number of runs it took: what reads the table with the profiles' events
   * works in as many (the segment pass).
   */
  async mergePolicy(policy: MergePolicy, table: string, options: MergeProfilesOptions = {}): Promise<number> {
    await this.mergeLinks();
    const tables: ComponentTables = { all: ALL_COMPONENTS, policy: await this.identityGraphOf(policy) };
    const prefix = `pl_${table.replace(/[^A-Za-z0-9_]/g, "_")}`;
    const datasets = policyDatasets(this.sources, policy);
    return this.timed(`merge ${policy.id}`, async () => {
      const parts = options.parts ?? this.runs ?? (this.memoryBytes === undefined ? 1 : mergeParts(await this.rowsOf(datasets), this.memoryBytes));
      for (const s of mergeProfilesSql(this.sources, policy, tables, table, prefix, this.dialect, { ...options, parts })) await this.session.run(s);
      return parts;
    });
  }
}
