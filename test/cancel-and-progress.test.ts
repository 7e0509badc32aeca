/**
 * Ctrl-C and progress of jobs that run in the CLI's own thread (no workers: the default on small data). The
 * job lets the event loop run at its checkpoints, so the SIGINT handler runs while it works and the job stops
 * at its next checkpoint; progress names the stage and counts what the result counts.
 *
 * The sandbox is generated: 20,000 persons with 5 events each on average (JSON Lines, about 87 MB), so that a
 * job still has seconds of work left when its first progress line comes, two seconds in, on a fast machine.
 * Tests assert where a job stopped (its stage and counts, from the cancel's message), never how long it took.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { JobProgress } from "../src/engine/job-progress.js";
import { runExportJob } from "../src/engine/run-export-job.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import type { ExportJob } from "../src/export/export-job.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import type { BatchRecord } from "../src/store/catalog-types.js";
import { JobControl } from "../src/store/job-control.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { copySample, REPO, SAMPLE_AS_OF } from "./helpers/cli.js";
import { generatedSandbox } from "./helpers/generated-sandbox.js";

const asOf = Date.parse(SAMPLE_AS_OF);
const REQUEST = "export-jobs/all-profiles-projection.json";

const sandbox = generatedSandbox("profile-lab-cancel-", { profiles: 20_000, eventsPerProfile: 5, seed: 42, referenceTime: SAMPLE_AS_OF, name: "cancel" });
const copySandbox = (): string => sandbox.copy();
/** Data rows of the generated sandbox (records and events). */
const dataRows = (): number => sandbox.summary.events + Object.values(sandbox.summary.records).reduce((n, x) => n + x, 0);

interface Interrupted {
  readonly code: number | null;
  readonly stderr: string;
  /** The progress line after which Ctrl-C was sent. */
  readonly started: string;
}

/** Runs the CLI, sends SIGINT once its first progress line is out, and waits for it to end. */
function interruptOnceStarted(args: readonly string[], label: string): Promise<Interrupted> {
  const child = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let started = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    const line = stderr.split("\n").find((l) => l.startsWith(`${label}: `));
    if (started === "" && line !== undefined) {
      started = line;
      child.kill("SIGINT");
    }
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr, started })));
}

/**
 * Where a cancel's message says the job stood: `… while evaluating (merge policy 1 of 3, 4,000 of 25,830
 * profiles); …`: its stage, `x of y` counts, percentages and rows read.
 */
function stoppedAt(stderr: string): { readonly stage: string; readonly counts: (readonly [number, number])[]; readonly percent?: number; readonly rows?: number } {
  const m = /was cancelled on request while (\w+)(?: \(([^)]*)\))?/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  const detail = m![2] ?? "";
  const num = (s: string): number => Number(s.replaceAll(",", ""));
  const counts = [...detail.matchAll(/([\d,]+) of ([\d,]+)/g)].map((c) => [num(c[1]!), num(c[2]!)] as const);
  const percent = /(\d+) %/.exec(detail);
  const rows = /^([\d,]+) rows/.exec(detail);
  return { stage: m![1]!, counts, ...(percent ? { percent: Number(percent[1]) } : {}), ...(rows ? { rows: num(rows[1]!) } : {}) };
}

/** A job stopped before its end: not writing, and short of a total it was counting to. */
function expectStoppedEarly(stderr: string): void {
  const at = stoppedAt(stderr);
  expect(["reading", "identities", "evaluating", "merging"], stderr).toContain(at.stage);
  if (at.stage === "reading") expect(at.rows, stderr).toBeLessThan(dataRows());
  else expect(at.counts.some(([done, total]) => done < total) || (at.percent !== undefined && at.percent < 100), stderr).toBe(true);
}

function lakeBatches(dir: string): string[] {
  const root = join(dir, ".profile-lab/lake/datasets");
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((ds) => readdirSync(join(root, ds, "batches")));
}

