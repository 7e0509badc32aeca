/**
 * validateSources (src/engine/validate-sources.ts), the data check a DuckDB job runs first: rows per second of
 * validation on a generated sandbox (made once with `profile-lab generate`, kept under bench/.cache/), on 1 and 2
 * workers, cold (no validation cache), cached (every file recorded clean) and cold with DuckDB checking Parquet files
 * first (sql-cold: sql-precheck.ts, DuckDB on as many threads); then what reading the same rows
 * costs DuckDB through the SQL merge's views (src/sql/merge/read-datasets.ts, one thread: every row's event,
 * ingestion and custom times). Each run is a child process of its own, so that its CPU time (all threads) and
 * peak RSS are its alone.
 *
 *   node --import tsx bench/validate.ts [--profiles 100000] [--events-per-profile 20] [--format parquet|jsonl] [--rows-per-file 1000000] [--workers 1,2]
 *     [--sandbox <dir>]   (an existing sandbox instead of the generated one; its validation cache is removed and rewritten)
 *
 * Worker threads run the compiled worker (dist/): build first (`npx tsc -p tsconfig.build.json`).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openSandbox } from "../src/engine/sandbox.js";
import { validateSources, type SourcesValidation } from "../src/engine/validate-sources.js";
import { EngineSession } from "../src/sql/jobs/engine-session.js";
import { DUCKDB } from "../src/sql/duckdb.js";
import { DuckDbSession } from "../src/sql/merge/duckdb-session.js";
import { EVENTS_VIEW, readDatasetsSql, RECORDS_VIEW } from "../src/sql/merge/read-datasets.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";

const REPO = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "100000" },
    "events-per-profile": { type: "string", default: "20" },
    format: { type: "string", default: "parquet" },
    "rows-per-file": { type: "string", default: "1000000" },
    workers: { type: "string", default: "1,2" },
    sandbox: { type: "string" },
    /** Internal: one measured run in this process. */
    child: { type: "string" },
  },
});

interface Run {
  readonly workers: number;
  readonly mode: "cold" | "cached" | "sql-cold" | "sql-read";
  readonly files: number;
  readonly validated: number;
  readonly rows: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly peakRssMiB: number;
}

const dir = values.sandbox !== undefined ? resolve(values.sandbox) : join(REPO, "bench/.cache", `validate-${values.profiles}-${values["events-per-profile"]}-${values.format}-${values["rows-per-file"]}`);
const CACHE_FILE = join(dir, ".profile-lab/validated.json");

/** The SQL merge's views over every dataset, DuckDB on one thread: each row's times summed (so every one is read). */
async function sqlRead(): Promise<{ files: number; rows: number }> {
  const sandbox = openSandbox(dir, { segments: false });
  const instance = await DuckDBInstance.create(":memory:", { threads: "1", temp_directory: join(REPO, "bench/.cache/duckdb-tmp") });
  const session = await DuckDbSession.open(await instance.connect());
  const sources = mergeSourcesOf(sandbox);
  for (const sql of await readDatasetsSql(sources, DUCKDB, session)) await session.run(sql);
  const times = (view: string): string => `SELECT count(*) AS n, sum(pl_ingest) AS ingest, sum(${view === EVENTS_VIEW ? "pl_ts" : "pl_custom"}) AS t FROM ${view}`;
  const [events] = await session.rows(times(EVENTS_VIEW));
  const [records] = await session.rows(times(RECORDS_VIEW));
  instance.closeSync();
  return { files: sources.datasets.reduce((n, d) => n + d.files.length, 0), rows: Number(events!["n"]) + Number(records!["n"]) };
}

/** validateSources with DuckDB (`workers` threads) checking Parquet files first, as a DuckDB job runs it. */
async function withSqlPrecheck(workers: number): Promise<SourcesValidation> {
  const sql = await EngineSession.open({ tempDir: join(REPO, "bench/.cache/duckdb-tmp", `validate-${process.pid}`), threads: workers }, () => undefined);
  try {
    return await validateSources(openSandbox(dir, { segments: false }), { workers, cache: true, sql });
  } finally {
    sql.close();
  }
}

if (values.child !== undefined) {
  const [workers, mode] = values.child.split(":") as [string, Run["mode"]];
  if (mode === "cold" || mode === "sql-cold") rmSync(CACHE_FILE, { force: true });
  const sandbox = openSandbox(dir, { segments: false });
  const cpu = process.cpuUsage();
  const start = performance.now();
  const r = mode === "sql-read" ? { ...(await sqlRead()), validated: 0 } : mode === "sql-cold" ? await withSqlPrecheck(Number(workers)) : await validateSources(sandbox, { workers: Number(workers), cache: true });
  const wallS = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const run: Run = {
    workers: Number(workers),
    mode,
    files: r.files,
    validated: r.validated,
    rows: r.rows,
    wallS,
    cpuS: (used.user + used.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(run));
} else {
  if (!existsSync(join(dir, "sandbox.json"))) {
    rmSync(dir, { recursive: true, force: true });
    execFileSync(
      "npx",
      ["profile-lab", "generate", dir, "--profiles", values.profiles!, "--events-per-profile", values["events-per-profile"]!, "--format", values.format!, "--rows-per-file", values["rows-per-file"]!, "--quiet"],
      { cwd: REPO, stdio: "inherit" },
    );
  }
  const files = readdirSync(join(dir, "datasets"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".parquet") || f.endsWith(".jsonl"));
  const bytes = files.reduce((n, f) => n + statSync(join(dir, "datasets", f)).size, 0);
  console.log(`${dir}: ${files.length} data files, ${(bytes / 2 ** 20).toFixed(1)} MiB; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log("workers  mode     files read  rows        wall s  rows/s (wall)  CPU s  rows/CPU-s  peak RSS MiB");
  let rows = 0;
  const runs = [...values.workers!.split(",").flatMap((w) => [`${w}:cold`, `${w}:cached`, `${w}:sql-cold`]), "1:sql-read"];
  for (const run of runs) {
    const out = execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, ...process.argv.slice(2), "--child", run], { cwd: REPO, encoding: "utf8" });
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as Run;
    // A cached run reads no row: its rate is over the rows the cold run validated.
    if (r.mode !== "cached") rows = r.rows;
    const rate = (n: number): string => Math.round(n).toLocaleString("en-US").padStart(13);
    console.log(
      `${String(r.workers).padStart(7)}  ${r.mode.padEnd(8)} ${`${r.validated}/${r.files}`.padStart(10)}  ${String(r.rows).padEnd(10)}  ${r.wallS.toFixed(2).padStart(6)}  ${rate(rows / r.wallS)}  ${r.cpuS.toFixed(2).padStart(5)}  ${rate(rows / r.cpuS).slice(2)}  ${r.peakRssMiB.toFixed(0).padStart(12)}`,
    );
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
}
