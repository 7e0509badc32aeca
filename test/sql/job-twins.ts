/**
 * Twin copies of a sandbox for comparing the DuckDB segment job with the reference job run after run: the first
 * twin runs the reference (JS merge and closure compiler), the second DuckDB; after each run both must hold the
 * same membership snapshot byte for byte and the same job metrics (times aside). Shared by
 * segment-job-sql.test.ts and segment-job-differential.test.ts.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { runSegmentJob, type SegmentJobOptions } from "../../src/engine/run-segment-job.js";
import { openSandbox } from "../../src/engine/sandbox.js";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import { SandboxState } from "../../src/store/sandbox-state.js";

/** A sandbox and its twin: the first runs the reference job, the second the DuckDB job. */
export interface Twins {
  readonly reference: string;
  readonly sql: string;
}

/** Copies `dir` (without its engine state) to `<scratch>/<name>-reference` and `<scratch>/<name>-sql`. */
export function twins(dir: string, scratch: string, name: string): Twins {
  const reference = join(scratch, `${name}-reference`);
  const sql = join(scratch, `${name}-sql`);
  for (const to of [reference, sql]) cpSync(dir, to, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
  return { reference, sql };
}

export function snapshotText(dir: string): Promise<string> {
  return new SandboxState(dir).membership.text();
}

/** The metrics a run must agree on (times and ids differ by nature). */
export function comparable(job: SegmentJob): object {
  const { totalTime: _t, profileSegmentationTime: _p, ...metrics } = job.metrics;
  return { status: job.status, errors: job.errors, metrics: JSON.stringify(metrics) };
}

/** Both jobs of one run, after their results were found equal. */
export interface BothRuns {
  readonly reference: SegmentJob;
  readonly sql: SegmentJob;
  /** The number of stored membership lines. */
  readonly lines: number;
}

/** One run on both twins (DuckDB on `sqlThreads` threads): the same job metrics and the same snapshot, byte for byte. */
export async function runBoth(t: Twins, options: Omit<SegmentJobOptions, "engine">, sqlThreads = 2): Promise<BothRuns> {
  const reference = await runSegmentJob(openSandbox(t.reference), { ...options, engine: "reference", workers: 1 });
  const sql = await runSegmentJob(openSandbox(t.sql), { ...options, engine: "duckdb", workers: sqlThreads });
  expect(comparable(sql)).toEqual(comparable(reference));
  const want = await snapshotText(t.reference);
  const got = await snapshotText(t.sql);
  if (got !== want) {
    const [a, b] = [want.split("\n"), got.split("\n")];
    const i = a.findIndex((line, j) => line !== b[j]);
    expect({ line: i + 1, got: b[i] }).toEqual({ line: i + 1, got: a[i] });
  }
  return { reference, sql, lines: want === "" ? 0 : want.split("\n").length - 1 };
}

interface Manifest {
  readonly datasets: { readonly files?: readonly string[] }[];
}

/**
 * Gives both twins only part of the data: each dataset's first file, or, for a dataset of one JSON Lines file, the
 * first half of its lines. The function returned gives them all of it back (the data grows: identities link,
 * profiles stitch, prior memberships under other identities come into play).
 */
export function firstPartOnly(t: Twins): () => void {
  const text = readFileSync(join(t.reference, "sandbox.json"), "utf8");
  const manifest = JSON.parse(text) as Manifest;
  const halved = manifest.datasets.flatMap((d) => (d.files?.length === 1 && d.files[0]?.endsWith(".jsonl") ? [d.files[0]] : []));
  const whole = new Map(halved.map((rel) => [rel, readFileSync(join(t.reference, rel), "utf8")]));
  const first = { ...manifest, datasets: manifest.datasets.map((d) => (d.files !== undefined && d.files.length > 1 ? { ...d, files: d.files.slice(0, 1) } : d)) };
  for (const to of [t.reference, t.sql]) {
    writeFileSync(join(to, "sandbox.json"), JSON.stringify(first));
    for (const [rel, all] of whole) {
      const lines = all.split("\n").filter((l) => l !== "");
      writeFileSync(join(to, rel), lines.slice(0, Math.ceil(lines.length / 2)).map((l) => `${l}\n`).join(""));
    }
  }
  return () => {
    for (const to of [t.reference, t.sql]) {
      writeFileSync(join(to, "sandbox.json"), text);
      for (const [rel, all] of whole) writeFileSync(join(to, rel), all);
    }
  };
}