describe("Ctrl-C during a job in the CLI's thread", () => {
  it("stops a segment job at its next checkpoint: CANCELLED, short of its end, no membership written", async () => {
    const dir = copySandbox();
    const r = await interruptOnceStarted(["segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF, "--engine", "reference", "--workers", "1"], "segment job");
    expect(r.started).toMatch(/^segment job: (reading|identities|evaluating)/);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("cancelling at the next checkpoint");
    expect(r.stderr).toMatch(/error: CANCELLED segment job \S+ was cancelled on request while/);
    expectStoppedEarly(r.stderr);
    const state = new SandboxState(dir);
    expect(state.records<SegmentJob>("segment-jobs").all()).toMatchObject([{ status: "CANCELLED", errors: [{ code: "CANCELLED" }] }]);
    expect(state.membership.current()).toBeUndefined();
    expect(readdirSync(join(state.root, "running"))).toEqual([]);
  });

  it("stops an export at its next checkpoint: FAILED with CANCELLED, short of its end, no batch", async () => {
    const dir = copySandbox();
    const r = await interruptOnceStarted(["export", "--sandbox", dir, "--request", join(dir, REQUEST), "--as-of", SAMPLE_AS_OF, "--engine", "reference", "--workers", "1"], "export job");
    expect(r.started).toMatch(/^export job: (reading|identities|merging)/);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error: CANCELLED export job 1 was cancelled on request while/);
    expectStoppedEarly(r.stderr);
    const state = new SandboxState(dir);
    const job = state.records<ExportJob>("export-jobs").get(1)!;
    expect(job).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED" }] });
    expect(state.records<BatchRecord>("batches").all().map((b) => b.status)).toEqual(["failed"]);
    expect(lakeBatches(dir)).toEqual([]);
    expect(existsSync(state.stagingDir(1))).toBe(false);
  });
});

describe("a job in this thread lets the event loop run in every long stage", () => {
  /** Progress that is well inside a stage: its next checkpoint is in the same stage. */
  const MID_STAGE: Record<string, (p: JobProgress) => boolean> = {
    reading: (p) => p.stage === "reading" && p.rows > 0 && p.rows < dataRows() / 2,
    identities: (p) => p.stage === "identities" && p.totalRows !== undefined && p.rows > 0 && p.rows < p.totalRows / 2,
    evaluating: (p) => p.stage === "evaluating" && p.totalProfiles !== undefined && p.profiles > 0 && p.profiles < p.totalProfiles / 2,
    merging: (p) => p.stage === "merging" && p.totalProfiles !== undefined && p.profiles > 0 && p.profiles < p.totalProfiles / 2,
  };

  /** Runs `job`, asking for a cancel from a timer (as the Ctrl-C handler does) once the job is well inside `stage`. */
  async function cancelFromTimer(dir: string, stage: string, job: (onProgress: (p: JobProgress) => void) => Promise<unknown>): Promise<unknown> {
    const control = new JobControl(new SandboxState(dir).root);
    let latest: JobProgress | undefined;
    // A timer's callback runs only when the job lets the event loop turn.
    const timer = setInterval(() => {
      if (latest !== undefined && MID_STAGE[stage]!(latest)) control.requestCancel(latest.kind, latest.jobId);
    }, 1);
    try {
      return await job((p) => (latest = p)).then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      clearInterval(timer);
    }
  }

  it.each(["reading", "identities", "evaluating"])("a segment job asked to stop while %s stops there, CANCELLED", async (stage) => {
    const dir = copySandbox();
    const error = await cancelFromTimer(dir, stage, (onProgress) => runSegmentJob(openSandbox(dir), { asOf, statusModel: "legacy", engine: "reference", workers: 1, onProgress }));
    expect(String(error)).toContain(`was cancelled on request while ${stage}`);
    expect(new SandboxState(dir).records<SegmentJob>("segment-jobs").all()).toMatchObject([{ status: "CANCELLED" }]);
  });

  it("an export asked to stop while merging stops there: FAILED, no batch", async () => {
    const dir = copySandbox();
    const body = JSON.parse(readFileSync(join(dir, REQUEST), "utf8"));
    const error = await cancelFromTimer(dir, "merging", (onProgress) => runExportJob(openSandbox(dir), body, { asOf, statusModel: "legacy", engine: "reference", workers: 1, onProgress }));
    expect(String(error)).toMatch(/was cancelled on request while merging \([\d,]+ of [\d,]+ profiles, [\d,]+ exported\)/);
    expect(new SandboxState(dir).records<ExportJob>("export-jobs").get(1)).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED" }] });
    expect(lakeBatches(dir)).toEqual([]);
  });
});

describe("progress counts what the result counts", () => {
  /** Consecutive stages, each policy's apart: `identities 2`. */
  const stagesOf = (events: readonly JobProgress[]): string[] =>
    events.map((p) => (p.policy !== undefined && p.policies! > 1 ? `${p.stage} ${p.policy}` : p.stage)).filter((s, i, all) => s !== all[i - 1]);

  it("a segment job reads, links identities, then groups and evaluates each merge policy's profiles in turn, then writes", async () => {
    const events: JobProgress[] = [];
    const job = await runSegmentJob(openSandbox(copySample()), { asOf, statusModel: "legacy", engine: "reference", workers: 1, onProgress: (p) => events.push(p) });
    const policies = Object.keys(job.metrics.totalProfilesByMergePolicy!).length;
    expect(policies).toBeGreaterThan(1);
    expect(stagesOf(events)).toEqual(["reading", "identities", ...Array.from({ length: policies }, (_, i) => [`identities ${i + 1}`, `evaluating ${i + 1}`]).flat(), "writing"]);
    // Each policy's count ends at its total, the result's count for it; the result's totalProfiles is the largest.
    const ends = Array.from({ length: policies }, (_, i) => events.filter((p) => p.stage === "evaluating" && p.policy === i + 1).at(-1)!);
    expect(ends.map((p) => p.profiles)).toEqual(ends.map((p) => p.totalProfiles));
    expect(ends.map((p) => p.profiles)).toEqual(Object.values(job.metrics.totalProfilesByMergePolicy!));
    expect(Math.max(...ends.map((p) => p.profiles))).toBe(job.metrics.totalProfiles);
  });

  it("an export counts the profiles it exports, ending at the result's count", async () => {
    const dir = copySample();
    const events: JobProgress[] = [];
    const body = JSON.parse(readFileSync(join(dir, REQUEST), "utf8"));
    const { job } = await runExportJob(openSandbox(dir), body, { asOf, statusModel: "legacy", engine: "reference", workers: 1, onProgress: (p) => events.push(p) });
    expect(stagesOf(events)).toEqual(["reading", "identities", "merging", "writing"]);
    expect(events.at(-1)).toMatchObject({ stage: "writing", exported: job.metrics.totalExportedProfileCounter });
    const merged = events.filter((p) => p.stage === "merging").at(-1)!;
    expect(merged.profiles).toBe(merged.totalProfiles);
    expect(merged.exported).toBe(job.metrics.totalExportedProfileCounter);
  });
});
