import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EngineSession } from "../jobs/engine-session.js";
import { DuckDbSession } from "./duckdb-session.js";
import { attachTables, detachTables, keepTables, openKeep, restoreTables } from "./kept-tables.js";
import type { SqlSession } from "./session.js";

const dir = mkdtempSync(join(tmpdir(), "profile-lab-kept-tables-"));
const instances: DuckDBInstance[] = [];
afterAll(() => {
  for (const i of instances) i.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** A session of its own in-memory database, as each job has. */
async function session(): Promise<DuckDbSession> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  instances.push(instance);
  return DuckDbSession.open(await instance.connect());
}

/** Adds the kept tables to `s`: `n` ids with their keys, and an empty one. */
async function addRows<S extends SqlSession>(s: S, n: number): Promise<S> {
  await s.run(`CREATE TEMP TABLE t_ids AS SELECT CAST(i AS INTEGER) AS id, 'k' || i AS k FROM range(${n}) AS r(i)`);
  await s.run(`CREATE TEMP TABLE t_none (id INTEGER)`);
  return s;
}

const withRows = async (n: number): Promise<DuckDbSession> => addRows(await session(), n);

const TABLES = ["t_ids", "t_none"];
const KEPT = TABLES.map((t) => [t, `SELECT * FROM ${t}`] as const);
const contents = async (s: DuckDbSession): Promise<unknown> => [await s.rows("SELECT count(*) AS n, sum(id) AS s, max(k) AS k FROM t_ids"), await s.rows("SELECT count(*) AS n FROM t_none")];

describe("tables kept in a DuckDB file", () => {
  it("are copied into another database with the number kept beside them; no file, no copy", async () => {
    const file = join(dir, "a.duckdb");
    const from = await withRows(5000);
    expect(await restoreTables(await session(), file, TABLES)).toBeUndefined();
    expect(await keepTables(from, file, KEPT, 42)).toBe(true);
    const to = await session();
    expect(await restoreTables(to, file, TABLES)).toBe(42);
    expect(await contents(to)).toEqual(await contents(from));
    expect(await to.rows("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'pl_kept%'")).toEqual([]);
  });

  it("are whole, with no write-ahead log beside them, when kept from a job's session on a database file (never checkpointed on close)", async () => {
    const file = join(dir, "from-disk.duckdb");
    const job = await EngineSession.open({ tempDir: join(dir, "job-on-disk"), onDisk: true, memoryBytes: 400 * 2 ** 20 }, () => undefined);
    try {
      await addRows(job, 300000);
      expect(await keepTables(job, file, KEPT, 11)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.startsWith("from-disk."))).toEqual(["from-disk.duckdb"]);
      const to = await session();
      expect(await restoreTables(to, file, TABLES)).toBe(11);
      expect(await to.rows("SELECT count(*) AS n, sum(id) AS s FROM t_ids")).toEqual([{ n: "300000", s: "44999850000" }]);
    } finally {
      job.close();
    }
  });

  it("are read by several jobs at once while another keeps the same version over them", async () => {
    const file = join(dir, "b.duckdb");
    const from = await withRows(20000);
    await keepTables(from, file, KEPT, 7);
    const readers = await Promise.all([session(), session(), session()]);
    const [kept, ...restored] = await Promise.all([keepTables(from, file, KEPT, 7), ...readers.map((r) => restoreTables(r, file, TABLES))]);
    expect([kept, ...restored]).toEqual([true, 7, 7, 7]);
    for (const r of readers) expect(await contents(r)).toEqual(await contents(from));
  });

  it("running out of memory while copying in is the job's failure, not damage: it is thrown and the file stays whole", async () => {
    const file = join(dir, "oom.duckdb");
    const from = await withRows(400_000);
    await keepTables(from, file, KEPT, 3);
    // No temporary folder: DuckDB cannot spill, so 4 MiB cannot hold the copy.
    const small = await DuckDBInstance.create(":memory:", { threads: "1", memory_limit: "4MiB", temp_directory: "" });
    instances.push(small);
    await expect(restoreTables(await DuckDbSession.open(await small.connect()), file, TABLES)).rejects.toThrow(/Out of Memory/);
    const to = await session();
    expect(await restoreTables(to, file, TABLES)).toBe(3);
    expect(await contents(to)).toEqual(await contents(from));
  });

  it("are read where they lie, attached, by several sessions at once, with the number kept beside them; detached after", async () => {
    const file = join(dir, "attached.duckdb");
    const from = await withRows(5000);
    expect(await attachTables(await session(), file, "pl_kept_a", TABLES)).toBeUndefined();
    await keepTables(from, file, KEPT, 9);
    const readers = await Promise.all([session(), session()]);
    expect(await Promise.all(readers.map((r) => attachTables(r, file, "pl_kept_a", TABLES)))).toEqual([9, 9]);
    for (const r of readers) expect(await contents(r)).toEqual(await contents(from));
    await detachTables(readers[0]!, "pl_kept_a", TABLES);
    expect(await readers[0]!.rows("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'pl_kept%'")).toEqual([]);
    await expect(readers[0]!.rows("SELECT count(*) FROM t_ids")).rejects.toThrow(/t_ids/);
    expect(await contents(readers[1]!)).toEqual(await contents(from));
  });

  it("are written where they are kept as the job makes them (openKeep): read by the job meanwhile, nothing left when aborted, whole when committed", async () => {
    const sub = join(dir, "open");
    const file = join(sub, "open.duckdb");
    const from = await withRows(300);
    const aborted = await openKeep(from, file);
    await from.run(`CREATE TABLE ${aborted!.table("t_ids")} AS SELECT * FROM t_ids`);
    expect(await from.rows(`SELECT count(*) AS n FROM ${aborted!.table("t_ids")}`)).toEqual([{ n: "300" }]);
    await aborted!.abort();
    expect(readdirSync(sub)).toEqual([]);
    expect(await from.rows("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'pl_keep%'")).toEqual([]);
    const keep = await openKeep(from, file);
    for (const t of TABLES) await from.run(`CREATE TABLE ${keep!.table(t)} AS SELECT * FROM ${t}`);
    await from.run(`INSERT INTO ${keep!.table("t_ids")} SELECT id + 300, k FROM t_ids`);
    expect(await keep!.commit(5)).toBe(true);
    expect(readdirSync(sub)).toEqual(["open.duckdb"]);
    const to = await session();
    expect(await restoreTables(to, file, TABLES)).toBe(5);
    expect(await to.rows("SELECT count(*) AS n, max(id) AS m FROM t_ids")).toEqual([{ n: "600", m: 599 }]);
  });

  it("a file that is not a whole database is not attached", async () => {
    const file = join(dir, "garbage-attached.duckdb");
    writeFileSync(file, "garbage".repeat(4096));
    const to = await session();
    expect(await attachTables(to, file, "pl_kept_a", TABLES)).toBeUndefined();
    expect(await to.rows("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'pl_kept%'")).toEqual([]);
  });

  it("a file that is not a whole database is not used", async () => {
    const file = join(dir, "c.duckdb");
    writeFileSync(file, "garbage".repeat(4096));
    const to = await session();
    expect(await restoreTables(to, file, TABLES)).toBeUndefined();
    expect(await to.rows("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'pl_kept%'")).toEqual([]);
  });

  it("keeping removes the versions older than the newest other one (all of each version's files), and the temporary files of processes gone", async () => {
    const sub = join(dir, "versions");
    const from = await withRows(10);
    const at = (name: string, seconds: number): string => {
      const path = join(sub, name);
      writeFileSync(path, "");
      utimesSync(path, seconds, seconds);
      return path;
    };
    await keepTables(from, join(sub, "first.duckdb"), KEPT, 1);
    at("old.duckdb", 1000);
    at("old.policy.duckdb", 20);
    at("older.duckdb", 10);
    at("older.policy.duckdb", 500);
    at("first.duckdb", 100);
    at("current.policy.duckdb", 1);
    const gone = at("v.duckdb.999999999-0123abcd.tmp", 1);
    const goneLog = at("v.duckdb.999999999-0123abcd.tmp.wal", 1);
    const running = at(`v.duckdb.${process.pid}-0123abcd.tmp`, 1);
    await keepTables(from, join(sub, "current.duckdb"), KEPT, 1);
    expect(readdirSync(sub).sort()).toEqual(["current.duckdb", "current.policy.duckdb", "old.duckdb", "old.policy.duckdb", `v.duckdb.${process.pid}-0123abcd.tmp`]);
    expect([existsSync(gone), existsSync(goneLog), existsSync(running)]).toEqual([false, false, true]);
  });

  it("keeping a slot's file removes the same version's file of that slot with another digest, and no other", async () => {
    const sub = join(dir, "slots");
    const from = await withRows(10);
    await keepTables(from, join(sub, "v.a-1111.duckdb"), KEPT, 1);
    await keepTables(from, join(sub, "v.b-1111.duckdb"), KEPT, 1);
    await keepTables(from, join(sub, "v.duckdb"), KEPT, 1);
    await keepTables(from, join(sub, "v.a-2222.duckdb"), KEPT, 1);
    expect(readdirSync(sub).sort()).toEqual(["v.a-2222.duckdb", "v.b-1111.duckdb", "v.duckdb"]);
  });
});
