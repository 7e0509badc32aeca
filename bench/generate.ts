/**
 * Generator benchmark (issue 16): generates the same sandbox with each worker count, each run in a fresh
 * process (so its peak RSS, which counts the worker threads, is its own), prints wall time, persons/s, rows/s,
 * CPU time of all threads, peak RSS and bytes, checks that every run wrote byte-identical files, and gives the
 * speed-up from the first worker count to the others. Runs the built library (`npm run build` first): the
 * worker threads run `dist/`.
 *
 *   node --import tsx bench/generate.ts [--profiles 1000000] [--events-per-profile 10] [--workers 1,2] [--format parquet] [--rows-per-file 1000000] [--compression zstd] [--config gen.yaml]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { GenerateOptions, GenerateSummary } from "../src/generate/index.js";

const REPO = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "1000000" },
    "events-per-profile": { type: "string", default: "10" },
    workers: { type: "string", default: "1,2" },
    format: { type: "string", default: "parquet" },
    "rows-per-file": { type: "string", default: "1000000" },
    compression: { type: "string", default: "zstd" },
    /** A generator config (e.g. sample-data/generator/example.yaml); default the built-in shape. */
    config: { type: "string" },
    /** Internal: run one generation in this process and print its figures as JSON. */
    run: { type: "string" },
  },
});

interface RunResult {
  readonly seconds: number;
  /** CPU time of the process, all threads (user + system). */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly summary: GenerateSummary;
}

async function runOne(dir: string, workers: number): Promise<RunResult> {
  const { generateSandbox } = (await import(pathToFileURL(join(REPO, "dist/index.js")).href)) as typeof import("../src/index.js");
  const options: GenerateOptions = {
    profiles: Number(values.profiles),
    eventsPerProfile: Number(values["events-per-profile"]),
    seed: 42,
    referenceTime: "2026-11-01T00:00:00Z",
    name: "bench",
    format: values.format as "parquet" | "jsonl",
    rowsPerFile: Number(values["rows-per-file"]),
    compression: values.compression as "zstd" | "snappy",
    workers,
  };
  if (values.config !== undefined) {
    const { readGeneratorConfig } = (await import(pathToFileURL(join(REPO, "dist/generate/gen-config.js")).href)) as typeof import("../src/generate/gen-config.js");
    options.config = readGeneratorConfig(values.config);
  }
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const summary = await generateSandbox(dir, options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { user, system } = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (user + system) / 1e6, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), summary };
}

function digestOf(dir: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update(readFileSync(join(dir, f)));
  return hash.digest("hex");
}

const num = (n: number): string => Math.round(n).toLocaleString("en-US");

if (values.run !== undefined) {
  const [dir, workers] = values.run.split("|");
  console.log(JSON.stringify(await runOne(dir!, Number(workers))));
} else {
  const workerCounts = values.workers!.split(",").map(Number);
  const label = `${values.profiles} persons × ${values["events-per-profile"]} events, ${values.format}${values.format === "parquet" ? ` (${values.compression})` : ""}${values.config === undefined ? "" : `, config ${values.config}`}`;
  console.log(`generate: ${label}, rows per file ${values["rows-per-file"]}`);
  const results: { workers: number; result: RunResult; digest: string }[] = [];
  for (const workers of workerCounts) {
    const dir = join(REPO, "bench/.cache", `generate-${values.profiles}-w${workers}`);
    rmSync(dir, { recursive: true, force: true });
    const args = process.argv.slice(2).filter((a, i, all) => a !== "--run" && all[i - 1] !== "--run");
    const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, ...args, "--run", `${dir}|${workers}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 26,
    });
    if (child.status !== 0) throw new Error(`the run with ${workers} workers failed`);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as RunResult;
    const dataFiles = result.summary.files.filter((f) => f.startsWith("datasets/"));
    const digest = digestOf(dir, dataFiles);
    rmSync(dir, { recursive: true, force: true });
    results.push({ workers, result, digest });
    const rows = Object.values(result.summary.datasets).reduce((n, d) => n + d.rows, 0);
    const bytes = Object.values(result.summary.datasets).reduce((n, d) => n + d.bytes, 0);
    console.log(
      `  ${workers} worker${workers === 1 ? "" : "s"}: ${result.seconds.toFixed(1)} s (CPU ${result.cpuSeconds.toFixed(1)} s), ${num(result.summary.persons / result.seconds)} persons/s, ` +
        `${num(rows / result.seconds)} rows/s (${num(rows)} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${dataFiles.length} files), peak RSS ${result.peakRssMiB} MiB, sha256 ${digest.slice(0, 16)}`,
    );
  }
  const [first, ...others] = results;
  for (const o of others) console.log(`  ${first!.workers} → ${o.workers} workers: ${(first!.result.seconds / o.result.seconds).toFixed(2)}×`);
  const same = results.every((r) => r.digest === first!.digest);
  console.log(same ? "  every run wrote byte-identical dataset files" : "  THE RUNS WROTE DIFFERENT FILES");
  if (!same) process.exitCode = 1;
}
