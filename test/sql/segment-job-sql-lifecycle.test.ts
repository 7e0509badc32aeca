/**
 * The DuckDB segment job's life: a cancel at any stage ends it CANCELLED with the previous snapshot whole and its
 * DuckDB spill folder gone; a kill -9 leaves nothing the next job trips on (recovery removes the dead process's
 * spill); a row that breaks its schema stops it with file, line and JSON path before DuckDB reads anything; too
 * little memory names --memory; and the memberships do not depend on the thread count (1 or 4) or the memory limit.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobProgress, JobStage } from "../../src/engine/job-progress.js";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { checkSandboxSegments, openSandbox } from "../../src/engine/sandbox.js";
import { duckdbRefusal } from "../../src/sql/merge/segment-pass.js";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import { JobControl } from "../../src/store/job-control.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { cliInProcess, REPO, SAMPLE_AS_OF } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-segment-sql-life-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const asOf = Date.parse(SAMPLE_AS_OF);
const DAY = 24 * 3600 * 1000;

let copies = 0;
function sample(): string {
  const dir = join(scratch, `sample-${++copies}`);
  cpSync(join(REPO, "sample-data"), dir, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
  return dir;
}

/** What `job` rejects with (fails the test when it succeeds). */
const thrown = (job: Promise<unknown>): Promise<unknown> =>
  job.then(
    () => expect.unreachable("the job should have failed"),
    (e: unknown) => e,
  );

const snapshot = (dir: string): string =>
  new SandboxState(dir).membership
    .parts()
    .map((p) => readFileSync(p, "utf8"))
    .join("");

const tmpEntries = (dir: string): string[] => {
  const tmp = new SandboxState(dir).tmpDir;
  return existsSync(tmp) ? readdirSync(tmp) : [];
};

const metricsOf = (job: SegmentJob): string => {
  const { totalTime: _t, profileSegmentationTime: _p, ...metrics } = job.metrics;
  return JSON.stringify(metrics);
};

/**
 * One succeeded DuckDB job on one thread without a memory limit, run once for the file: the cancel tests start from
 * copies of it (state included), the thread test compares against it.
 */
let succeeded: { readonly dir: string; readonly snapshot: string; readonly metrics: string };
beforeAll(async () => {
  const dir = sample();
  const job = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb", workers: 1 });
  succeeded = { dir, snapshot: snapshot(dir), metrics: metricsOf(job) };
});

