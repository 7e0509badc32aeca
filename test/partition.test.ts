/**
 * Spilling to disk shard by shard gives exactly what the in-memory run gives: the same memberships, the
 * same metrics (times aside) and byte-identical Parquet, whatever the number of shards.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMemorySize, shardCountFor } from "../src/engine/partition.js";
import { runExportJob } from "../src/engine/run-export-job.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import type { ExportJob } from "../src/export/export-job.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

const asOf = Date.parse(SAMPLE_AS_OF);
const REQUESTS = ["audiences-per-batch.json", "big-spenders-with-events.json", "recently-updated-incl-empty.json"];

function withoutTimes(job: SegmentJob | ExportJob): unknown {
  const { creationTime: _c, updateTime: _u, ...rest } = job as unknown as Record<string, unknown>;
  const metrics = { ...(rest["metrics"] as Record<string, unknown>) };
  for (const k of ["totalTime", "profileSegmentationTime", "profileExportTime", "aCPDatasetWriteTime"]) delete metrics[k];
  return { ...rest, metrics, updateEpoch: undefined };
}

async function runAll(memoryBytes: number | undefined) {
  const dir = copySample();
  const sandbox = openSandbox(dir);
  const options = { asOf, statusModel: "legacy" as const, ...(memoryBytes ? { memoryBytes } : {}) };
  const segmentJob = await runSegmentJob(sandbox, options);
  const exports: ExportJob[] = [];
  const files = new Map<string, Buffer>();
  for (const name of REQUESTS) {
    const { job, batches } = await runExportJob(sandbox, JSON.parse(readFileSync(join(dir, "export-jobs", name), "utf8")), options);
    exports.push(job);
    for (const b of batches) for (const f of b.files!) files.set(`${name}/${b.id}/${f.name}`, readFileSync(join(dir, f.path)));
  }
  return { dir, sandbox, segmentJob, exports, files, membership: readFileSync(new SandboxState(dir).membershipFile, "utf8") };
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

  it("gives the same memberships, metrics and Parquet bytes spilled to disk in many shards as in memory", async () => {
    const inMemory = await runAll(undefined);
    const budget = 8 * 2 ** 20;
    expect(shardCountFor(inMemory.sandbox, { memoryBytes: budget })).toBeGreaterThanOrEqual(5);
    const spilled = await runAll(budget);
    expect(spilled.membership).toBe(inMemory.membership);
    expect(withoutTimes(spilled.segmentJob)).toEqual(withoutTimes(inMemory.segmentJob));
    expect(spilled.exports.map(withoutTimes)).toEqual(inMemory.exports.map(withoutTimes));
    expect([...spilled.files.keys()]).toEqual([...inMemory.files.keys()]);
    for (const [name, bytes] of inMemory.files) expect(spilled.files.get(name)!.equals(bytes), name).toBe(true);
    const tmp = join(spilled.dir, ".profile-lab/tmp");
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });
});
