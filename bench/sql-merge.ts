/**
 * The SQL merge (src/sql/merge, issue 13 part 2) on DuckDB: generates (or reuses, under bench/.cache/) a Parquet
 * sandbox per size, reads it where it lies, numbers and links the identities, computes the identity components
 * both ways (union-find in JavaScript over integer ids, label propagation in SQL) over the same links, and merges
 * the sandbox's default policy (`none`) and its stitched policy (`pdg`). Prints each stage's wall time, the
 * numbers of keys, links and profiles, and the peak RSS.
 *
 *   node --import tsx bench/sql-merge.ts [--profiles 100000,1000000] [--events-per-profile 10] [--threads 2] [--memory 4GB] [--identities-only]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openSandbox } from "../src/engine/sandbox.js";
import { generateSandbox } from "../src/generate/index.js";
import { DuckDbSession } from "../src/sql/merge/duckdb-session.js";
import { components, KEYS, LINKS, type ComponentMethod } from "../src/sql/merge/identities.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";
import { SqlMerge } from "../src/sql/merge/sql-merge.js";

const REPO = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "100000,1000000" },
    "events-per-profile": { type: "string", default: "10" },
    threads: { type: "string", default: "2" },
    memory: { type: "string", default: "4GB" },
    /** Stop after the identity components (no merge). */
    "identities-only": { type: "boolean", default: false },
  },
});

const seconds = (ms: number): string => (ms / 1000).toFixed(1).padStart(7);
const count = async (session: DuckDbSession, sql: string): Promise<number> => Number((await session.rows(sql))[0]!["n"]);

for (const profiles of values.profiles!.split(",").map(Number)) {
  const dir = join(REPO, "bench/.cache", `sql-merge-${profiles}`);
  if (!existsSync(join(dir, "sandbox.json"))) {
    rmSync(dir, { recursive: true, force: true });
    const start = performance.now();
    await generateSandbox(dir, {
      profiles,
      eventsPerProfile: Number(values["events-per-profile"]),
      seed: 1,
      referenceTime: "2026-11-01T00:00:00Z",
      name: "bench",
      format: "parquet",
      rowsPerFile: 200_000,
    });
    console.log(`generated ${dir} in ${seconds(performance.now() - start)} s`);
  }
  const sandbox = openSandbox(dir, { segments: false });
  // Spills under the git-ignored cache (DuckDB's default is ./.tmp in the current folder).
  const instance = await DuckDBInstance.create(":memory:", { threads: values.threads!, memory_limit: values.memory!, temp_directory: join(REPO, "bench/.cache/duckdb-tmp") });
  const session = await DuckDbSession.open(await instance.connect());
  const start = performance.now();
  const cpu = process.cpuUsage();
  const merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
  const keys = await count(session, `SELECT count(*) AS n FROM ${KEYS}`);
  const links = await count(session, `SELECT count(*) AS n FROM ${LINKS}`);
  console.log(`\n${profiles.toLocaleString("en-US")} persons: ${keys.toLocaleString("en-US")} identities, ${links.toLocaleString("en-US")} distinct links`);
  for (const method of ["union-find", "label-propagation"] as ComponentMethod[]) {
    const t = performance.now();
    await components(session, method, `bench_${method.replace("-", "_")}`, undefined, keys);
    console.log(`${seconds(performance.now() - t)} s  components by ${method}`);
  }
  const same = await count(
    session,
    "SELECT count(*) AS n FROM bench_union_find AS u FULL JOIN bench_label_propagation AS l ON l.id = u.id WHERE u.label IS DISTINCT FROM l.label",
  );
  console.log(`          the two give ${same === 0 ? "the same components" : `${same} different labels`}`);
  const policies = values["identities-only"] ? [] : [sandbox.policies.default, ...sandbox.policies.all().filter((p) => p.identityGraph.type === "pdg" && p.attributeMerge.type === "timestampOrdered")];
  for (const [i, policy] of policies.entries()) {
    await merge.mergePolicy(policy, `merged_${i}`);
    const n = await count(session, `SELECT count(*) AS n FROM merged_${i}`);
    console.log(`          ${policy.identityGraph.type}/${policy.attributeMerge.type}: ${n.toLocaleString("en-US")} profiles`);
  }
  for (const t of merge.times) console.log(`${seconds(t.ms)} s  ${t.stage}`);
  const used = process.cpuUsage(cpu);
  console.log(`${seconds(performance.now() - start)} s  in all (the label propagation above included), ${seconds((used.user + used.system) / 1000)} s of CPU; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  instance.closeSync();
}
