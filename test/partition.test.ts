/**
 * Spilling to disk shard by shard, and running the shards on 1, 2 or 4 workers, gives exactly what the
 * in-memory run gives: the same memberships, the same metrics (times aside, keys in the same order) and
 * byte-identical Parquet, whatever the number of shards or workers.
 *
 * The sandbox is the sample's, generated with 200 persons instead of 1,000 (same seed, schemas, segments and
 * export requests; about 2.8 MB of JSON Lines instead of 14): an 8 MiB budget still cuts it into 11 to 27
 * shards, with a fifth of the rows to spill and load. What remains of a job's time on workers is mostly the
 * threads' start, each loading the engine.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMemorySize, shardCountFor } from "../src/engine/partition.js";
import type { JobProgress } from "../src/engine/job-progress.js";
import { runExportJob } from "../src/engine/run-export-job.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import type { ExportJob } from "../src/export/export-job.js";
import { SAMPLE_OPTIONS } from "../src/generate/sample-options.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import { JobControl } from "../src/store/job-control.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { ProfileLabError } from "../src/xdm/errors.js";
import { generatedSandbox } from "./helpers/generated-sandbox.js";

const asOf = Date.parse(SAMPLE_OPTIONS.referenceTime);
const PERSONS = 200;
/** Jobs here run many shards on worker threads: minutes on a busy machine, where they take seconds alone. */
const LONG = 600_000;

const sandbox = generatedSandbox("profile-lab-partition-", { ...SAMPLE_OPTIONS, profiles: PERSONS }, LONG);
/** A fresh copy of the small sandbox, without engine state. */
const copySandbox = (): string => sandbox.copy();

const REQUESTS = ["audiences-per-batch.json", "big-spenders-with-events.json", "recently-updated-incl-empty.json"];

/** The job as JSON without its times: key order counts too. */
function withoutTimes(job: SegmentJob | ExportJob): string {
  const { creationTime: _c, updateTime: _u, updateEpoch: _e, ...rest } = job as unknown as Record<string, unknown>;
  const metrics = { ...(rest["metrics"] as Record<string, unknown>) };
  for (const k of ["totalTime", "profileSegmentationTime", "profileExportTime", "aCPDatasetWriteTime"]) delete metrics[k];
  return JSON.stringify({ ...rest, metrics });
}

const DAY = 86_400_000;

/**
 * Two segment jobs ten days apart (so memberships move on from stored ones), then three exports; `spills`
 * says for each job whether it spilled (copied rows to shards) rather than reuse the spill before it.
 */
async function runAll(memoryBytes: number | undefined, workers?: number) {
  const dir = copySandbox();
  const sandbox = openSandbox(dir);
  const spills: boolean[] = [];
  const watched = () => {
    const job = spills.push(false) - 1;
    return {
      onProgress: (p: JobProgress) => {
        if (p.stage === "spill") spills[job] = true;
      },
    };
  };
  const options = { asOf, statusModel: "legacy" as const, engine: "reference" as const, ...(memoryBytes ? { memoryBytes } : {}), ...(workers ? { workers } : {}) };
  const firstJob = await runSegmentJob(sandbox, { ...options, asOf: asOf - 10 * DAY, ...watched() });
  const segmentJob = await runSegmentJob(sandbox, { ...options, ...watched() });
  const exports: ExportJob[] = [];
  const files = new Map<string, Buffer>();
  for (const name of REQUESTS) {
    const { job, batches } = await runExportJob(sandbox, JSON.parse(readFileSync(join(dir, "export-jobs", name), "utf8")), { ...options, ...watched() });
    exports.push(job);
    for (const b of batches) for (const f of b.files!) files.set(`${name}/${b.id}/${f.name}`, readFileSync(join(dir, f.path)));
  }
  return { dir, sandbox, firstJob, segmentJob, exports, files, spills, membership: new SandboxState(dir).membership.text() };
}

/** Sharded, the first segment job spills and the four jobs after it run on its kept spill. */
const SPILLED_ONCE = [true, false, false, false, false];

function expectSameOutput(run: Awaited<ReturnType<typeof runAll>>, reference: Awaited<ReturnType<typeof runAll>>): void {
  expect(run.membership).toBe(reference.membership);
  expect(withoutTimes(run.firstJob)).toBe(withoutTimes(reference.firstJob));
  expect(withoutTimes(run.segmentJob)).toBe(withoutTimes(reference.segmentJob));
  expect(run.exports.map(withoutTimes)).toEqual(reference.exports.map(withoutTimes));
  expect([...run.files.keys()]).toEqual([...reference.files.keys()]);
  for (const [name, bytes] of reference.files) expect(run.files.get(name)!.equals(bytes), name).toBe(true);
  const tmp = join(run.dir, ".profile-lab/tmp");
  expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
}

