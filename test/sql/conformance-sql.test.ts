/**
 * The conformance corpus (test/pql/cases/*.json) on DuckDB: every case with a result is compiled to SQL, run in
 * an in-memory DuckDB against a one-row table built from the case's profile, events, clock and segments (typed
 * by TEST_SCHEMA, plus the types of data fields the schema does not have), and must give the value the closure
 * compiler gives. A case the SQL back end refuses with a coded error must be listed, with that code, in
 * known-gaps.json; the list is exact, so a gap that closes or a new refusal fails the test, and a wrong value is
 * never a gap.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Json, JsonObject } from "../../src/xdm/types.js";
import { parsePql } from "../../src/pql/index.js";
import { countedEventNodes } from "../../src/sql/event-counts.js";
import { normalise, runClosure, SqlRunner, type Input } from "./harness.js";

interface Case {
  readonly expr: string;
  readonly result?: Json;
  readonly profile?: JsonObject;
  readonly events?: JsonObject[];
  readonly now?: string;
  readonly segments?: string[];
}

interface CaseFile {
  readonly profile?: JsonObject;
  readonly events?: JsonObject[];
  readonly now?: string;
  readonly segments?: string[];
  readonly cases: Case[];
}

const DIR = fileURLToPath(new URL("../pql/cases/", import.meta.url));
const GAPS = JSON.parse(readFileSync(fileURLToPath(new URL("./known-gaps.json", import.meta.url)), "utf8")) as {
  readonly gaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
};
/** "file#index" → the error code the SQL back end must refuse the case with. */
const gapCodes = new Map<string, string>();
for (const family of Object.values(GAPS.gaps)) for (const [key, code] of Object.entries(family)) gapCodes.set(key.replace(/ .*$/, ""), code);

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((file) => {
    const data = JSON.parse(readFileSync(`${DIR}${file}`, "utf8")) as CaseFile;
    return data.cases.flatMap((c, i) => {
      if (c.result === undefined) return [];
      const input: Input = {
        profile: c.profile ?? data.profile ?? {},
        events: c.events ?? data.events ?? [],
        now: c.now ?? data.now ?? "2018-08-28T10:00:00Z",
        segments: c.segments ?? data.segments ?? [],
      };
      return [{ key: `${file}#${i}`, expr: c.expr, input, predicate: typeof c.result === "boolean" }];
    });
  });

let runner: SqlRunner;
beforeAll(async () => {
  runner = await SqlRunner.open();
});
afterAll(() => runner.close());

describe("the conformance corpus on DuckDB gives the closure compiler's values", () => {
  it("runs every result case of the corpus", () => {
    expect(cases.length).toBeGreaterThanOrEqual(500);
  });

  it.each(cases.map((k) => ({ ...k, name: `${k.key} ${k.expr.replace(/\s+/g, " ")}` })))("$name", async ({ key, expr, input, predicate }) => {
    const expected = runClosure(expr, input, predicate);
    const outcome = await runner.run(expr, input, predicate);
    const gap = gapCodes.get(key);
    if (gap !== undefined) {
      const got = outcome.kind === "refused" ? outcome.code : `compiled, giving ${JSON.stringify(outcome.value)}`;
      expect(got, `${key} is a known gap; remove it from known-gaps.json when it compiles`).toBe(gap);
      return;
    }
    if (outcome.kind === "refused") throw new Error(`${key} refused: ${outcome.code} ${outcome.message}`);
    expect(normalise(outcome.value), outcome.sql).toEqual(normalise(expected));
  });

  it("lists only cases that exist and have a result", () => {
    const keys = new Set(cases.map((k) => k.key));
    expect([...gapCodes.keys()].filter((k) => !keys.has(k))).toEqual([]);
  });
});

/** The predicate cases with event conditions a segment pass counts instead of reading the events list. */
const counted = cases.filter((k) => k.predicate && !gapCodes.has(k.key) && countedEventNodes(parsePql(k.expr, "case.pql")).size > 0);

describe("counted event conditions (a segment pass's counts) give the closure compiler's values", () => {
  it("covers the corpus's counted shapes", () => {
    // Their shapes beyond these are in src/sql/event-counts.test.ts.
    expect(counted.length).toBeGreaterThanOrEqual(12);
  });

  it.each(counted.map((k) => ({ ...k, name: `${k.key} ${k.expr.replace(/\s+/g, " ")}` })))("$name", async ({ key, expr, input }) => {
    const outcome = await runner.run(expr, input, true, true);
    if (outcome.kind === "refused") throw new Error(`${key} refused: ${outcome.code} ${outcome.message}`);
    expect(outcome.sql).toContain("xEventCounts");
    expect(normalise(outcome.value), outcome.sql).toEqual(normalise(runClosure(expr, input, true)));
  });
});
