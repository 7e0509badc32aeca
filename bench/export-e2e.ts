/**
 * End-to-end benchmark against a DuckDB baseline. Generates (or reuses) a Parquet sandbox, adds the ten bench
 * segments (five on attributes, five on events) and an export request with one batch per segment, then for
 * each worker count runs the segment job and the export through the CLI. The baseline is the core of that work as
 * hand-written DuckDB SQL (bench/baseline-duckdb.sql): the default policy's merge of the columns the segments use
 * with each profile keyed by one identity (no stitching), the same predicates and one Parquet file per segment (no
 * segmentMembership, no memberships kept). Checks that
 * both give the same rows per segment and prints wall time, peak RSS, profiles/s, bytes written, the time
 * ratio and the speed-up from one worker to more.
 *
 * Both jobs run on each of `--engine` (duckdb and reference by default: DuckDB, or the JS merge, closure compiler and
 * Parquet writer); the DuckDB export after the DuckDB segment job. Wall
 * time is reported with CPU time (user + system) and the load average, since other work on the machine inflates
 * wall time.
 *
 * `--no-cold` skips the DuckDB segment job over data not yet validated (at 10M it doubles the run's time): the first
 * segment job then validates the data itself, unless an earlier run over the same sandbox did.
 *
 *   node --import tsx bench/export-e2e.ts [--profiles 1000000] [--events-per-profile 10] [--memory 4g] [--workers 1,2] [--engine duckdb,reference] [--no-cold]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BASELINE_DATASETS, baselineSql } from "./baseline.js";
import { BENCH_SEGMENTS, benchExportRequest } from "./segments.js";

const REPO = resolve(import.meta.dirname, "..");
const REFERENCE_TIME = "2026-11-01T00:00:00Z";
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "1000000" },
    "events-per-profile": { type: "string", default: "10" },
    memory: { type: "string", default: "4g" },
    workers: { type: "string", default: [...new Set([1, availableParallelism()])].join(",") },
    engine: { type: "string", default: "duckdb,reference" },
    cold: { type: "boolean", default: true },
  },
  allowNegative: true,
});
const profiles = Number(values.profiles);
const eventsPerProfile = Number(values["events-per-profile"]);
const workerCounts = values.workers!.split(",").map(Number);
const engines = values.engine!.split(",");

interface Timed {
  seconds: number;
  /** User + system CPU seconds of the process and its threads. */
  cpuSeconds: number;
  peakRssMiB: number;
  stdout: string;
}

const LOGS = join(REPO, "bench/.cache/logs");
mkdirSync(LOGS, { recursive: true });

/**
 * Runs the CLI under /usr/bin/time for wall time and peak RSS (of the process and its worker threads). Its
 * stderr (progress lines every 10 s: stage, rows, rate) goes to bench/.cache/logs/<log>.log as it runs.
 */
function timed(log: string, ...args: string[]): Timed {
  const logFile = join(LOGS, `${log}.log`);
  const stderr = openSync(logFile, "w");
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", process.execPath, join(REPO, "bin/profile-lab.js"), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    stdio: ["ignore", "pipe", stderr],
  });
  closeSync(stderr);
  const errors = readFileSync(logFile, "utf8");
  if (r.status !== 0) throw new Error(`profile-lab ${args.join(" ")} failed:\n${errors}`);
  const [seconds, kb, user, system] = errors.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, cpuSeconds: user! + system!, peakRssMiB: Math.round(kb! / 1024), stdout: r.stdout };
}

function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const num = (n: number): string => Math.round(n).toLocaleString("en-US");

const sandbox = join(REPO, "bench/.cache", `sandbox-${profiles}-${eventsPerProfile}-parquet-200k`);
if (!existsSync(join(sandbox, "sandbox.json"))) {
  rmSync(sandbox, { recursive: true, force: true });
  // Parts of 200,000 rows: several files per dataset, as a platform export lands them (DuckDB reads them in parallel).
  const g = timed(`generate-${profiles}`, "generate", sandbox, "--profiles", String(profiles), "--events-per-profile", String(eventsPerProfile), "--format", "parquet", "--rows-per-file", "200000", "--quiet", "--reference-time", REFERENCE_TIME);
  console.log(`generated ${sandbox}: ${g.seconds.toFixed(1)} s, peak RSS ${g.peakRssMiB} MiB, ${mib(bytesUnder(join(sandbox, "datasets")))} MiB of Parquet`);
}
const manifest = JSON.parse(readFileSync(join(sandbox, "sandbox.json"), "utf8")) as {
  datasets: { id: string; name: string; files?: string[]; schemaRef: { id: string } }[];
};
const exportTarget = manifest.datasets.find((d) => (d.files ?? []).length === 0 && d.name === "Profile Export")!;
const defaultPolicy = readdirSync(join(sandbox, "merge-policies"))
  .map((f) => JSON.parse(readFileSync(join(sandbox, "merge-policies", f), "utf8")) as { id: string; version: number; default?: boolean })
  .find((p) => p.default)!;
