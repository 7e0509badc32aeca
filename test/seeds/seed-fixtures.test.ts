/**
 * The fixtures are the seeds' bodies: every body-carrying code block of ../shared/seeds/000–004 has a fixture,
 * each fixture still equals its block, and the doc bug in the create-export-job request of 000 (and of its
 * newer version 002) — a missing comma before "destination" — is rejected by the library's JSON reader with
 * its line and column.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/io/json-file.js";
import { ProfileLabError } from "../../src/xdm/errors.js";
import { bodyText, codeBlocks, fixture, FIXTURES_DIR, fixtureTextOf, SEED_BODIES, SEED_FILES, type SeedId } from "./seed-bodies.js";

const SEEDS = Object.keys(SEED_FILES) as SeedId[];

describe("the seed fixtures", () => {
  it("list every body-carrying code block of the seeds, and nothing else", () => {
    const inSeeds = SEEDS.flatMap((seed) => codeBlocks(seed).filter((b) => bodyText(b) !== undefined).map((b) => `${seed}:${b.line}`));
    const listed = SEED_BODIES.map((b) => `${b.seed}:${b.line}`);
    expect(listed.sort()).toEqual(inSeeds.sort());
    expect(inSeeds).toHaveLength(43);
  });

  it("are the only files in fixtures/ besides the uncorrected doc texts and the README", () => {
    const expected = [...SEED_BODIES.map((b) => b.fixture), ...SEED_BODIES.flatMap((b) => (b.fix ? [b.fix.rawFixture] : [])), "README.md"];
    expect(readdirSync(FIXTURES_DIR).sort()).toEqual(expected.sort());
  });

  it.each(SEED_BODIES.map((b) => [b.fixture, b] as const))("%s is the seed's body, as checked in", (name, body) => {
    const block = codeBlocks(body.seed).find((b) => b.line === body.line);
    const raw = block && bodyText(block);
    expect(raw, `${body.seed}:${body.line} has no body`).toBeDefined();
    expect(readFileSync(join(FIXTURES_DIR, name), "utf8")).toBe(fixtureTextOf(body, raw!));
    if (body.fix) expect(readFileSync(join(FIXTURES_DIR, body.fix.rawFixture), "utf8")).toBe(raw + "\n");
  });
});

const BROKEN = SEED_BODIES.filter((b) => b.fix !== undefined);

describe("the create-export-job request of 000 and 002 as the docs print it", () => {
  it("is the only seed body that is not valid JSON", () => {
    expect(BROKEN.map((b) => b.fixture)).toEqual(["000-create-export-job.request.json", "002-create-export-job.request.json"]);
    for (const b of SEED_BODIES.filter((x) => x.fix === undefined)) {
      const block = codeBlocks(b.seed).find((x) => x.line === b.line)!;
      const text = bodyText(block)!;
      expect(() => JSON.parse(b.kind === "fragment" ? `{${text}}` : text), b.fixture).not.toThrow();
    }
  });

  it.each(BROKEN.map((b) => [b.fix!.rawFixture, b] as const))("%s is rejected by parseJson with the line and column of the missing comma", (raw) => {
    const text = readFileSync(join(FIXTURES_DIR, raw), "utf8");
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
    expect(e.message).toBe(`malformed JSON: expected ',' or '}', found ${JSON.stringify(lines[line - 1]!.trim().slice(0, 12))}`);
  });

  it.each(BROKEN.map((b) => [b.fixture, b] as const))("%s is the doc's text with that comma added", (name, body) => {
    const text = readFileSync(join(FIXTURES_DIR, body.fix!.rawFixture), "utf8");
    expect(parseJson(body.fix!.apply(text), name)).toEqual(fixture(name));
  });
});
