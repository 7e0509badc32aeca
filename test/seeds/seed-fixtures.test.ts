/**
 * The fixtures are the seeds' bodies, checked on the repo alone: each one the table in seed-bodies.ts lists is
 * there (and nothing else), is JSON exactly as extract-fixtures.ts writes it, and the doc bug in the
 * create-export-job request of 000 (and of its newer version 002) — a missing comma before "destination" — is
 * rejected by the library's JSON reader with its line and column. That each fixture still equals its block of
 * the documents, and that every body-carrying block is listed, is checked by
 * `npx tsx test/seeds/extract-fixtures.ts <seeds-dir> --check` (the documents are not in the repo).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/io/json-file.js";
import { ProfileLabError } from "../../src/xdm/errors.js";
import { fixture, FIXTURES_DIR, fixtureTextOf, SEED_BODIES, SEED_FILES } from "./seed-bodies.js";

const read = (name: string): string => readFileSync(join(FIXTURES_DIR, name), "utf8");

describe("the seed fixtures", () => {
  it("are the only files in fixtures/ besides the uncorrected doc texts and the README", () => {
    const expected = [...SEED_BODIES.map((b) => b.fixture), ...SEED_BODIES.flatMap((b) => (b.fix ? [b.fix.rawFixture] : [])), "README.md"];
    expect(readdirSync(FIXTURES_DIR).sort()).toEqual(expected.sort());
  });

  it("are listed once each, from distinct blocks of the five seeds, named <seed>-<call>.<kind>.json", () => {
    expect(SEED_BODIES).toHaveLength(43);
    expect(new Set(SEED_BODIES.map((b) => b.fixture)).size).toBe(SEED_BODIES.length);
    expect(new Set(SEED_BODIES.map((b) => `${b.seed}:${b.line}`)).size).toBe(SEED_BODIES.length);
    expect(new Set(SEED_BODIES.map((b) => b.seed))).toEqual(new Set(Object.keys(SEED_FILES)));
    for (const b of SEED_BODIES) expect(b.fixture).toMatch(new RegExp(`^${b.seed}-[a-z-]+\\.${b.kind}\\.json$`));
  });

  it.each(SEED_BODIES.map((b) => [b.fixture, b] as const))("%s parses as JSON and is laid out as extract-fixtures.ts writes it", (name, body) => {
    const text = read(name);
    const value = parseJson(text, name);
    expect(text).toBe(JSON.stringify(value, null, 2) + "\n");
    expect(value).toBeTypeOf("object");
    expect(value).not.toBeNull();
    // A fragment is one `"key": value` excerpt of a response, wrapped in braces.
    if (body.kind === "fragment") expect(Object.keys(value as object)).toEqual(["destination"]);
  });
});

const BROKEN = SEED_BODIES.filter((b) => b.fix !== undefined);

describe("the create-export-job request of 000 and 002 as the docs print it", () => {
  it("is the only seed body whose doc text needs a fix", () => {
    expect(BROKEN.map((b) => b.fixture)).toEqual(["000-create-export-job.request.json", "002-create-export-job.request.json"]);
    expect(BROKEN.map((b) => b.fix!.rawFixture)).toEqual(["000-create-export-job.request.uncorrected.txt", "002-create-export-job.request.uncorrected.txt"]);
  });

  it.each(BROKEN.map((b) => [b.fix!.rawFixture, b] as const))("%s is rejected by parseJson with the line and column of the missing comma", (raw) => {
    const text = read(raw);
    let error: unknown;
    try {
      parseJson(text, raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProfileLabError);
    const e = error as ProfileLabError;
    expect(e.code).toBe("IO-J001");
    // The fault is the `"destination"` key that follows the additionalFields object without a comma.
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.trimStart().startsWith('"destination"')) + 1;
    expect(lines[line - 2]!.trim()).toBe("}");
    expect(e.location).toMatchObject({ file: raw, line, column: lines[line - 1]!.indexOf('"destination"') + 1 });
    // The character found is named, never the file's text (issue 17: errors do not echo content).
    expect(e.message).toBe(`malformed JSON: expected ',' or '}', found ${JSON.stringify('"')}`);
  });

  it.each(BROKEN.map((b) => [b.fixture, b] as const))("%s is the doc's text with that comma added", (name, body) => {
    const text = read(body.fix!.rawFixture);
    expect(parseJson(body.fix!.apply(text), name)).toEqual(fixture(name));
    expect(fixtureTextOf(body, text.slice(0, -1))).toBe(read(name));
  });
});