describe("the DuckDB segment job", () => {
  it.each(["reading", "identities", "evaluating", "writing"] as JobStage[])("cancelled while %s: CANCELLED, the previous snapshot whole, no spill left", async (stage) => {
    const dir = join(scratch, `sample-${++copies}`);
    cpSync(succeeded.dir, dir, { recursive: true });
    const before = snapshot(dir);
    expect(before).toBe(succeeded.snapshot);
    const control = new JobControl(new SandboxState(dir).root);
    const seen: JobStage[] = [];
    const onProgress = (e: JobProgress): void => {
      seen.push(e.stage);
      if (e.stage === stage) control.requestCancel("segment-jobs", e.jobId);
    };
    const error = await thrown(runSegmentJob(openSandbox(dir), { asOf: asOf + DAY, statusModel: "current", engine: "duckdb", onProgress }));
    expect(error).toMatchObject({ code: "CANCELLED" });
    expect(seen).toContain(stage);
    const jobs = new SandboxState(dir).records<SegmentJob>("segment-jobs").all();
    expect(jobs.map((j) => j.status)).toEqual(["SUCCEEDED", "CANCELLED"]);
    expect(snapshot(dir)).toBe(before);
    expect(tmpEntries(dir)).toEqual([]);
  }, 120_000);

  it("killed (SIGKILL) mid-job: the next job recovers it as FAILED, removes its spill and succeeds", async () => {
    const dir = sample();
    const child = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), "segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF, "--engine", "duckdb"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      // Once DuckDB has started (its spill folder exists), the job dies without a word.
      if (/segment job: (identities|evaluating)/.test(stderr)) child.kill("SIGKILL");
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c, signal) => resolve(signal === "SIGKILL" ? -9 : c)));
    // A fast machine may finish first: then there is nothing to recover, which the rest still checks.
    const killed = code === -9;
    if (killed) expect(new SandboxState(dir).membership.current()).toBeUndefined();
    const job = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb" });
    expect(job.status).toBe("SUCCEEDED");
    const jobs = new SandboxState(dir).records<SegmentJob>("segment-jobs").all();
    expect(jobs.map((j) => j.status)).toEqual(killed ? ["FAILED", "SUCCEEDED"] : ["SUCCEEDED", "SUCCEEDED"]);
    if (killed) expect(jobs[0]!.errors[0]!.code).toBe("INTERRUPTED");
    expect(tmpEntries(dir)).toEqual([]);
  }, 120_000);

  it("stops at a row that breaks its schema with file, line and JSON path, before DuckDB reads anything; nothing written", async () => {
    const dir = sample();
    const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { files?: string[] }[] };
    const file = manifest.datasets.find((d) => d.files?.[0]?.endsWith(".jsonl"))!.files![0]!;
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    const row = JSON.parse(lines[2]!) as Record<string, unknown>;
    lines[2] = JSON.stringify({ ...row, _acp_system_metadata: { ingestTime: "not a time" } });
    writeFileSync(join(dir, file), lines.join("\n"));
    const error = await thrown(runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb" }));
    expect(error).toMatchObject({ location: { file, line: 3 } });
    expect((error as { location: { jsonPath?: string } }).location.jsonPath).toMatch(/ingestTime/);
    const [job] = new SandboxState(dir).records<SegmentJob>("segment-jobs").all();
    expect(job).toMatchObject({ status: "FAILED", errors: [{ code: (error as { code: string }).code }] });
    expect(new SandboxState(dir).membership.current()).toBeUndefined();
    expect(tmpEntries(dir)).toEqual([]);
  }, 120_000);

  it("refuses a segment neither SQL nor the closure compiler over its rows runs exactly, before reading any data, saying which and what runs it; check says so too", async () => {
    const dir = sample();
    const file = join(dir, "segments/zz-field-order.json");
    // values() of an object as a list follows the data's field order, which DuckDB's rows do not keep (SQL-U004).
    const value = "homeAddress.values().distinct().count() > 1";
    writeFileSync(file, JSON.stringify({ id: "zz-field-order", name: "Address values", schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/text", value } }));
    const error = await thrown(runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb" }));
    expect(error).toMatchObject({ code: "SQL-U004", location: { embeddedIn: "$.expression.value", line: 1, column: 1 } });
    expect(resolve((error as { location: { file: string } }).location.file)).toBe(file);
    expect((error as Error).message).toMatch(/^segment "Address values" \(zz-field-order\) cannot run on the DuckDB engine: .*--engine reference\)$/);
    expect(new SandboxState(dir).records<SegmentJob>("segment-jobs").all()).toMatchObject([{ status: "FAILED", errors: [{ code: "SQL-U004" }] }]);
    expect(existsSync(join(new SandboxState(dir).root, "validated.json"))).toBe(false);
    const checked = checkSandboxSegments(dir);
    const refused = checked.flatMap((r) => {
      const refusal = duckdbRefusal(r);
      return refusal === undefined ? [] : [[r.definition.id, refusal.code]];
    });
    expect(refused).toEqual([["zz-field-order", "SQL-U004"]]);
    // No engine asked for is DuckDB: the job fails the same way (no job-level fallback); the reference engine runs it.
    const cli = await cliInProcess("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF);
    expect([cli.status, cli.stderr]).toEqual([1, expect.stringContaining("SQL-U004")]);
    const reference = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "reference" });
    expect(reference.status).toBe("SUCCEEDED");
  }, 120_000);

  it("--explain-sql prints every statement the job ran as a script, the segment pass among them; the reference engine has none", async () => {
    const dir = sample();
    const r = await cliInProcess("segment-job", "--sandbox", dir, "--engine", "duckdb", "--explain-sql", "--segment", "US residents", "--as-of", SAMPLE_AS_OF);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/segment job \S+: SUCCEEDED/);
    expect(r.stdout).toContain("-- read into JavaScript (identity components: a union-find over these ids):\n-- SELECT");
    // Merged into the file they are kept in for an export (no copy after), the job reading them through a view.
    expect(r.stdout).toMatch(/^-- merging the profiles of merge policy \S+ \([\d.,]+ ms\)\nCREATE OR REPLACE TABLE pl_keeping.pl_kept_profiles AS SELECT/m);
    expect(r.stdout).toMatch(/^CREATE OR REPLACE TEMP VIEW pl_merged_1 AS SELECT .* FROM pl_keeping.pl_kept_profiles AS k;$/m);
    expect(r.stdout).not.toMatch(/CREATE TABLE pl_keeping.pl_kept_profiles AS SELECT \* EXCLUDE/);
    // The segment pass reads the pruned row: the state of the home address, no events.
    expect(r.stdout).toMatch(/^CREATE OR REPLACE TABLE pl_pass AS SELECT profile."xProfileKeyId" AS pl_kid, .*"homeAddress".* AS s0 FROM pl_rows AS profile/m);
    expect(r.stdout).toContain('CAST([] AS STRUCT("_id" VARCHAR)[]) AS "xEvent"');
    // With no --engine it runs on DuckDB; the reference engine has no SQL to show.
    const chosen = await cliInProcess("segment-job", "--sandbox", dir, "--explain-sql", "--segment", "US residents", "--as-of", SAMPLE_AS_OF);
    expect([chosen.status, chosen.stdout]).toEqual([0, expect.stringContaining("CREATE OR REPLACE TABLE pl_pass AS SELECT")]);
    const refused = await cliInProcess("segment-job", "--sandbox", dir, "--engine", "reference", "--explain-sql");
    expect([refused.status, refused.stderr]).toEqual([2, expect.stringContaining("--explain-sql shows the SQL of the DuckDB engine, not of --engine reference")]);
  }, 120_000);

  it("with too little memory fails with an error that names --memory; nothing written", async () => {
    const dir = sample();
    const error = await thrown(runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb", memoryBytes: 2 ** 20, workers: 1 }));
    expect(error).toMatchObject({ code: "SQL-E003" });
    expect(String((error as Error).message)).toContain("--memory");
    expect(new SandboxState(dir).records<SegmentJob>("segment-jobs").all()).toMatchObject([{ status: "FAILED", errors: [{ code: "SQL-E003" }] }]);
    expect(new SandboxState(dir).membership.current()).toBeUndefined();
    expect(tmpEntries(dir)).toEqual([]);
  }, 120_000);

  it("--explain-sql on a job that fails prints the statements it ran, the failing one marked with the engine's error, before the error; out of memory on 2 threads it was run again on one", async () => {
    const dir = sample();
    const r = await cliInProcess("segment-job", "--sandbox", dir, "--explain-sql", "--memory", "1m", "--workers", "2", "--as-of", SAMPLE_AS_OF);
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining("SQL-E003")]);
    const blocks = r.stdout.split("\n\n").map((b) => b.trim()).filter((b) => b !== "");
    expect(blocks.length).toBeGreaterThan(3);
    const [attempt, note, retry] = blocks.slice(-3);
    // The statement that ran out of memory, the note that it runs again on one thread, and the same statement failing again.
    expect(attempt).toMatch(/^-- .*; failed: Out of Memory Error: /);
    expect(note).toContain("out of memory on 2 threads: the statement runs again on one");
    expect(retry).toMatch(/^-- .*; failed: Out of Memory Error: /);
    expect(retry!.split("\n").slice(1)).toEqual(attempt!.split("\n").slice(1));
    expect(blocks.slice(0, -3).filter((b) => b.includes("failed: "))).toEqual([]);
  }, 120_000);

  it("writes the same snapshot and metrics with 1 and 4 threads, without and with a memory limit", async () => {
    const dir = sample();
    const job = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb", workers: 4, memoryBytes: 256 * 2 ** 20 });
    expect(succeeded.snapshot.length).toBeGreaterThan(1000);
    expect({ snapshot: snapshot(dir), metrics: metricsOf(job) }).toEqual({ snapshot: succeeded.snapshot, metrics: succeeded.metrics });
  }, 300_000);
});
