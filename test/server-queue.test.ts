/**
 * Jobs answered at once: a POST records the job NEW and answers with it; the job runs when a slot is free; a
 * waiting job can be cancelled without running; a stop ends the waiting jobs; a killed server's waiting and
 * running jobs are recorded FAILED (INTERRUPTED) by the next server. The runner's queue is driven directly
 * with jobs whose run the test holds, so which job waits is certain.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSandbox } from "../src/engine/sandbox.js";
import { createExportJob, runExportJob } from "../src/engine/run-export-job.js";
import { createSegmentJob, runSegmentJob } from "../src/engine/run-segment-job.js";
import type { ExportJob } from "../src/export/export-job.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import { JobRunner, type QueuedJob } from "../src/server/job-runner.js";
import { JobControl } from "../src/store/job-control.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { batchesAsArray, RUNNING_METRICS } from "./seeds/helpers/compare.js";
import { responseValidator } from "./seeds/helpers/openapi.js";
import { SEGMENT_001, SEGMENT_JOB_A } from "./seeds/helpers/seed-sandbox.js";
import { fixture } from "./seeds/seed-bodies.js";
import { poll, sandboxesFolder, serve, type Call } from "./server-helpers.js";

const UPS = "/data/core/ups";
const NOW = Date.parse("2024-06-01T00:00:00Z");
const EXPORT_BODY = fixture<object>("000-create-export-job.request.json");

/** A sandbox folder of its own (the seed sandbox) and the options its jobs run with. */
function seedSandbox() {
  const dir = join(sandboxesFolder("prod"), "prod");
  return { dir, sandbox: openSandbox(dir), options: { asOf: NOW, statusModel: "legacy" as const, clock: () => NOW } };
}

/** A run the test ends when it likes: it holds its slot until `finish` is called. */
function heldRun(): { run: QueuedJob["run"]; started: Promise<void>; finish: () => void } {
  let finish!: () => void;
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: (onStart) => {
      onStart();
      markStarted();
      return finished;
    },
    started,
    finish,
  };
}

const claims = (dir: string): string[] => readdirSync(join(dir, ".profile-lab", "running")).sort();

describe("the library's jobs recorded before they run", () => {
  it("createSegmentJob records NEW and claimed; runSegmentJob adopts that record and ends it", async () => {
    const { dir, sandbox, options } = seedSandbox();
    const job = createSegmentJob(sandbox, { ...options, segmentIds: [SEGMENT_001] });
    expect(job.status).toBe("NEW");
    expect(new SandboxState(dir).records<SegmentJob>("segment-jobs").get(job.id)?.status).toBe("NEW");
    expect(new JobControl(new SandboxState(dir).root).isRunning("segment-jobs", job.id)).toBe(true);
    const done = await runSegmentJob(sandbox, { ...options, segmentIds: [SEGMENT_001], job: structuredClone(job) });
    expect(done).toMatchObject({ id: job.id, status: "SUCCEEDED", creationTime: job.creationTime });
    expect(new SandboxState(dir).records<SegmentJob>("segment-jobs").ids()).toEqual([job.id]);
    expect(claims(dir)).toEqual([]);
  });

  it("createExportJob checks the request before recording anything; runExportJob adopts the record", async () => {
    const { dir, sandbox, options } = seedSandbox();
    expect(() => createExportJob(sandbox, { ...EXPORT_BODY, destination: { datasetId: "nope" } }, options)).toThrow(/EXP-R002|unknown dataset/);
    expect(new SandboxState(dir).records<ExportJob>("export-jobs").ids()).toEqual([]);
    const job = createExportJob(sandbox, EXPORT_BODY, options);
    expect(job).toMatchObject({ status: "NEW", computeGatewayJobId: {} });
    const { job: done } = await runExportJob(sandbox, EXPORT_BODY, { ...options, job: structuredClone(job) });
    expect(done).toMatchObject({ id: job.id, status: "SUCCEEDED", destination: job.destination });
    expect(new SandboxState(dir).records<ExportJob>("export-jobs").ids().map(String)).toEqual([String(job.id)]);
  });
});

