/**
 * The sandbox's state database (`.profile-lab/state.sqlite`, embedded SQLite via better-sqlite3): job,
 * batch, dataset and schedule records. WAL mode lets a second process (a `jobs cancel`, a `jobs list`)
 * read while a job writes; one connection per file per process.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

type Db = InstanceType<typeof Database>;

const open = new Map<string, Db>();

/** The connection to a state database, created with its schema on first use. */
export function stateDb(file: string): Db {
  const path = resolve(file);
  let db = open.get(path);
  if (db === undefined) {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 10000");
    db.exec(`CREATE TABLE IF NOT EXISTS records (
      kind TEXT NOT NULL,
      id TEXT NOT NULL,
      json TEXT NOT NULL,
      PRIMARY KEY (kind, id)
    )`);
    open.set(path, db);
  }
  return db;
}
