/**
 * The SQL merge (src/sql/merge, issue 13 part 2) on DuckDB: generates (or reuses, under bench/.cache/) a Parquet
 * sandbox per size, reads it where it lies, numbers and links the identities, computes the identity components
 * both ways (union-find in JavaScript over integer ids, label propagation in SQL) over the same links, and merges
 * the sandbox's default policy (`none`) and its stitched policy (`pdg`). Prints each stage's wall time, the
 * numbers of keys, links and profiles, the CPU time and the peak RSS.
 *
 * `--fields bench` merges only the fields the ten segments of bench/segments.ts read (field-use.ts) and runs them in
 * one pass over each merged table; `--fields all` (the default) merges every field, as a query's tables.
 * `--no-label-propagation` skips the second way of computing components.
 *
 *   node --import tsx bench/sql-merge.ts [--profiles 100000,1000000] [--events-per-profile 10] [--threads 2] [--memory 4GB]
 *     [--identities-only] [--fields all|bench] [--no-label-propagation]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openSandbox } from "../src/engine/sandbox.js";
import { generateSandbox } from "../src/generate/index.js";
import { DuckDbSession } from "../src/sql/merge/duckdb-session.js";
import { parsePql } from "../src/pql/index.js";
import { fieldUseOf, prunedSchema } from "../src/sql/merge/field-use.js";
import { components, KEYS, LINKS, type ComponentMethod } from "../src/sql/merge/identities.js";
import { evaluateSegmentPass } from "../src/sql/merge/segment-pass.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";
import { SqlMerge } from "../src/sql/merge/sql-merge.js";
import { parseDateTime } from "../src/xdm/time.js";
import { BENCH_SEGMENTS } from "./segments.js";

const REPO = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "100000,1000000" },
    "events-per-profile": { type: "string", default: "10" },
    threads: { type: "string", default: "2" },
    memory: { type: "string", default: "4GB" },
    /** Stop after the identity components (no merge). */
    "identities-only": { type: "boolean", default: false },
    fields: { type: "string", default: "all" },
    "no-label-propagation": { type: "boolean", default: false },
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
  const methods: ComponentMethod[] = values["no-label-propagation"] ? ["union-find"] : ["union-find", "label-propagation"];
  for (const method of methods) {
    const t = performance.now();
    await components(session, method, `bench_${method.replace("-", "_")}`, undefined, keys);
    console.log(`${seconds(performance.now() - t)} s  components by ${method}`);
  }
  if (methods.length === 2) {
    const same = await count(
      session,
      "SELECT count(*) AS n FROM bench_union_find AS u FULL JOIN bench_label_propagation AS l ON l.id = u.id WHERE u.label IS DISTINCT FROM l.label",
    );
    console.log(`          the two give ${same === 0 ? "the same components" : `${same} different labels`}`);
  }
  const schema = { profile: sandbox.profileType, event: sandbox.eventType };
  const segments = BENCH_SEGMENTS.map((b) => ({ id: b.id, expression: (b.definition as { expression: { type: "PQL"; format: "pql/text"; value: string } }).expression }));
  const use = values.fields === "bench" ? fieldUseOf(segments.map((s) => parsePql(s.expression.value)), schema) : undefined;
  const policies = values["identities-only"] ? [] : [sandbox.policies.default, ...sandbox.policies.all().filter((p) => p.identityGraph.type === "pdg" && p.attributeMerge.type === "timestampOrdered")];
  for (const [i, policy] of policies.entries()) {
    await merge.mergePolicy(policy, `merged_${i}`, use === undefined ? {} : { use });
    const n = await count(session, `SELECT count(*) AS n FROM merged_${i}`);
    console.log(`          ${policy.identityGraph.type}/${policy.attributeMerge.type}: ${n.toLocaleString("en-US")} profiles`);
    if (use !== undefined) {
      const t = performance.now();
      const cpuBefore = process.cpuUsage();
      const members = await evaluateSegmentPass(session, `merged_${i}`, segments, { schema: prunedSchema(schema, use), now: parseDateTime(sandbox.manifest.referenceTime!)! });
      const total = [...members.values()].reduce((k, m) => k + m.length, 0);
      const passCpu = process.cpuUsage(cpuBefore);
      console.log(`${seconds(performance.now() - t)} s  the ${segments.length} segments in one pass (${total.toLocaleString("en-US")} memberships; ${((passCpu.user + passCpu.system) / 1e6).toFixed(1)} s of CPU)`);
    }
  }
  for (const t of merge.times) console.log(`${seconds(t.ms)} s  ${t.stage}${t.cpuMs === undefined ? "" : ` (${(t.cpuMs / 1000).toFixed(1)} s of CPU)`}`);
  const used = process.cpuUsage(cpu);
  console.log(`${seconds(performance.now() - start)} s  in all (the label propagation above included), ${seconds((used.user + used.system) / 1000)} s of CPU; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  instance.closeSync();
}
