/**
 * The conformance corpus test/pql/cases/*.json, one file per function family, run by one table-driven test.
 * A file holds default `profile`, `events`, `now` and `segments` and a list of cases. A case is
 * `{expr, result}`: the expression is parsed, structurally checked, compiled and evaluated (a Boolean result
 * in Boolean position, anything else as a value, a missing value being null); or `{expr, error}`: parsing and
 * checking against the test schema must report that code first. Any case may override the defaults.
 * Every result case runs twice: from pql/text, and from the same expression converted to pql/json and back.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { astToPqlJson, checkPql, compilePql, compilePqlValue, parsePql, pqlJsonToAst, PqlError, type PqlExpr } from "../../src/pql/index.js";
import { checkPqlStructure } from "../../src/pql/checker.js";
import type { Json, JsonObject } from "../../src/xdm/types.js";
import { TEST_SCHEMA } from "./fixtures.js";

interface Case {
  readonly expr: string;
  readonly result?: Json;
  readonly error?: string;
  readonly profile?: JsonObject;
  readonly events?: JsonObject[];
  readonly now?: string;
  readonly segments?: string[];
  readonly note?: string;
}

interface CaseFile {
  readonly description: string;
  readonly profile?: JsonObject;
  readonly events?: JsonObject[];
  readonly now?: string;
  readonly segments?: string[];
  readonly cases: Case[];
}

const DIR = fileURLToPath(new URL("./cases/", import.meta.url));
const DEFAULT_NOW = "2018-08-28T10:00:00Z";
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();
const corpus = files.map((f) => ({ file: f, data: JSON.parse(readFileSync(`${DIR}${f}`, "utf8")) as CaseFile }));

function firstErrorCode(expr: string): string | undefined {
  try {
    const ast = parsePql(expr, "case.pql");
    const errors = checkPql(ast, TEST_SCHEMA, expr, "case.pql");
    if (errors[0] !== undefined) return errors[0].code;
    compilePql(ast);
    return undefined;
  } catch (e) {
    if (e instanceof PqlError) return e.code;
    throw e;
  }
}

function run(file: CaseFile, c: Case, viaJson: boolean): Json {
  const parsed = parsePql(c.expr, "case.pql");
  const ast: PqlExpr = viaJson ? pqlJsonToAst(astToPqlJson(parsed), "case.json") : parsed;
  const errors = checkPqlStructure(ast, c.expr, "case.pql");
  if (errors[0] !== undefined) throw errors[0];
  const segments = new Set(c.segments ?? file.segments ?? []);
  const ctx = {
    profile: c.profile ?? file.profile ?? {},
    events: c.events ?? file.events ?? [],
    now: Date.parse(c.now ?? file.now ?? DEFAULT_NOW),
    inSegment: (ref: string) => segments.has(ref),
  };
  return typeof c.result === "boolean" ? compilePql(ast)(ctx) : compilePqlValue(ast)(ctx);
}

describe("PQL conformance corpus", () => {
  it("has at least 400 cases", () => {
    expect(corpus.reduce((n, f) => n + f.data.cases.length, 0)).toBeGreaterThanOrEqual(400);
  });

  for (const { file, data } of corpus) {
    describe(`${file}: ${data.description}`, () => {
      it.each(data.cases.map((c, i) => ({ ...c, i })))("#$i $expr", (c) => {
        if (c.error !== undefined) {
          expect(firstErrorCode(c.expr)).toBe(c.error);
          return;
        }
        expect(c.result, "a case needs a result or an error").not.toBeUndefined();
        expect(run(data, c, false)).toEqual(c.result);
        expect(run(data, c, true), "through pql/json").toEqual(c.result);
      });
    });
  }
});
