/**
 * `profile-lab query` (issue 13, part 4): SQL over a sandbox's datasets, merged profiles, memberships and exports as
 * named tables, and nothing else on disk. Counts are held to what the engine's own jobs report.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keptFiles } from "../src/engine/data-version.js";
import { SandboxQuery, tableNameOf, type QueryOptions } from "../src/engine/query.js";
import { runExportJob } from "../src/engine/run-export-job.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import { generateSandbox } from "../src/generate/index.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";
import { mergeParts } from "../src/sql/merge/sql-merge.js";
import { cliInProcess, copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

const ASOF = Date.parse(SAMPLE_AS_OF);
let dir: string;
let job: SegmentJob;
let exported: number;
let query: SandboxQuery;

beforeAll(async () => {
  dir = copySample();
  const sandbox = openSandbox(dir);
  job = await runSegmentJob(sandbox, { asOf: ASOF, statusModel: "legacy" });
  const body = JSON.parse(readFileSync(join(dir, "export-jobs/audiences-per-batch.json"), "utf8"));
  const result = await runExportJob(sandbox, body, { asOf: ASOF, statusModel: "legacy" });
  exported = result.batches.reduce((n, b) => n + (b.recordCount ?? 0), 0);
  query = await SandboxQuery.open(openSandbox(dir));
}, 120_000);
afterAll(() => query?.close());

const one = async (sql: string): Promise<unknown> => Object.values((await query.run(sql)).rows[0]!)[0];
const lines = (file: string): number => readFileSync(join(dir, file), "utf8").split("\n").filter((l) => l !== "").length;

describe("query: the sandbox as tables", () => {
  it("names every dataset as Query Service would, the merged profiles of every policy, memberships, batches and exports", () => {
    expect(tableNameOf("Web and Commerce Events")).toBe("web_and_commerce_events");
    expect(tableNameOf("2024 Loyalty (EU)")).toBe("_2024_loyalty_eu");
    const names = query.tables.map((t) => t.name);
    const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { name: string; files?: string[] }[] };
    for (const d of manifest.datasets) expect(names).toContain(tableNameOf(d.name));
    expect(names).toEqual(expect.arrayContaining(["profiles", "segment_membership", "batches"]));
    expect(names.filter((n) => n.startsWith("profile_snapshot_export_"))).toHaveLength(3);
  });

  it("each source dataset has the rows of its files, typed by its schema", async () => {
    const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { name: string; files?: string[] }[] };
    for (const d of manifest.datasets.filter((x) => (x.files ?? []).length > 0)) {
      expect(Number(await one(`SELECT count(*) FROM ${tableNameOf(d.name)}`)), d.name).toBe(d.files!.reduce((n, f) => n + lines(f), 0));
    }
    const types = (await query.run("SELECT typeof(person.birthDate) AS birth, typeof(identityMap) AS ids, typeof(extSourceSystemAudit.lastUpdatedDate) AS updated FROM crm_profiles LIMIT 1")).rows;
    expect(types).toEqual([{ birth: "DATE", ids: expect.stringMatching(/^MAP\(VARCHAR, STRUCT\(id VARCHAR, .*\)\[\]\)$/), updated: "TIMESTAMP" }]);
  });

  it("profiles are the default policy's merged profiles: as many as the segment job evaluated, one per key", async () => {
    const policy = openSandbox(dir).policies.default.id;
    expect(Number(await one("SELECT count(*) FROM profiles"))).toBe(job.metrics.totalProfilesByMergePolicy?.[policy] ?? job.metrics.totalProfiles);
    expect(Number(await one("SELECT count(*) - count(DISTINCT xProfileKey) FROM profiles"))).toBe(0);
  });

  it("a later query may name another policy's merged profiles (each merged once, on first use)", async () => {
    const others = query.tables.filter((t) => t.name.startsWith("profile_snapshot_export_")).map((t) => t.name);
    for (const t of others) expect(Number(await one(`SELECT count(*) FROM ${t}`)), t).toBeGreaterThan(0);
  });

  it("segment_membership holds the segment job's memberships, per segment and status", async () => {
    const rows = (await query.run("SELECT segment_id, status, count(*) AS n FROM segment_membership GROUP BY ALL")).rows;
    const byStatus: Record<string, Record<string, number>> = {};
    for (const r of rows) (byStatus[r["segment_id"] as string] ??= {})[r["status"] as string] = Number(r["n"]);
    expect(byStatus).toEqual(
      Object.fromEntries(
        Object.entries(job.metrics.segmentedProfileByStatusCounter ?? {})
          .map(([id, c]) => [id, Object.fromEntries(Object.entries(c).filter(([, n]) => n > 0))] as const)
          .filter(([, c]) => Object.keys(c).length > 0),
      ),
    );
  });

  it("an exported dataset is read over its batches' Parquet, each row with its batch id; batches lists the records", async () => {
    const exportTable = query.tables.find((t) => t.source.startsWith("exported dataset"))!.name;
    expect(Number(await one(`SELECT count(*) FROM ${exportTable}`))).toBe(exported);
    expect(Number(await one(`SELECT count(*) FROM ${exportTable} e JOIN batches b ON b.id = e.batch_id AND b.status = 'success'`))).toBe(exported);
    expect(Number(await one("SELECT sum(record_count) FROM batches WHERE status = 'success'"))).toBe(exported);
  });
});

describe("query: nothing outside the sandbox", () => {
  it("files, copies, attachments, extensions and settings are refused with QRY-001; a file beside the sandbox is never read", async () => {
    const canary = join(dirname(dir), "canary.csv");
    writeFileSync(canary, "secret\ncanary-content-7f3a\n");
    for (const sql of [
      `SELECT * FROM read_csv('${canary}')`,
      `SELECT * FROM read_text('${join(dir, "../canary.csv")}')`,
      "SELECT * FROM read_text('/etc/passwd')",
      `COPY (SELECT 1) TO '${join(dirname(dir), "out.csv")}'`,
      `ATTACH '${join(dirname(dir), "x.duckdb")}'`,
      "INSTALL httpfs",
      "SET enable_external_access = true",
    ]) {
      const e = await query.run(sql).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, sql).toMatchObject({ code: "QRY-001" });
      expect(String((e as Error).message)).not.toContain("canary-content");
    }
  });
});

/** What a session made the default policy's merged profiles from, read off the notes of the statements that made them. */
type Linked = "reused" | "kept" | "anew";