describe("the server's job queue", () => {
  it("starts waiting jobs in order as slots free; a cancelled waiting job ends CANCELLED without running", async () => {
    const { dir, sandbox, options } = seedSandbox();
    const runner = new JobRunner(1, () => NOW, (e) => expect.unreachable(String(e)));
    const held = heldRun();
    const a = createSegmentJob(sandbox, options);
    const b = createSegmentJob(sandbox, options);
    const c = createSegmentJob(sandbox, options);
    let bRan = false;
    let cEnded!: () => void;
    const cFinished = new Promise<void>((resolve) => (cEnded = resolve));
    runner.submit({ dir, kind: "segment-jobs", id: a.id, run: held.run });
    runner.submit({ dir, kind: "segment-jobs", id: b.id, run: () => ((bRan = true), Promise.resolve()) });
    runner.submit({ dir, kind: "segment-jobs", id: c.id, run: (onStart) => runSegmentJob(sandbox, { ...options, job: structuredClone(c), onStart }).finally(cEnded) });
    await held.started;
    expect(runner.cancelQueued(dir, "segment-jobs", b.id)).toBe(true);
    expect(runner.cancelQueued(dir, "segment-jobs", a.id)).toBe(false);
    const jobs = new SandboxState(dir).records<SegmentJob>("segment-jobs");
    expect(jobs.get(b.id)).toMatchObject({ status: "CANCELLED", errors: [{ code: "CANCELLED", msg: expect.stringMatching(/before it started; it did not run/) }] });
    expect(claims(dir)).not.toContain(`segment-jobs-${b.id}.json`);
    expect(jobs.get(c.id)?.status).toBe("NEW");
    held.finish();
    await cFinished;
    expect(jobs.get(c.id)?.status).toBe("SUCCEEDED");
    expect(bRan).toBe(false);
  });

  it("records a job whose run fails before it starts FAILED with the library's error", async () => {
    const { dir, sandbox, options } = seedSandbox();
    const runner = new JobRunner(1, () => NOW, () => expect.unreachable());
    const job = createExportJob(sandbox, EXPORT_BODY, options);
    await new Promise<void>((resolve) => {
      runner.submit({ dir, kind: "export-jobs", id: job.id, run: () => Promise.reject(new Error("segment gone")).finally(() => setImmediate(resolve)) });
    });
    expect(new SandboxState(dir).records<ExportJob>("export-jobs").get(String(job.id))).toMatchObject({ status: "FAILED", errors: [{ msg: "segment gone" }] });
    expect(claims(dir)).toEqual([]);
  });

  it("refuses a job past the queue's limit with 429 and any job once stopping with 503; a stop ends the waiting jobs", async () => {
    const { dir, sandbox, options } = seedSandbox();
    const runner = new JobRunner(1, () => NOW, () => undefined, 1);
    const held = heldRun();
    const a = createSegmentJob(sandbox, options);
    runner.submit({ dir, kind: "segment-jobs", id: a.id, run: held.run });
    await held.started;
    runner.admit();
    const b = createExportJob(sandbox, EXPORT_BODY, options);
    runner.submit({ dir, kind: "export-jobs", id: b.id, run: () => Promise.reject(new Error("must not run")) });
    expect(refusal(() => runner.admit())).toMatchObject({ status: 429, code: "PLAB-429" });
    const stopped = runner.stopAll();
    expect(refusal(() => runner.admit())).toMatchObject({ status: 503, code: "PLAB-503" });
    // The running job was asked to stop; it ends when its run does.
    expect(new JobControl(new SandboxState(dir).root).cancelRequested("segment-jobs", a.id)).toBe(true);
    held.finish();
    await stopped;
    // Export jobs have no CANCELLED status on the platform: a cancelled one ends FAILED with the code CANCELLED.
    expect(new SandboxState(dir).records<ExportJob>("export-jobs").get(String(b.id))).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED", msg: expect.stringMatching(/the server stopped/) }] });
  });
});

