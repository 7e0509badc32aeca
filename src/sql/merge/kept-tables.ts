/**
 * Tables of a session kept in a DuckDB database file for the next job over the same data (SqlMerge.prepare keeps
 * its linked identities so: an export after a segment job copies them in instead of reading and linking again).
 * The caller names the file by everything the tables depend on (src/engine/data-version.ts), so a file holds one
 * version's tables and is never written once it has its name:
 * - it is written under a temporary name and renamed when complete: a job killed while writing leaves only a
 *   temporary file, never used, which a later keep removes once its process is gone;
 * - it is opened read-only and copied in whole, then detached (restoreTables), or its tables read where they lie
 *   (attachTables): any number of jobs read it at once, and a file that cannot be opened (truncated, written by
 *   another DuckDB, its header or catalog damaged) or, copied in, read whole is simply not used — the job builds the
 *   tables anew and keeps them anew, over it;
 * - the newest other version is left for a job still on it, older ones removed. A version's files are
 *   `<version>.duckdb` and `<version>.<slot>-<digest>.duckdb` (data-version.ts): tables kept apart, each by what it
 *   depends on; keeping a slot's file removes the one of another digest it replaces.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { JobCancelledError } from "../../engine/job-progress.js";
import { alive } from "../../store/job-control.js";
import { DUCKDB } from "../duckdb.js";
import { outOfMemory } from "../errors.js";
import type { SqlSession } from "./session.js";

/** The names the file is attached as, while read and while written. */
const READ = "pl_kept";
const WRITE = "pl_keeping";
/** The one-row table of numbers kept beside the tables (`n`). */
const NUMBER_TABLE = "pl_kept_number";
/** Kept files end so; a temporary one is `<file>.<pid>-<random>.tmp` (and DuckDB's `.wal` beside it). */
export const KEPT_EXTENSION = ".duckdb";
const TEMPORARY = /\.(\d+)-[0-9a-f]+\.tmp(\.wal)?$/;

const q = (s: string): string => DUCKDB.string(s);

/**
 * Copies `tables` in from `file` as tables of the same names in the job's database; returns the number kept with
 * them, or undefined when there is no such file or it cannot be read whole (nothing copied is then relied on: the
 * caller builds every table anew, replacing any copied). Running out of memory (or a cancel) stops the job instead.
 */
export async function restoreTables(session: SqlSession, file: string, tables: readonly string[]): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    await session.run(`ATTACH ${q(file)} AS ${READ} (READ_ONLY)`);
    try {
      const [row] = await session.rows(`SELECT n FROM ${READ}.${NUMBER_TABLE}`);
      for (const t of tables) await session.run(`CREATE OR REPLACE TABLE ${t} AS SELECT * FROM ${READ}.${t}`);
      return Number(row!["n"]);
    } finally {
      await session.run(`DETACH ${READ}`);
    }
  } catch (e) {
    // Running out of memory while copying is the job's failure, not damage: the file stays for a job with more.
    if (e instanceof JobCancelledError || outOfMemory(e)) throw e;
    return undefined;
  }
}

/**
 * Makes `tables` of `file` readable in the session under their own names, as views of the file attached read-only as
 * `alias` (until detachTables or the session's end), not copied in: a wide table read once costs a scan, where a copy
 * costs the scan, a write and the scan of the copy (2.4M merged profiles: 7.3 s copied in at 1M persons). Returns
 * the number kept with them, or undefined when there is no such file or it cannot be opened (nothing attached then).
 * A file damaged past its catalog fails the statement that reads it, as any read error does.
 */
export async function attachTables(session: SqlSession, file: string, alias: string, tables: readonly string[]): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    await session.run(`ATTACH ${q(file)} AS ${alias} (READ_ONLY)`);
  } catch (e) {
    if (e instanceof JobCancelledError || outOfMemory(e)) throw e;
    return undefined;
  }
  try {
    const [row] = await session.rows(`SELECT n FROM ${alias}.${NUMBER_TABLE}`);
    for (const t of tables) await session.run(`CREATE OR REPLACE TEMP VIEW ${t} AS SELECT * FROM ${alias}.${t}`);
    return Number(row!["n"]);
  } catch (e) {
    await detachTables(session, alias, tables).catch(() => undefined);
    if (e instanceof JobCancelledError || outOfMemory(e)) throw e;
    return undefined;
  }
}

/** Drops the views attachTables made and detaches their file. */
export async function detachTables(session: SqlSession, alias: string, tables: readonly string[]): Promise<void> {
  for (const t of tables) await session.run(`DROP VIEW IF EXISTS ${t}`);
  await session.run(`DETACH DATABASE IF EXISTS ${alias}`);
}

