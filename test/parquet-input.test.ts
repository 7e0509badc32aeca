/**
 * Datasets stored as Parquet (`datasets/*.parquet`) are read like JSON Lines: the sample converted to Parquet
 * gives the same memberships, metrics and exported Parquet bytes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSandbox } from "../src/generate/index.js";
import { describe, expect, it } from "vitest";
import { readParquetRows } from "../src/io/parquet-reader.js";
import { readJsonl } from "../src/io/jsonl.js";
import { ParquetFileWriter } from "../src/io/parquet-writer.js";
import { runExportJob } from "../src/engine/run-export-job.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import type { JsonObject } from "../src/xdm/types.js";
import { object, scalar } from "../src/xdm/xdm-type.js";
import { copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

const asOf = Date.parse(SAMPLE_AS_OF);

/** Rewrites every JSONL dataset of a sandbox as Parquet (schema + the system column) and points sandbox.json at it. */
async function toParquet(dir: string): Promise<void> {
  const sandbox = openSandbox(dir);
  const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8"));
  for (const [i, d] of sandbox.datasets.entries()) {
    if (d.schema === undefined) continue;
    const type = object([...d.schema.type.fields, ["_acp_system_metadata", object([["ingestTime", scalar("date-time")], ["sourceBatchId", scalar("string")]])]]);
    const files: string[] = [];
    for (const rel of d.entry.files ?? []) {
      const out = rel.replace(/\.jsonl$/, ".parquet");
      const writer = await ParquetFileWriter.open(join(dir, out), type, { batchRows: 5000 });
      for await (const { value } of readJsonl(join(dir, rel))) await writer.write([value as JsonObject]);
      await writer.close();
      rmSync(join(dir, rel));
      files.push(out);
    }
    manifest.datasets[i].files = files;
  }
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify(manifest, null, 2));
}

async function run(dir: string) {
  const sandbox = openSandbox(dir);
  const segmentJob = await runSegmentJob(sandbox, { asOf, statusModel: "legacy" });
  const { batches } = await runExportJob(sandbox, JSON.parse(readFileSync(join(dir, "export-jobs/big-spenders-with-events.json"), "utf8")), { asOf, statusModel: "legacy" });
  return {
    metrics: { ...segmentJob.metrics, totalTime: undefined, profileSegmentationTime: undefined },
    membership: await new SandboxState(dir).membership.text(),
    parquet: batches.flatMap((b) => b.files!.map((f) => readFileSync(join(dir, f.path)))),
  };
}

describe("Parquet datasets", () => {
  it("read like their JSON Lines originals: same memberships, metrics and exported bytes", async () => {
    const jsonl = copySample();
    const parquet = copySample();
    await toParquet(parquet);
    const a = await run(jsonl);
    const b = await run(parquet);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.membership).toBe(a.membership);
    expect(b.parquet.length).toBe(a.parquet.length);
    b.parquet.forEach((bytes, i) => expect(bytes.equals(a.parquet[i]!)).toBe(true));
  });

  it("reports a file that is not Parquet with its path", async () => {
    const dir = copySample();
    const file = join(dir, "datasets/not.parquet");
    writeFileSync(file, "PAR1 but not really");
    await expect(async () => {
      for await (const _ of readParquetRows(file)) void _;
    }).rejects.toThrow(expect.objectContaining({ code: "IO-P001", location: { file } }));
  });

  it("generate --format parquet writes Parquet datasets that give the same results as the JSON Lines ones", async () => {
    const options = { profiles: 300, eventsPerProfile: 8, seed: 5, referenceTime: SAMPLE_AS_OF, name: "g" };
    const base = mkdtempSync(join(tmpdir(), "profile-lab-gen-"));
    const jsonl = await generateSandbox(join(base, "jsonl"), options);
    const parquet = await generateSandbox(join(base, "parquet"), { ...options, format: "parquet" });
    expect(parquet.files.filter((f) => f.startsWith("datasets/"))).toEqual(jsonl.files.filter((f) => f.startsWith("datasets/")).map((f) => f.replace(/\.jsonl$/, "/part-00000.parquet")));
    expect(parquet.events).toBe(jsonl.events);
    const a = await runSegmentJob(openSandbox(jsonl.dir), { asOf, statusModel: "legacy" });
    const b = await runSegmentJob(openSandbox(parquet.dir), { asOf, statusModel: "legacy" });
    expect(b.metrics.segmentedProfileCounter).toEqual(a.metrics.segmentedProfileCounter);
    expect(await new SandboxState(parquet.dir).membership.text()).toBe(await new SandboxState(jsonl.dir).membership.text());
  });
});