describe("sharded execution", () => {
  it("parses memory sizes", () => {
    expect(parseMemorySize("512m")).toBe(512 * 2 ** 20);
    expect(parseMemorySize("4g")).toBe(4 * 2 ** 30);
    expect(parseMemorySize("1.5GB")).toBe(1.5 * 2 ** 30);
    expect(parseMemorySize("100000")).toBe(100000);
    expect(parseMemorySize("lots")).toBeUndefined();
    expect(parseMemorySize("0m")).toBeUndefined();
  });

  it("gives the same memberships, metrics and Parquet bytes for 1, 2 and 4 workers and any memory budget", async () => {
    const inMemory = await runAll(undefined, 1);
    expect(shardCountFor(inMemory.sandbox)).toBe(1);
    expect(inMemory.spills).toEqual([false, false, false, false, false]);
    // Something to compare: every status of a membership, and Parquet from each export.
    for (const status of ["realized", "existing", "exited"]) expect(inMemory.membership).toContain(`"${status}"`);
    for (const name of REQUESTS) expect([...inMemory.files.keys()].filter((f) => f.startsWith(`${name}/`)).length, name).toBeGreaterThan(0);
    const budget = 8 * 2 ** 20;
    expect(shardCountFor(inMemory.sandbox, { memoryBytes: budget })).toBeGreaterThanOrEqual(5);
    const oneWorker = await runAll(budget, 1);
    expect(oneWorker.spills).toEqual(SPILLED_ONCE);
    expectSameOutput(oneWorker, inMemory);
    expect(shardCountFor(inMemory.sandbox, { workers: 2 })).toBe(4);
    const twoWorkers = await runAll(undefined, 2);
    expect(twoWorkers.spills).toEqual(SPILLED_ONCE);
    expectSameOutput(twoWorkers, inMemory);
    expect(shardCountFor(inMemory.sandbox, { memoryBytes: budget, workers: 4 })).toBeGreaterThan(8);
    const fourWorkers = await runAll(budget, 4);
    expect(fourWorkers.spills).toEqual(SPILLED_ONCE);
    expectSameOutput(fourWorkers, inMemory);
  }, LONG);

  it("reuses the spill of the job before over the same data and snapshot, and spills again when either changes or another job runs", async () => {
    const dir = copySandbox();
    // One worker and a budget the data does not fit: the shards come from the budget. How many workers run
    // the shards plays no part in keeping or reusing a spill (the test above reuses spills on 2 and 4), and
    // each worker is a thread to start for every job.
    const options = { asOf, statusModel: "legacy" as const, engine: "reference" as const, workers: 1, memoryBytes: 8 * 2 ** 20 };
    const request = JSON.parse(readFileSync(join(dir, "export-jobs", REQUESTS[0]!), "utf8"));
    /** Runs a job and says whether it spilled (copied rows to shards). */
    const spilled = async (run: (onProgress: (p: JobProgress) => void) => Promise<unknown>): Promise<boolean> => {
      let copied = false;
      await run((p) => (copied ||= p.stage === "spill"));
      return copied;
    };
    const segmentJob = (onProgress: (p: JobProgress) => void) => runSegmentJob(openSandbox(dir), { ...options, onProgress });
    const exportJob = (onProgress: (p: JobProgress) => void) => runExportJob(openSandbox(dir), request, { ...options, onProgress });
    const kept = (): string[] => readdirSync(join(dir, ".profile-lab/spill"));

    expect(await spilled(segmentJob)).toBe(true);
    expect(kept()).toHaveLength(1);
    expect(await spilled(exportJob)).toBe(false);
    // The second segment job reads the memberships the first one wrote beside the spill.
    expect(await spilled(segmentJob)).toBe(false);
    expect(await spilled(exportJob)).toBe(false);
    const shards = shardCountFor(openSandbox(dir), options);
    expect(shards).toBeGreaterThan(4);
    const membershipFiles = readdirSync(join(dir, ".profile-lab/spill", kept()[0]!)).filter((f) => f.includes(".membership."));
    expect(membershipFiles).toHaveLength(shards);

    // A snapshot the spill does not hold.
    const state = new SandboxState(dir);
    state.membership.replace(state.membership.readAll());
    expect(await spilled(exportJob)).toBe(true);
    expect(await spilled(exportJob)).toBe(false);

    // Changed data.
    const crm = join(dir, "datasets/crm-profiles.jsonl");
    utimesSync(crm, new Date(), new Date(Date.now() + 60_000));
    const before = kept();
    expect(await spilled(exportJob)).toBe(true);
    expect(kept()).toHaveLength(1);
    expect(kept()).not.toEqual(before);

    // Another job running (it may be reading the kept spill): this job's spill is its own, removed at its end.
    utimesSync(crm, new Date(), new Date(Date.now() + 120_000));
    const control = new JobControl(state.root);
    control.claim("segment-jobs", "another");
    try {
      const keptBefore = kept();
      expect(await spilled(exportJob)).toBe(true);
      expect(kept()).toEqual(keptBefore);
      expect(readdirSync(join(dir, ".profile-lab/tmp"))).toEqual([]);
    } finally {
      control.release("segment-jobs", "another");
    }
  }, LONG);

  it("fails a job on workers at a bad data line with its file, line and JSON path, and keeps the stored memberships", async () => {
    const dir = copySandbox();
    const sandbox = openSandbox(dir);
    await runSegmentJob(sandbox, { asOf, statusModel: "legacy" });
    const before = new SandboxState(dir).membership.text();
    const bad = '{"_id":"x","identityMap":{"CRMID":[{"id":"c","primary":true}]},"person":{"birthYear":"1970"},"_acp_system_metadata":{"ingestTime":"2026-10-01T00:00:00Z"}}';
    appendFileSync(join(dir, "datasets/crm-profiles.jsonl"), `${bad}\n`);
    const lines = readFileSync(join(dir, "datasets/crm-profiles.jsonl"), "utf8").trimEnd().split("\n").length;
    const error = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "legacy", engine: "reference", workers: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProfileLabError);
    expect((error as ProfileLabError).code).toBe("IO-D001");
    expect((error as ProfileLabError).location).toMatchObject({ file: "datasets/crm-profiles.jsonl", line: lines, jsonPath: "$.person.birthYear" });
    const jobs = new SandboxState(dir).records<SegmentJob>("segment-jobs");
    const last = jobs
      .ids()
      .map((id) => jobs.get(id)!)
      .sort((a, b) => a.computeJobId - b.computeJobId)
      .at(-1)!;
    expect(last.status).toBe("FAILED");
    expect(last.errors[0]!.code).toBe("IO-D001");
    expect(new SandboxState(dir).membership.text()).toBe(before);
  }, LONG);
});
