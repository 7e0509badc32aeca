/**
 * Job lifecycle beyond success: cancelling running jobs (E14, S11) and a process killed in the middle of an
 * export (SIGKILL), after which the store is consistent — the job FAILED, no partial batch anywhere.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recoverInterruptedJobs } from "../src/engine/job-recovery.js";
import { runExportJob } from "../src/engine/run-export-job.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import type { ExportJob } from "../src/export/export-job.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import type { BatchRecord } from "../src/store/catalog-types.js";
import { JobControl } from "../src/store/job-control.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { cli, cliJson, cliJsonInProcess, copySample, REPO, SAMPLE_AS_OF } from "./helpers/cli.js";
import { generatedSandbox } from "./helpers/generated-sandbox.js";

const asOf = Date.parse(SAMPLE_AS_OF);
const PER_BATCH = "export-jobs/audiences-per-batch.json";
/** Killing or interrupting a process in the middle of its export: minutes on a busy machine. */
const LONG = 600_000;

/** Large enough that an export writes many part files (--rows-per-file 500) before it ends. */
const big = generatedSandbox("profile-lab-lifecycle-", { profiles: 6000, eventsPerProfile: 4, seed: 7, referenceTime: SAMPLE_AS_OF, name: "big" });

const ended = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Polls `ready` every 10 ms until it holds or `child` has ended, however slow the machine. */
async function whenReadyOrEnded(child: ChildProcess, ready: () => boolean): Promise<void> {
  while (!ended(child) && !ready()) await new Promise((r) => setTimeout(r, 10));
}

/** The child's exit code once it has ended (at once if it already has). */
function exitOf(child: ChildProcess): Promise<number | null> {
  return ended(child) ? Promise.resolve(child.exitCode) : new Promise((r) => child.once("exit", r));
}

function lakeBatches(dir: string): string[] {
  const root = join(dir, ".profile-lab/lake/datasets");
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((ds) => readdirSync(join(root, ds, "batches")));
}

describe("cancelling a running job", () => {
  it("E14: an export cancelled mid-way fails with CANCELLED and leaves no batch", async () => {
    const dir = copySample();
    const sandbox = openSandbox(dir);
    await runSegmentJob(sandbox, { asOf, statusModel: "legacy" });
    const control = new JobControl(new SandboxState(dir).root);
    const body = JSON.parse(readFileSync(join(dir, PER_BATCH), "utf8"));
    const run = runExportJob(sandbox, body, {
      asOf,
      statusModel: "legacy",
      // Another process asking for the cancel while the job is at its first checkpoint.
      onProgress: (p) => control.requestCancel(p.kind, p.jobId),
    });
    await expect(run).rejects.toThrow(/cancelled on request/);
    const job = new SandboxState(dir).records<ExportJob>("export-jobs").get(1)!;
    expect(job.status).toBe("FAILED");
    expect(job.errors).toEqual([{ code: "CANCELLED", msg: expect.stringContaining("cancelled on request"), callStack: "profile-lab JobCancelledError" }]);
    expect(lakeBatches(dir)).toEqual([]);
    for (const b of job.destination.batches!) expect(new SandboxState(dir).records<BatchRecord>("batches").get(b.batchId)!.status).toBe("failed");
    expect(control.isRunning("export-jobs", 1)).toBe(false);
  });

  it("S11: a cancelled segment job ends CANCELLED and writes no membership", async () => {
    const dir = copySample();
    const sandbox = openSandbox(dir);
    await runSegmentJob(sandbox, { asOf, statusModel: "legacy" });
    const before = await new SandboxState(dir).membership.text();
    const control = new JobControl(new SandboxState(dir).root);
    await expect(runSegmentJob(sandbox, { asOf: asOf + 86_400_000, statusModel: "legacy", onProgress: (p) => control.requestCancel(p.kind, p.jobId) })).rejects.toThrow(/cancelled/);
    const jobs = new SandboxState(dir).records<SegmentJob>("segment-jobs").all();
    expect(jobs.map((j) => j.status).sort()).toEqual(["CANCELLED", "SUCCEEDED"]);
    expect(await new SandboxState(dir).membership.text()).toBe(before);
  });

  it("refuses to cancel a job that is not running", async () => {
    const dir = copySample();
    await cliJsonInProcess("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF);
    const [job] = cliJson<{ children: SegmentJob[] }>("jobs", "list", "--type", "segment", "--sandbox", dir).children;
    const r = cli("jobs", "cancel", job!.id, "--sandbox", dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is not running (status SUCCEEDED)");
  });

  it("names the actions when `jobs` gets none or an unknown one, before asking for an id", () => {
    const dir = copySample();
    for (const [args, said] of [
      [[], "missing an action"],
      [["show"], 'unknown action "show"'],
    ] as const) {
      const r = cli("jobs", ...args, "--sandbox", dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${said}: use \`jobs list\`, \`jobs get <id>\` or \`jobs cancel <id>\``);
    }
    expect(cli("jobs", "get", "--sandbox", dir).stderr).toContain("missing an argument: profile-lab jobs get <id>");
  });
});

describe("a process killed in the middle of an export", () => {
  it("leaves the store consistent: the job is FAILED on the next start and no half-written batch is listed", async () => {
    const dir = big.copy();
    const request = join(dir, "export-jobs/all-profiles-projection.json");
    const child = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), "export", "--sandbox", dir, "--request", request, "--rows-per-file", "500"], { stdio: "ignore" });
    const exportJob = () => new SandboxState(dir).records<ExportJob>("export-jobs").get(1);
    const staging = join(dir, ".profile-lab/lake/_staging/1");
    const stagedParts = (): string[] => (existsSync(staging) ? readdirSync(staging).flatMap((b) => readdirSync(join(staging, b))) : []);
    // Kill it once it has written part files of its batch: a half-written batch exists at that moment.
    await whenReadyOrEnded(child, () => stagedParts().length >= 2);
    child.kill("SIGKILL");
    await exitOf(child);
    expect(stagedParts().length).toBeGreaterThanOrEqual(2);
    expect(exportJob()?.status).toBe("PROCESSING");

    const jobs = cliJson<{ exportJobs: ExportJob[] }>("jobs", "list", "--sandbox", dir).exportJobs;
    expect(jobs[0]).toMatchObject({ id: 1, status: "FAILED", errors: [{ code: "INTERRUPTED" }] });
    expect(lakeBatches(dir)).toEqual([]);
    expect(existsSync(join(dir, ".profile-lab/lake/_staging/1"))).toBe(false);
    const listed = cli("batches", "--sandbox", dir);
    expect(listed.stderr).toBe("");
    const batches = JSON.parse(listed.stdout) as Record<string, BatchRecord>;
    expect(Object.values(batches).map((b) => b.status)).toEqual(["failed"]);
    // The sandbox still works: the next export succeeds.
    const next = cliJson<ExportJob>("export", "--sandbox", dir, "--request", request);
    expect(next).toMatchObject({ id: 2, status: "SUCCEEDED" });
  }, LONG);
});

