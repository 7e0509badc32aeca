/**
 * The export stage on DuckDB (src/sql/export, issue 13): generates (or reuses, under bench/.cache/, the same
 * sandboxes as bench/sql-merge.ts) a Parquet sandbox per size, merges the policies its export requests use, evaluates
 * its segments in one pass per policy into a first membership snapshot (nextMembershipsSql, no prior snapshot), then
 * writes each of its export requests (export-jobs/*.json) with `writeExportSql`. Prints each stage's wall time, each
 * export's rows, files and bytes, the process's CPU time (DuckDB's threads included) and the peak RSS.
 *
 *   node --import tsx bench/sql-export.ts [--profiles 100000] [--events-per-profile 10] [--threads 2] [--memory 4GB]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { batchSpecs, exportContext } from "../src/engine/export-shard.js";
import { openSandbox } from "../src/engine/sandbox.js";
import { policyOf, segmentIdsByName } from "../src/engine/segment-shard.js";
import { generateSandbox } from "../src/generate/index.js";
import { DUCKDB } from "../src/sql/duckdb.js";
import { createAudiencesTable } from "../src/sql/export/memberships.js";
import { writeExportSql } from "../src/sql/export/export-sql.js";
import { nextMembershipsSql } from "../src/sql/membership-sql.js";
import { DuckDbSession } from "../src/sql/merge/duckdb-session.js";
import { segmentPassSql } from "../src/sql/merge/segment-pass.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";
import { SqlMerge } from "../src/sql/merge/sql-merge.js";
import type { MergePolicy } from "../src/xdm/types.js";

const REPO = resolve(import.meta.dirname, "..");
const ASOF = Date.parse("2026-11-01T00:00:00Z");
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "100000" },
    "events-per-profile": { type: "string", default: "10" },
    threads: { type: "string", default: "2" },
    memory: { type: "string", default: "4GB" },
  },
});

const seconds = (ms: number): string => (ms / 1000).toFixed(1).padStart(7);
const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

for (const profiles of values.profiles!.split(",").map(Number)) {
  const dir = join(REPO, "bench/.cache", `sql-merge-${profiles}`);
  if (!existsSync(join(dir, "sandbox.json"))) {
    rmSync(dir, { recursive: true, force: true });
    const start = performance.now();
    await generateSandbox(dir, { profiles, eventsPerProfile: Number(values["events-per-profile"]), seed: 1, referenceTime: "2026-11-01T00:00:00Z", name: "bench", format: "parquet", rowsPerFile: 200_000 });
    console.log(`generated ${dir} in ${seconds(performance.now() - start)} s`);
  }
  const sandbox = openSandbox(dir);
  const out = join(REPO, "bench/.cache", `sql-export-out-${profiles}`);
  rmSync(out, { recursive: true, force: true });
  // Spills under the git-ignored cache (DuckDB's default is ./.tmp in the current folder).
  const instance = await DuckDBInstance.create(":memory:", { threads: values.threads!, memory_limit: values.memory!, temp_directory: join(REPO, "bench/.cache/duckdb-tmp") });
  const session = await DuckDbSession.open(await instance.connect());
  const start = performance.now();
  const cpu = process.cpuUsage();
  console.log(`\n${profiles.toLocaleString("en-US")} persons, ${values.threads} threads, memory_limit ${values.memory}`);

  const merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
  const requests = readdirSync(join(dir, "export-jobs"))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, "export-jobs", f), "utf8")) as object] as const);
  const contexts = requests.map(([name, body]) => [name, exportContext(sandbox, body, "current", name)] as const);
  const policies = new Map<string, MergePolicy>();
  for (const s of sandbox.segments) policies.set(policyOf(sandbox, s).id, policyOf(sandbox, s));
  for (const [, c] of contexts) policies.set(c.policy.id, c.policy);
  const merged = new Map<string, string>();
  for (const policy of policies.values()) {
    const table = `merged_${merged.size}`;
    await merge.mergePolicy(policy, table);
    merged.set(policy.id, table);
  }
  for (const t of merge.times) console.log(`${seconds(t.ms)} s  ${t.stage}`);

  // A first snapshot: every segment evaluated in one pass per policy, its entries as the segment job writes them.
  let t = performance.now();
  await session.run("CREATE TEMP TABLE prior (key VARCHAR, segmentId VARCHAR, status VARCHAR, lastQualificationTime TIMESTAMP, version VARCHAR)");
  await session.run("CREATE TEMP TABLE memberships AS SELECT * FROM prior");
  const byName = segmentIdsByName(sandbox);
  const schema = { profile: sandbox.profileType, event: sandbox.eventType };
  for (const [id, table] of merged) {
    const segments = sandbox.segments.filter((s) => policyOf(sandbox, s).id === id);
    if (segments.length === 0) continue;
    await session.run(
      `CREATE OR REPLACE TEMP TABLE pass AS ${segmentPassSql(table, segments.map((s) => ({ id: s.definition.id, expression: s.definition.expression })), { schema, now: ASOF, segmentIdsByName: byName })}`,
    );
    const evaluated = `(${segments.map((s, i) => `SELECT pl_key AS key, ${DUCKDB.string(s.definition.id)} AS segmentId, s${i} AS qualifies FROM pass`).join(" UNION ALL ")})`;
    const next = nextMembershipsSql(DUCKDB, evaluated, "prior", { asOf: ASOF, statusModel: "current", version: "1" });
    await session.run(`INSERT INTO memberships SELECT key, segmentId, status, lastQualificationTime, version FROM (${next})`);
  }
  const entries = Number((await session.rows("SELECT count(*) AS n FROM memberships"))[0]!["n"]);
  console.log(`${seconds(performance.now() - t)} s  segments: ${sandbox.segments.length} in one pass per policy, ${entries.toLocaleString("en-US")} membership entries`);
  let audiences: string | undefined;
  if (sandbox.externalAudiences.size > 0) {
    audiences = "audiences";
    await createAudiencesTable(session, audiences, sandbox.externalAudiences, DUCKDB);
  }

  const exportStart = performance.now();
  const exportCpu = process.cpuUsage();
  for (const [i, [name, c]] of contexts.entries()) {
    t = performance.now();
    const oneCpu = process.cpuUsage();
    const specs = batchSpecs(sandbox, c.plan, i + 1);
    const result = await writeExportSql(
      session,
      {
        merged: merged.get(c.policy.id)!,
        identityGraph: await merge.identityGraphOf(c.policy),
        memberships: "memberships",
        audiences,
        sources: merge.sources,
        fragments: () => merge.fragments(),
        policy: c.policy,
        plan: c.plan,
        rowType: c.rowType,
        specs,
      },
      { asOf: ASOF, batchDirs: specs.map((_, b) => join(out, name, `batch-${b}`)) },
    );
    const files = result.files.flat();
    const rows = files.reduce((n, f) => n + f.rows, 0);
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    console.log(
      `${seconds(performance.now() - t)} s  export ${name}: ${result.exported.toLocaleString("en-US")} profiles, ${specs.length} batch(es), ${rows.toLocaleString("en-US")} rows, ` +
        `${files.length} file(s), ${(bytes / 2 ** 20).toFixed(1)} MiB, ${cpuSeconds(oneCpu).toFixed(1)} s of CPU`,
    );
    // Steps of one name (memberships, every batch written) summed.
    const steps = new Map<string, number>();
    for (const s of result.times) {
      const step = s.stage.startsWith("writing batch") ? "writing the files" : s.stage;
      steps.set(step, (steps.get(step) ?? 0) + s.ms);
    }
    console.log(`           ${[...steps].map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`).join(", ")}`);
  }
  console.log(`${seconds(performance.now() - exportStart)} s  the ${contexts.length} exports, ${cpuSeconds(exportCpu).toFixed(1)} s of CPU`);
  console.log(`${seconds(performance.now() - start)} s  in all, ${cpuSeconds(cpu).toFixed(1)} s of CPU; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  instance.closeSync();
}