/**
 * Opens a query session on `sandboxDir` (running `first` before anything else when given), has it count the rows of
 * `profiles` and sum their hashes (in little memory, in any order), then hands it to `more`; returns the count and
 * sum, how the identities were linked and the number of runs the merge took.
 */
async function mergedProfiles(sandboxDir: string, options: QueryOptions, first?: string, more?: (q: SandboxQuery) => Promise<void>) {
  const notes: string[] = [];
  const statements: string[] = [];
  const q = await SandboxQuery.open(openSandbox(sandboxDir), { ...options, onSql: (s) => (s.note === true ? notes : statements).push(s.sql) });
  try {
    if (first !== undefined) await q.run(first);
    const [profiles] = (await q.run("SELECT count(*) AS n, sum(hash(CAST(p AS VARCHAR))::HUGEINT) AS digest FROM profiles AS p")).rows;
    await more?.(q);
    const linked: Linked = notes.some((n) => n.startsWith("linked identities reused from ")) ? "reused" : notes.some((n) => n.startsWith("linked identities kept in ")) ? "kept" : "anew";
    return { profiles, linked, runs: statements.filter((s) => /^(CREATE OR REPLACE TABLE|INSERT INTO) profiles /.test(s)).length };
  } finally {
    q.close();
  }
}

const MiB = 2 ** 20;

describe("query: merged profiles within --memory, as a job merges them", () => {
  it("profiles that one run cannot merge within 258m (a DuckDB limit of 129 MiB) are merged in the runs a job's merge takes, into the rows of a large budget", async () => {
    const generated = join(dirname(dir), "generated");
    await generateSandbox(generated, { profiles: 10_000, eventsPerProfile: 10, seed: 42, referenceTime: SAMPLE_AS_OF, name: "generated", format: "parquet" });
    let rows = 0;
    const countRows = async (q: SandboxQuery): Promise<void> => {
      for (const t of q.tables.filter((x) => x.source.startsWith("dataset "))) rows += Number(Object.values((await q.run(`SELECT count(*) FROM ${t.name}`)).rows[0]!)[0]);
    };
    const small = await mergedProfiles(generated, { memory: 258 * MiB, threads: 1 });
    const large = await mergedProfiles(generated, { memory: 2048 * MiB, threads: 1 }, undefined, countRows);
    expect(small.runs).toBe(mergeParts(rows, 258 * MiB));
    expect([small.runs > 1, large.runs]).toEqual([true, 1]);
    expect(small.profiles).toEqual(large.profiles);
  }, 300_000);

  it("a budget too small for DuckDB to merge sample-data in is SQL-E003, which names --memory", async () => {
    const q = await SandboxQuery.open(openSandbox(dir), { memory: 32 * MiB, threads: 1 });
    try {
      await expect(q.run("SELECT count(*) FROM profiles")).rejects.toMatchObject({ code: "SQL-E003", message: expect.stringContaining("--memory") });
    } finally {
      q.close();
    }
  });
});

