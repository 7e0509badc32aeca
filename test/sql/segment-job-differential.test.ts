/**
 * The job-level differential test of issue 13: sample-data and 21 generated sandboxes (seeds, 30–120 persons,
 * JSON Lines and Parquet, 0–8 events per person, several part sizes, three with the example config's game-studio
 * datasets), each given its own segments plus a dozen
 * random well-typed ones (typed-pql.ts, literals drawn from its rows) spread over its merge policies. Two or three
 * runs per sandbox — the first on part of the data, then on all of it, the asOf moving — on twin copies: the DuckDB job and the
 * reference job must write the same membership snapshot (its rows, in order) and the same metrics. Generated expressions
 * the checker rejects are dropped and counted; those the SQL back end refuses are counted, named, and must stay few.
 */
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkSandboxSegments, openSandbox } from "../../src/engine/sandbox.js";
import { duckdbRefusal } from "../../src/sql/merge/segment-pass.js";
import { readGeneratorConfig } from "../../src/generate/gen-config.js";
import { generateSandbox } from "../../src/generate/index.js";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import { rng } from "../pql/fixtures.js";
import { firstPartOnly, runBoth, twins } from "./job-twins.js";
import { sampleSchema, TypedPqlGenerator, type GeneratedSegment } from "./typed-pql.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-segment-differential-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DAY = 24 * 3600 * 1000;
const REFERENCE_TIME = "2026-11-01T00:00:00Z";
const T0 = Date.parse(REFERENCE_TIME);
const SEGMENTS_PER_SANDBOX = 12;

/** The generator config that adds a game studio's datasets (an array of strings, a map of counters, event types of its own). */
const GAME_CONFIG = fileURLToPath(new URL("../../sample-data/generator/example.yaml", import.meta.url));

/** The generated sandboxes: seed, persons, events per person, format, rows per Parquet file, built-in shape or the game studio's. */
const SHAPES = Array.from({ length: 21 }, (_, i) => {
  const seed = 1301 + i;
  const format = i % 2 === 0 ? "jsonl" : "parquet";
  const shape = i % 7 === 3 ? "game studio" : "built-in";
  return { seed, profiles: 30 + ((i * 37) % 91), eventsPerProfile: i % 9, format, rowsPerFile: [15, 40, 100, 1000][i % 4] as number, shape } as const;
});

/** What the generated expressions came to, over the whole file. */
const tally = { generated: 0, rejected: [] as string[], refused: [] as string[], compared: 0, selective: 0, none: 0, all: 0 };

afterAll(() => {
  console.log(
    `segment-job differential: ${tally.generated} expressions generated, ${tally.rejected.length} rejected by the checker, ` +
      `${tally.refused.length} refused by the SQL back end, ${tally.compared} compared on both engines ` +
      `(after the last run ${tally.selective} selected some profiles, ${tally.none} none, ${tally.all} all)` +
      [...tally.rejected.map((r) => `\n  rejected: ${r}`), ...tally.refused.map((r) => `\n  refused: ${r}`)].join(""),
  );
});