for (const s of BENCH_SEGMENTS) writeFileSync(join(sandbox, "segments", `${s.id}.json`), `${JSON.stringify(s.definition, null, 2)}\n`);
const requestFile = join(sandbox, "export-jobs", "bench-ten-segments.json");
writeFileSync(requestFile, `${JSON.stringify(benchExportRequest(defaultPolicy, exportTarget.id), null, 2)}\n`);
const inputBytes = bytesUnder(join(sandbox, "datasets"));

interface Run {
  engine: string;
  workers: number;
  segmentJob: Timed;
  exportJob: Timed;
  profiles: number;
  rows: Map<string, number>;
  bytes: number;
}

const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
const db = await instance.connect();
const count = async (glob: string): Promise<number> => Number((await db.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${glob}')`)).getRowObjectsJson()[0]!["n"]);

// The baseline first, so that a run stopped before its end (10M persons take hours) has it.
// One folder per size: two runs of different sizes at once (10M beside 100k) would otherwise count each other's bytes.
const out = join(REPO, "bench/.cache", `baseline-out-${profiles}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sql = baselineSql((key) => {
  const files = manifest.datasets.find((d) => d.name === BASELINE_DATASETS[key])!.files!;
  return `read_parquet([${files.map((f) => `'${join(sandbox, f)}'`).join(", ")}])`;
}, out);
// In an instance of its own, closed after (not timed): its tables (14 GB at 10M) would stay beside the jobs that follow.
const baselineInstance = await DuckDBInstance.create(":memory:", { threads: "2" });
const baselineDb = await baselineInstance.connect();
const baselineStart = performance.now();
const baselineCpuStart = process.cpuUsage();
await baselineDb.run(sql);
const baselineSeconds = (performance.now() - baselineStart) / 1000;
const baselineCpuUsed = process.cpuUsage(baselineCpuStart);
const baselineCpu = (baselineCpuUsed.user + baselineCpuUsed.system) / 1e6;
baselineDb.closeSync();
baselineInstance.closeSync();
const theirs = new Map<string, number>();
for (const s of BENCH_SEGMENTS) theirs.set(s.slug, await count(join(out, `${s.slug}.parquet`)));
console.log(`DuckDB baseline: ${baselineSeconds.toFixed(1)} s, ${baselineCpu.toFixed(1)} CPU-s; rows per segment: ${BENCH_SEGMENTS.map((s) => `${s.slug} ${num(theirs.get(s.slug)!)}`).join(", ")}`);

// The DuckDB engine validates the data once (as ingestion does) and keeps the verdict per file: time that first.
let coldSegmentJob: Timed | undefined;
if (engines.includes("duckdb") && values.cold) {
  rmSync(join(sandbox, ".profile-lab"), { recursive: true, force: true });
  coldSegmentJob = timed(`${profiles}-duckdb-cold-segment-job`, "segment-job", "--sandbox", sandbox, "--as-of", REFERENCE_TIME, "--memory", values.memory!, "--json", "--engine", "duckdb", ...BENCH_SEGMENTS.flatMap((s) => ["--segment", s.id]));
  console.log(`duckdb segment job with the data not yet validated: ${coldSegmentJob.seconds} s, ${coldSegmentJob.cpuSeconds.toFixed(1)} CPU-s (peak RSS ${coldSegmentJob.peakRssMiB} MiB)`);
}

const runs: Run[] = [];
for (const engine of engines) for (const workers of workerCounts) {
  // Each run starts from no state but the data check's cache: the data is validated once, as at ingestion.
  for (const entry of existsSync(join(sandbox, ".profile-lab")) ? readdirSync(join(sandbox, ".profile-lab")) : []) {
    if (entry !== "validated.json") rmSync(join(sandbox, ".profile-lab", entry), { recursive: true, force: true });
  }
  const common = ["--sandbox", sandbox, "--as-of", REFERENCE_TIME, "--memory", values.memory!, "--json", "--engine", engine];
  const segmentJob = timed(`${profiles}-${engine}-workers-${workers}-segment-job`, "segment-job", ...common, "--workers", String(workers), ...BENCH_SEGMENTS.flatMap((s) => ["--segment", s.id]));
  const exportJob = timed(`${profiles}-${engine}-workers-${workers}-export`, "export", ...common, "--workers", String(workers), "--request", requestFile);
  const seg = JSON.parse(segmentJob.stdout) as { metrics: { totalProfiles: number } };
  const exp = JSON.parse(exportJob.stdout) as { destination: { datasetId: string; batches: { segmentId: string; batchId: string }[] } };
  const rows = new Map<string, number>();
  for (const b of exp.destination.batches) {
    rows.set(BENCH_SEGMENTS.find((s) => s.id === b.segmentId)!.slug, await count(join(sandbox, ".profile-lab/lake/datasets", exp.destination.datasetId, "batches", b.batchId, "*.parquet")));
  }
  runs.push({ engine, workers, segmentJob, exportJob, profiles: seg.metrics.totalProfiles, rows, bytes: bytesUnder(join(sandbox, ".profile-lab/lake")) });
  console.log(
    `${engine}, workers ${workers}: segment job ${segmentJob.seconds} s, ${segmentJob.cpuSeconds.toFixed(1)} CPU-s (peak RSS ${segmentJob.peakRssMiB} MiB), export ${exportJob.seconds} s, ${exportJob.cpuSeconds.toFixed(1)} CPU-s (${exportJob.peakRssMiB} MiB); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`,
  );
}

db.closeSync();
instance.closeSync();

const total = runs[0]!.profiles;
console.log(
  `\n${num(profiles)} persons, ${eventsPerProfile} events each on average; ${mib(inputBytes)} MiB of Parquet input; ${num(total)} merged profiles (default policy); --memory ${values.memory}`,
);
console.log("| stage | workers | wall s | CPU s | peak RSS MiB | profiles/s |\n|---|---|---|---|---|---|");
for (const r of runs) {
  const both = { seconds: r.segmentJob.seconds + r.exportJob.seconds, cpu: r.segmentJob.cpuSeconds + r.exportJob.cpuSeconds };
  console.log(`| profile-lab segment job (10 segments, ${r.engine}) | ${r.workers} | ${r.segmentJob.seconds.toFixed(1)} | ${r.segmentJob.cpuSeconds.toFixed(1)} | ${num(r.segmentJob.peakRssMiB)} | ${num(total / r.segmentJob.seconds)} |`);
  console.log(`| profile-lab export (segmentPerBatch, 10 batches, ${r.engine}) | ${r.workers} | ${r.exportJob.seconds.toFixed(1)} | ${r.exportJob.cpuSeconds.toFixed(1)} | ${num(r.exportJob.peakRssMiB)} | ${num(total / r.exportJob.seconds)} |`);
  console.log(`| profile-lab segment job + export (${r.engine}) | ${r.workers} | ${both.seconds.toFixed(1)} | ${both.cpu.toFixed(1)} | ${num(Math.max(r.segmentJob.peakRssMiB, r.exportJob.peakRssMiB))} | ${num(total / both.seconds)} |`);
}
if (coldSegmentJob !== undefined) {
  console.log(`| profile-lab segment job (duckdb, data not yet validated) | default | ${coldSegmentJob.seconds.toFixed(1)} | ${coldSegmentJob.cpuSeconds.toFixed(1)} | ${num(coldSegmentJob.peakRssMiB)} | ${num(total / coldSegmentJob.seconds)} |`);
}
console.log(`| DuckDB baseline (bench/baseline-duckdb.sql) | 2 threads | ${baselineSeconds.toFixed(1)} | ${baselineCpu.toFixed(1)} | – | ${num(total / baselineSeconds)} |`);

let same = true;
for (const r of runs) {
  const agree = BENCH_SEGMENTS.every((s) => r.rows.get(s.slug) === theirs.get(s.slug));
  same &&= agree;
  console.log(`\nrows per segment, ${r.engine}, ${r.workers} worker(s): ${agree ? "same as DuckDB" : "DIFFERENT from DuckDB"}`);
}
console.log(BENCH_SEGMENTS.map((s) => `  ${s.slug}: profile-lab ${num(runs[0]!.rows.get(s.slug) ?? -1)}, DuckDB ${num(theirs.get(s.slug)!)}`).join("\n"));
console.log(`Parquet written: profile-lab ${mib(runs[0]!.bytes)} MiB, DuckDB ${mib(bytesUnder(out))} MiB`);
for (const r of runs) console.log(`time ratio profile-lab / DuckDB, ${r.engine}, ${r.workers} worker(s): ${((r.segmentJob.seconds + r.exportJob.seconds) / baselineSeconds).toFixed(2)}`);
for (const r of runs) {
  const one = runs.find((o) => o.engine === r.engine && o.workers === 1);
  if (one === undefined || r.workers === 1) continue;
  console.log(`speed-up 1 → ${r.workers} workers (${r.engine}): segment job ${(one.segmentJob.seconds / r.segmentJob.seconds).toFixed(2)}×, segment job + export ${((one.segmentJob.seconds + one.exportJob.seconds) / (r.segmentJob.seconds + r.exportJob.seconds)).toFixed(2)}×`);
}
if (!same) process.exitCode = 1;