describe("query: merged profiles from the identities a job linked and kept", () => {
  it("a first query naming profiles copies them in, read only: the same profiles as linked anew, the kept file unchanged and out of the queries' reach", async () => {
    const sandbox = openSandbox(dir);
    const kept = keptFiles(sandbox, mergeSourcesOf(sandbox)).links;
    const bytes = readFileSync(kept);
    const engineFiles = readdirSync(dirname(kept));
    const refusals = async (q: SandboxQuery): Promise<void> => {
      for (const sql of [`SELECT * FROM read_blob('${kept}')`, `COPY (SELECT 1) TO '${kept}' (USE_TMP_FILE false)`, `ATTACH '${kept}' AS k`]) {
        await expect(q.run(sql), sql).rejects.toMatchObject({ code: "QRY-001" });
      }
    };
    const reused = await mergedProfiles(dir, {}, undefined, refusals);
    // A first query that names no merged profiles locks DuckDB down: no kept file can be opened after, so they are linked anew.
    const anew = await mergedProfiles(dir, {}, "SELECT 1");
    expect([reused.linked, anew.linked]).toEqual(["reused", "anew"]);
    expect(reused.profiles).toEqual(anew.profiles);
    expect(readFileSync(kept).equals(bytes)).toBe(true);
    expect(readdirSync(dirname(kept))).toEqual(engineFiles);
  });
});

describe("query: spilling", () => {
  it("past --memory, DuckDB spills into the sandbox's .profile-lab/tmp, removed when the query ends", async () => {
    const tmp = join(dir, ".profile-lab/tmp");
    const folders = (): string[] => readdirSync(tmp).filter((f) => f.startsWith("query-"));
    const before = folders();
    const small = await SandboxQuery.open(openSandbox(dir), { memory: 64 * 2 ** 20, threads: 1 });
    try {
      expect(folders()).toHaveLength(before.length + 1);
      const sorted = await small.run("SELECT count(*) AS n FROM (SELECT a.i, b.i FROM range(3000) a(i), range(3000) b(i) ORDER BY random())");
      expect(sorted.rows).toEqual([{ n: "9000000" }]);
    } finally {
      small.close();
    }
    expect(folders()).toEqual(before);
  }, 120_000);
});

describe("query: the command", () => {
  it("prints a table, JSON or CSV; a SQL error is exit 1 with DuckDB's pointer, a missing SQL exit 2", async () => {
    const sql = "SELECT 'a,\"b' AS x, 2 AS y UNION ALL SELECT 'c', 10 ORDER BY y";
    const tableOut = await cliInProcess("query", sql, "--sandbox", dir);
    expect(tableOut.status).toBe(0);
    expect(tableOut.stdout).toMatch(/x\s+y\n.*\n\s+a,"b\s+2\n\s+c\s+10\n\(2 rows\)/);
    expect(JSON.parse((await cliInProcess("query", sql, "--sandbox", dir, "--json")).stdout)).toEqual([{ x: 'a,"b', y: 2 }, { x: "c", y: 10 }]);
    expect((await cliInProcess("query", sql, "--sandbox", dir, "--csv")).stdout).toBe('x,y\n"a,""b",2\nc,10\n');
    const file = join(dirname(dir), "q.sql");
    writeFileSync(file, "SELECT count(*) AS n FROM batches");
    expect((await cliInProcess("query", "--file", file, "--sandbox", dir, "--csv")).stdout).toMatch(/^n\n\d+\n$/);
    const bad = await cliInProcess("query", "SELEC 1", "--sandbox", dir);
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/^error: QRY-001 Parser Error: syntax error at or near "SELEC"\n {2}LINE 1: SELEC 1\n/)]);
    expect((await cliInProcess("query", "--sandbox", dir)).status).toBe(2);
    expect((await cliInProcess("query", "--tables", "--sandbox", dir, "--json")).stdout).toContain('"table": "profiles"');
  });
});
