/**
 * End-to-end export benchmark against a DuckDB baseline. Generates (or reuses) a sandbox, runs the segment
 * job for the three audiences of export-jobs/audiences-per-batch.json and that export (one Parquet batch per
 * segment) through the CLI, then the same merge, predicates and per-segment Parquet written as DuckDB SQL
 * (bench/baseline-duckdb.sql). Checks that both give the same rows per segment and prints wall time, peak
 * RSS, profiles/s, bytes written and the time ratio.
 *
 *   node --import tsx bench/export-e2e.ts [--profiles 20000] [--events-per-profile 20] [--memory 2g]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const REPO = resolve(import.meta.dirname, "..");
const REFERENCE_TIME = "2026-11-01T00:00:00Z";
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "20000" },
    "events-per-profile": { type: "string", default: "20" },
    memory: { type: "string", default: "2g" },
  },
});
const profiles = Number(values.profiles);
const eventsPerProfile = Number(values["events-per-profile"]);

interface Timed {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
}

/** Runs the CLI under /usr/bin/time for wall time and peak RSS. */
function timed(...args: string[]): Timed {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, join(REPO, "bin/profile-lab.js"), ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`profile-lab ${args.join(" ")} failed:\n${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, peakRssMiB: Math.round(kb! / 1024), stdout: r.stdout };
}

function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

const sandbox = join(REPO, "bench/.cache", `sandbox-${profiles}-${eventsPerProfile}`);
if (!existsSync(join(sandbox, "sandbox.json"))) {
  rmSync(sandbox, { recursive: true, force: true });
  const g = timed("generate", sandbox, "--profiles", String(profiles), "--events-per-profile", String(eventsPerProfile), "--reference-time", REFERENCE_TIME);
  console.log(`generated ${sandbox} in ${g.seconds.toFixed(1)} s`);
}
rmSync(join(sandbox, ".profile-lab"), { recursive: true, force: true });
const inputBytes = bytesUnder(join(sandbox, "datasets"));
const requestFile = join(sandbox, "export-jobs/audiences-per-batch.json");
const request = JSON.parse(readFileSync(requestFile, "utf8")) as { filter: { segments: { segmentId: string }[] } };
const segmentIds = request.filter.segments.map((s) => s.segmentId);

const segmentJob = timed("segment-job", "--sandbox", sandbox, "--as-of", REFERENCE_TIME, "--memory", values.memory!, "--json", ...segmentIds.flatMap((id) => ["--segment", id]));
const exportJob = timed("export", "--sandbox", sandbox, "--request", requestFile, "--as-of", REFERENCE_TIME, "--memory", values.memory!, "--json");
const segJson = JSON.parse(segmentJob.stdout) as { metrics: { totalProfiles: number } };
const expJson = JSON.parse(exportJob.stdout) as { destination: { datasetId: string; batches: { segmentId: string; batchId: string }[] } };

const db = await (await DuckDBInstance.create(":memory:", { threads: "2" })).connect();
const count = async (glob: string): Promise<number> => Number((await db.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${glob}')`)).getRowObjectsJson()[0]!["n"]);
const ours = new Map<string, number>();
for (const b of expJson.destination.batches) {
  const expression = readdirSync(join(sandbox, "segments"))
    .map((f) => JSON.parse(readFileSync(join(sandbox, "segments", f), "utf8")) as { id: string; expression: { value: string } })
    .find((s) => s.id === b.segmentId)!.expression.value;
  const name = expression.includes("countryCode") ? "us-residents" : expression.includes("loyalty.tier") ? "gold-platinum" : "marketing-opt-in";
  ours.set(name, await count(join(sandbox, ".profile-lab/lake/datasets", expJson.destination.datasetId, "batches", b.batchId, "*.parquet")));
}

const out = join(REPO, "bench/.cache/baseline-out");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sql = readFileSync(join(REPO, "bench/baseline-duckdb.sql"), "utf8").replaceAll("{{datasets}}", join(sandbox, "datasets")).replaceAll("{{out}}", out);
const baselineStart = performance.now();
await db.run(sql);
const baselineSeconds = (performance.now() - baselineStart) / 1000;
const theirs = new Map<string, number>();
for (const name of ["us-residents", "gold-platinum", "marketing-opt-in"]) theirs.set(name, await count(join(out, `${name}.parquet`)));

const same = [...theirs].every(([k, v]) => ours.get(k) === v);
const plSeconds = segmentJob.seconds + exportJob.seconds;
const rows = [
  ["profile-lab segment job (3 audiences)", segmentJob.seconds.toFixed(2), String(segmentJob.peakRssMiB), Math.round(segJson.metrics.totalProfiles / segmentJob.seconds).toLocaleString("en-US")],
  ["profile-lab export (segmentPerBatch)", exportJob.seconds.toFixed(2), String(exportJob.peakRssMiB), Math.round(segJson.metrics.totalProfiles / exportJob.seconds).toLocaleString("en-US")],
  ["DuckDB baseline (same merge, same Parquet)", baselineSeconds.toFixed(2), "-", Math.round(segJson.metrics.totalProfiles / baselineSeconds).toLocaleString("en-US")],
];
console.log(`\n${profiles.toLocaleString("en-US")} persons, ${eventsPerProfile} events each; ${(inputBytes / 2 ** 20).toFixed(0)} MiB of JSONL input; ${segJson.metrics.totalProfiles.toLocaleString("en-US")} merged profiles (default policy)`);
console.log(`| stage | wall s | peak RSS MiB | profiles/s |\n|---|---|---|---|\n${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}`);
console.log(`\nrows per segment — profile-lab: ${JSON.stringify(Object.fromEntries(ours))}, DuckDB: ${JSON.stringify(Object.fromEntries(theirs))} → ${same ? "same" : "DIFFERENT"}`);
console.log(`Parquet written: profile-lab ${(bytesUnder(join(sandbox, ".profile-lab/lake")) / 2 ** 20).toFixed(1)} MiB, DuckDB ${(bytesUnder(out) / 2 ** 20).toFixed(1)} MiB`);
console.log(`time ratio profile-lab / DuckDB: ${(plSeconds / baselineSeconds).toFixed(2)}`);
db.closeSync();
if (!same) process.exitCode = 1;