/** A deterministic UUID from the generator's seed, as segment definitions carry. */
function uuid(r: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/**
 * Adds random typed segments to the sandbox at `dir` (round-robin over its merge policies), then drops those the
 * checker rejects or the SQL back end refuses (the DuckDB job would refuse the whole job), counting them.
 */
async function addGeneratedSegments(dir: string, seed: number): Promise<GeneratedSegment[]> {
  const sandbox = openSandbox(dir);
  const generator = new TypedPqlGenerator(await sampleSchema(sandbox), seed, T0);
  const policies = sandbox.policies.all().map((p) => p.id);
  const r = rng(seed ^ 0x5eed);
  const files = new Map<string, string>();
  const generated = Array.from({ length: SEGMENTS_PER_SANDBOX }, (_, i) => {
    const segment = generator.next(uuid(r), `Generated ${seed}-${i}`);
    const file = join(dir, "segments", `generated-${i}.json`);
    const definition = {
      id: segment.id,
      name: segment.name,
      schema: { name: "_xdm.context.profile" },
      expression: { type: "PQL", format: "pql/text", value: segment.pql },
      mergePolicyId: policies[i % policies.length],
    };
    writeFileSync(file, JSON.stringify(definition, null, 2));
    files.set(segment.id, file);
    return segment;
  });
  tally.generated += generated.length;
  const dropped = new Set<string>();
  for (const result of checkSandboxSegments(dir)) {
    const file = files.get(result.definition.id);
    if (file === undefined) continue;
    const error = result.check.errors[0] ?? duckdbRefusal(result);
    if (error === undefined) continue;
    (result.check.errors.length > 0 ? tally.rejected : tally.refused).push(`seed ${seed}: ${result.definition.expression.value} — ${error.code} ${error.message}`);
    unlinkSync(file);
    dropped.add(result.definition.id);
  }
  const kept = generated.filter((s) => !dropped.has(s.id));
  tally.compared += kept.length;
  return kept;
}

/** Counts, after the last run, how many generated segments selected none, all or some of their policy's profiles. */
function countSelectivity(job: SegmentJob, segments: readonly GeneratedSegment[], dir: string): void {
  const { segmentedProfileCounter = {}, totalProfilesByMergePolicy = {} } = job.metrics;
  const byId = new Map(openSandbox(dir).segments.map((s) => [s.definition.id, s.definition.mergePolicyId]));
  for (const s of segments) {
    const n = segmentedProfileCounter[s.id] ?? 0;
    const total = totalProfilesByMergePolicy[byId.get(s.id) ?? ""] ?? 0;
    if (n === 0) tally.none++;
    else if (n >= total) tally.all++;
    else tally.selective++;
  }
}

describe("the DuckDB segment job agrees with the reference on random well-typed segments", () => {
  it("on sample-data with generated segments beside its own, the data growing and the clock moving", async () => {
    const dir = join(scratch, "sample");
    cpSync("sample-data", dir, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
    const segments = await addGeneratedSegments(dir, 1300);
    const t = twins(dir, scratch, "sample");
    const growData = firstPartOnly(t);
    await runBoth(t, { asOf: T0, statusModel: "current" });
    growData();
    const last = await runBoth(t, { asOf: T0 + 35 * DAY, statusModel: "legacy" });
    expect(last.lines).toBeGreaterThan(100);
    countSelectivity(last.reference, segments, t.reference);
  }, 600_000);

  it.each(SHAPES)("on a generated sandbox (seed $seed, $profiles persons, $eventsPerProfile events each, $format, $rowsPerFile rows a file, $shape shape)", async (shape) => {
    const dir = join(scratch, `g${shape.seed}`);
    const { seed, profiles, eventsPerProfile, format, rowsPerFile } = shape;
    const config = shape.shape === "game studio" ? { config: readGeneratorConfig(GAME_CONFIG) } : {};
    await generateSandbox(dir, { seed, profiles, eventsPerProfile, format, rowsPerFile, ...config, referenceTime: REFERENCE_TIME, name: `g${seed}` });
    const segments = await addGeneratedSegments(dir, shape.seed);
    const t = twins(dir, scratch, `g${shape.seed}`);
    // DuckDB on two threads in two sandboxes, else on one (the output is the same for any number:
    // segment-job-sql-lifecycle.test.ts; a two-thread job on these small sandboxes costs about twice the CPU).
    const threads = shape.seed % 10 === 1 ? 2 : 1;
    const growData = firstPartOnly(t);
    await runBoth(t, { asOf: T0, statusModel: "current" }, threads);
    growData();
    let last = await runBoth(t, { asOf: T0 + 3 * DAY, statusModel: "current" }, threads);
    // Every third sandbox: a third run a month on, in the legacy status model (exits, retention).
    if (shape.seed % 3 === 0) last = await runBoth(t, { asOf: T0 + 35 * DAY, statusModel: "legacy" }, threads);
    expect(last.lines).toBeGreaterThan(0);
    countSelectivity(last.reference, segments, t.reference);
  }, 600_000);

  it("covers at least 200 generated expressions, nearly all of them run by both engines, most of them selective", () => {
    expect(tally.generated).toBeGreaterThanOrEqual(22 * SEGMENTS_PER_SANDBOX);
    expect(tally.compared).toBeGreaterThanOrEqual(200);
    expect(tally.refused.length).toBeLessThanOrEqual(tally.generated / 20);
    expect(tally.selective).toBeGreaterThan(tally.compared / 2);
  });
});
