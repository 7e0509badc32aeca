/**
 * The golden corpus grammar/examples/*.pql: each file holds one expression; `NAME.ast.json` is its AST
 * (spans as "line:col-line:col"), or `NAME.error.txt` the exact formatted syntax error. Valid expressions
 * with check errors against the test schema also have `NAME.check.txt`. Nothing is rewritten unless
 * UPDATE_GOLDEN=1 is set.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TEST_SCHEMA } from "../../test/pql/fixtures.js";
import { checkPql, parsePql, PqlError, type PqlSpan } from "./index.js";

const DIR = fileURLToPath(new URL("../../grammar/examples", import.meta.url));
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".pql"))
  .sort();

function spanText(s: PqlSpan): string {
  return `${s.start.line}:${s.start.column}-${s.end.line}:${s.end.column}`;
}

function serialise(value: unknown): string {
  return `${JSON.stringify(
    value,
    (k, v: unknown) => (k === "span" || k === "nameSpan") && typeof v === "object" && v !== null ? spanText(v as PqlSpan) : v,
    2,
  )}\n`;
}

interface Outputs {
  ast?: string;
  error?: string;
  check?: string;
}

function outputsFor(file: string, text: string): Outputs {
  try {
    const ast = parsePql(text, file);
    const errors = checkPql(ast, TEST_SCHEMA, text, file);
    return errors.length === 0 ? { ast: serialise(ast) } : { ast: serialise(ast), check: `${errors.map((e) => e.format()).join("\n\n")}\n` };
  } catch (e) {
    if (e instanceof PqlError) return { error: `${e.format()}\n` };
    throw e;
  }
}

const EXTENSIONS = { ast: ".ast.json", error: ".error.txt", check: ".check.txt" } as const;

describe("golden corpus grammar/examples", () => {
  it("has at least 40 valid and 15 error examples", () => {
    const valid = files.filter((f) => existsSync(join(DIR, f.replace(/\.pql$/, EXTENSIONS.ast))));
    const errors = files.filter((f) => existsSync(join(DIR, f.replace(/\.pql$/, EXTENSIONS.error))));
    expect(valid.length).toBeGreaterThanOrEqual(40);
    expect(errors.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)("%s", (file) => {
    const text = readFileSync(join(DIR, file), "utf8").replace(/\r?\n$/, "");
    const actual = outputsFor(file, text);
    for (const [kind, ext] of Object.entries(EXTENSIONS) as Array<[keyof Outputs, string]>) {
      const path = join(DIR, file.replace(/\.pql$/, ext));
      const got = actual[kind];
      if (UPDATE) {
        if (got === undefined) rmSync(path, { force: true });
        else writeFileSync(path, got);
        continue;
      }
      const expected = existsSync(path) ? readFileSync(path, "utf8") : undefined;
      expect(got, `${file}: ${ext} (run with UPDATE_GOLDEN=1 to regenerate, then review the diff)`).toBe(expected);
    }
  });
});