describe("Ctrl-C during an export", () => {
  it("cancels the job cleanly: FAILED with CANCELLED, no batch, the process exits with an error", async () => {
    const dir = big.copy();
    const request = join(dir, "export-jobs/all-profiles-projection.json");
    const child = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), "export", "--sandbox", dir, "--request", request, "--rows-per-file", "500"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const staging = join(dir, ".profile-lab/lake/_staging/1");
    await whenReadyOrEnded(child, () => existsSync(staging) && readdirSync(staging).some((b) => readdirSync(join(staging, b)).length > 0));
    child.kill("SIGINT");
    const code = await exitOf(child);
    expect(code).toBe(1);
    expect(stderr).toContain("cancelling at the next checkpoint");
    expect(stderr).toMatch(/error: CANCELLED .*cancelled on request/);
    expect(new SandboxState(dir).records<ExportJob>("export-jobs").get(1)).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED" }] });
    expect(lakeBatches(dir)).toEqual([]);
  }, LONG);
});

describe("recovery after a killed job", () => {
  it("removes what the dead process spilled (an older version's shards too) and the shards older versions kept; keeps what live ones spilled", () => {
    const dir = copySample();
    const root = new SandboxState(dir).root;
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    mkdirSync(join(root, "running"), { recursive: true });
    writeFileSync(join(root, "running", "segment-jobs-gone.json"), JSON.stringify({ pid: dead }));
    for (const name of [`duckdb-${dead}-segment-job-1`, `shards-${dead}-1`, `duckdb-${process.pid}-segment-job-2`]) {
      mkdirSync(join(root, "tmp", name), { recursive: true });
      writeFileSync(join(root, "tmp", name, "part.tmp"), "x\n");
    }
    mkdirSync(join(root, "spill", "0123abcd"), { recursive: true });
    writeFileSync(join(root, "spill", "0123abcd", "shard-00000.components"), "x\n");
    expect(recoverInterruptedJobs(dir)).toBe(1);
    expect(readdirSync(join(root, "tmp"))).toEqual([`duckdb-${process.pid}-segment-job-2`]);
    expect(existsSync(join(root, "spill"))).toBe(false);
  });
});