/**
 * A kept file being written (openKeep): attached to the session under a temporary name until `commit` renames it to
 * its file, so a job killed meanwhile leaves only a temporary file (removed by a later keep once its process is gone).
 */
export interface KeepFile {
  /** The SQL name of table `name` in the file. */
  table(name: string): string;
  /**
   * Completes the file with `n` (the number kept beside its tables), then removes the versions before the newest other
   * one and the temporary files of jobs that are gone. Whether it was kept: a job does not fail for a file it could not
   * keep (no room, say); a cancel still stops it.
   */
  commit(n: number): Promise<boolean>;
  /** Detaches and removes the temporary file (what was written to it is not kept). */
  abort(): Promise<void>;
}

/** Starts writing `file` anew (KeepFile), or undefined when its temporary file cannot be made (a cancel still stops the job). */
export async function openKeep(session: SqlSession, file: string): Promise<KeepFile | undefined> {
  const temporary = `${file}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`;
  const remove = (): void => {
    for (const f of [temporary, `${temporary}.wal`]) rmSync(f, { force: true });
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
    await session.run(`ATTACH ${q(temporary)} AS ${WRITE}`);
  } catch (e) {
    remove();
    if (e instanceof JobCancelledError) throw e;
    return undefined;
  }
  let attached = true;
  const detach = async (): Promise<void> => {
    if (!attached) return;
    attached = false;
    await session.run(`DETACH ${WRITE}`);
  };
  return {
    table: (name) => `${WRITE}.${name}`,
    async commit(n) {
      try {
        await session.run(`CREATE TABLE ${WRITE}.${NUMBER_TABLE} AS SELECT ${n}::BIGINT AS n`);
        // Checkpointed here, so the file is whole with no write-ahead log beside it: detaching does not when the
        // session does not checkpoint on shutdown (a job's scratch database file, engine-session.ts).
        await session.run(`CHECKPOINT ${WRITE}`);
        await detach();
        renameSync(temporary, file);
      } catch (e) {
        await detach().catch(() => undefined);
        remove();
        if (e instanceof JobCancelledError) throw e;
        return false;
      }
      removeOld(file);
      return true;
    },
    async abort() {
      try {
        await detach();
      } finally {
        remove();
      }
    },
  };
}

/**
 * Writes `tables` (each a name and the SELECT of its rows in the session) and `n` into `file`, replacing it whole
 * (openKeep). Returns whether it was kept: a job does not fail for a file it could not keep.
 */
export async function keepTables(session: SqlSession, file: string, tables: ReadonlyArray<readonly [name: string, select: string]>, n: number): Promise<boolean> {
  const keep = await openKeep(session, file);
  if (keep === undefined) return false;
  try {
    for (const [name, select] of tables) await session.run(`CREATE TABLE ${keep.table(name)} AS ${select}`);
  } catch (e) {
    await keep.abort().catch(() => undefined);
    if (e instanceof JobCancelledError) throw e;
    return false;
  }
  return keep.commit(n);
}

/** The version a kept file belongs to: its name up to the first dot. */
const versionOf = (name: string): string => name.slice(0, name.indexOf("."));

/** A kept file's slot in its version: `<version>.<slot>-<digest>.duckdb` replaces its slot's file of another digest. */
const slotOf = (name: string): string | undefined => {
  const dash = name.lastIndexOf("-");
  return dash > name.indexOf(".") ? name.slice(0, dash) : undefined;
};

/**
 * Removes from `current`'s folder the kept files of versions older than the newest other one (a version as new as
 * its newest file), the file `current` replaces in its slot, and temporary files of processes gone.
 */
function removeOld(current: string): void {
  const dir = dirname(current);
  const version = versionOf(basename(current));
  const slot = slotOf(basename(current));
  const others = new Map<string, { paths: string[]; mtimeMs: number }>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const temporary = TEMPORARY.exec(name);
    try {
      if (temporary !== null) {
        if (!alive(Number(temporary[1]))) rmSync(path, { force: true });
      } else if (slot !== undefined && name !== basename(current) && name.endsWith(KEPT_EXTENSION) && slotOf(name) === slot) {
        rmSync(path, { force: true });
      } else if (name.endsWith(KEPT_EXTENSION) && versionOf(name) !== version) {
        const other = others.get(versionOf(name)) ?? { paths: [], mtimeMs: 0 };
        other.paths.push(path);
        other.mtimeMs = Math.max(other.mtimeMs, statSync(path).mtimeMs);
        others.set(versionOf(name), other);
      }
    } catch {
      // Removed meanwhile by another job's clean-up.
    }
  }
  const older = [...others.values()].sort((a, b) => b.mtimeMs - a.mtimeMs).slice(1);
  for (const old of older) for (const path of old.paths) rmSync(path, { force: true });
}