/** The error `f` throws. */
function refusal(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A server whose only job slot is held by the test until `finish` is called. */
function heldServer(folder: string): { call: Call; app: ReturnType<typeof serve>["app"]; finish: () => void; started: Promise<void> } {
  const runner = new JobRunner(1, Date.now, () => undefined);
  const held = heldRun();
  runner.submit({ dir: join(folder, "prod"), kind: "segment-jobs", id: "held-slot", run: held.run });
  const { app, call } = serve({ sandboxes: folder, clock: Date.now, jobRunner: runner });
  return { app, call, finish: held.finish, started: held.started };
}

describe("POST answers at once", () => {
  it("answers a segment job NEW in the documented shape; polling shows it run to SUCCEEDED", async () => {
    const { app, call } = serve({ sandboxes: sandboxesFolder("prod"), clock: Date.now });
    const r = await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: [{ segmentId: SEGMENT_001 }, { segmentId: SEGMENT_JOB_A }] });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: "NEW", segments: [{ segmentId: SEGMENT_001 }, { segmentId: SEGMENT_JOB_A }] });
    expect(responseValidator("/segment/jobs", "post", "200", [RUNNING_METRICS])(r.json())).toEqual([]);
    const { statuses } = await poll(call, `${UPS}/segment/jobs/${r.json().id}`);
    expect(statuses.at(-1)).toBe("SUCCEEDED");
    expect(statuses.every((s) => ["NEW", "PROCESSING", "SUCCEEDED"].includes(s))).toBe(true);
    await app.close();
  });

  it("answers while every slot is taken: the job waits NEW, and a cancelled one ends without running", async () => {
    const { app, call, finish, started } = heldServer(sandboxesFolder("prod"));
    await started;
    const waiting = await call({ method: "POST", url: `${UPS}/export/jobs`, payload: EXPORT_BODY });
    expect(waiting.statusCode).toBe(200);
    expect(responseValidator("/export/jobs", "post", "200", [batchesAsArray()])(waiting.json())).toEqual([]);
    const url = `${UPS}/export/jobs/${waiting.json().id}`;
    expect((await call({ method: "GET", url })).json().status).toBe("NEW");
    const cancelled = await call({ method: "DELETE", url });
    expect(cancelled.json()).toEqual({ status: true, message: "Export job has been marked for cancelling" });
    const ended = (await call({ method: "GET", url })).json();
    expect(ended).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED", msg: expect.stringMatching(/before it started/) }] });
    expect(ended.metrics.profileExportTime).toBeUndefined();
    expect(responseValidator("/export/jobs/{EXPORT_JOB_ID}", "get", "200", [batchesAsArray()])(ended)).toEqual([]);
    expect((await call({ method: "DELETE", url })).statusCode).toBe(409);
    // A request the library refuses is still the POST's answer, slots taken or not, and records no job.
    expect((await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: [{ segmentId: "nope" }] })).statusCode).toBe(400);
    const unknownDataset = await call({ method: "POST", url: `${UPS}/export/jobs`, payload: { ...EXPORT_BODY, destination: { datasetId: "nope" } } });
    expect(unknownDataset.statusCode).toBe(400);
    expect(unknownDataset.json()).toMatchObject({ type: "https://ns.adobe.com/aep/errors/EXP-R002", errors: [{ path: "$.destination.datasetId" }] });
    expect((await call({ method: "GET", url: `${UPS}/export/jobs` })).json().records).toHaveLength(1);
    finish();
    await app.close();
  });

  it("runs a waiting job once the slot frees: NEW until then, SUCCEEDED after", async () => {
    const { app, call, finish, started } = heldServer(sandboxesFolder("prod"));
    await started;
    const job = (await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: [{ segmentId: SEGMENT_001 }] })).json();
    const url = `${UPS}/segment/jobs/${job.id}`;
    expect((await call({ method: "GET", url })).json().status).toBe("NEW");
    finish();
    const { statuses } = await poll(call, url);
    expect(statuses.at(-1)).toBe("SUCCEEDED");
    expect(statuses.every((x) => ["NEW", "PROCESSING", "SUCCEEDED"].includes(x))).toBe(true);
    await app.close();
  });

  it("ends the waiting jobs when the server stops: none is left NEW", async () => {
    const folder = sandboxesFolder("prod");
    const { app, call, finish, started } = heldServer(folder);
    await started;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: [{ segmentId: SEGMENT_001 }] })).json().id);
    const closing = app.close();
    // The held job stops when the stop asks it to, as a running job does at its next checkpoint.
    const control = new JobControl(new SandboxState(join(folder, "prod")).root);
    while (!control.cancelRequested("segment-jobs", "held-slot")) await new Promise((resolve) => setImmediate(resolve));
    finish();
    await closing;
    const jobs = new SandboxState(join(folder, "prod")).records<SegmentJob>("segment-jobs");
    for (const id of ids) expect(jobs.get(id)).toMatchObject({ status: "CANCELLED", errors: [{ code: "CANCELLED", msg: expect.stringMatching(/the server stopped/) }] });
    expect(claims(join(folder, "prod")).filter((c) => !c.includes("held-slot"))).toEqual([]);
  });

  it("records the waiting and running jobs of a server that was killed FAILED (INTERRUPTED) when the next one starts", async () => {
    const folder = sandboxesFolder("prod");
    const dir = join(folder, "prod");
    const sandbox = openSandbox(dir);
    const options = { asOf: NOW, statusModel: "legacy" as const, clock: () => NOW };
    // What a killed server leaves: jobs recorded NEW or PROCESSING, claimed by a process that is gone.
    const waiting = createExportJob(sandbox, EXPORT_BODY, options);
    const running = createSegmentJob(sandbox, options);
    new SandboxState(dir).records<SegmentJob>("segment-jobs").put(running.id, { ...running, status: "PROCESSING" });
    const gone = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());
    for (const name of claims(dir)) writeFileSync(join(dir, ".profile-lab", "running", name), JSON.stringify({ pid: gone }));
    const { app, call } = serve({ sandboxes: folder });
    const state = new SandboxState(dir);
    expect(state.records<ExportJob>("export-jobs").get(String(waiting.id))).toMatchObject({ status: "FAILED", errors: [{ code: "INTERRUPTED" }] });
    expect(state.records<SegmentJob>("segment-jobs").get(running.id)).toMatchObject({ status: "FAILED", errors: [{ code: "INTERRUPTED" }] });
    expect(claims(dir)).toEqual([]);

    // Another process's job (a CLI run beside the server) left in flight while the server runs: a GET records it.
    const other = createSegmentJob(sandbox, options);
    writeFileSync(join(dir, ".profile-lab", "running", `segment-jobs-${other.id}.json`), JSON.stringify({ pid: gone }));
    expect((await call({ method: "GET", url: `${UPS}/segment/jobs/${other.id}` })).json()).toMatchObject({ status: "FAILED", errors: [{ code: "INTERRUPTED" }] });
    await app.close();
  });
});
