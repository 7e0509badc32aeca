/**
 * Maintainer script: test/seeds/fixtures/ from the seed documents (five Adobe Experience Platform documentation
 * pages from AdobeDocs, machine-translated; not part of this repo), by the table in seed-bodies.ts.
 *
 *   npx tsx test/seeds/extract-fixtures.ts <seeds-dir>           rewrites the fixtures from the documents
 *   npx tsx test/seeds/extract-fixtures.ts <seeds-dir> --check   verifies them and writes nothing
 *
 * Either way it fails (exit 1) when a body-carrying code block of the documents is missing from the table, the
 * table names a block that carries no body, or a body is not JSON when the table gives it no fix (or needs
 * none when it does); `--check` also fails when a fixture differs from its block. Run it when a document
 * changes; the tests read only the checked-in fixtures (seed-fixtures.test.ts).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FIXTURES_DIR, fixtureTextOf, SEED_BODIES, SEED_FILES, type SeedBody, type SeedId } from "./seed-bodies.js";

/** One fenced code block of a seed file. */
interface CodeBlock {
  readonly line: number;
  readonly lang: string;
  readonly text: string;
}

function codeBlocks(text: string): CodeBlock[] {
  const lines = text.split("\n");
  const out: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) j++;
    out.push({ line: i + 1, lang: open[1]!, text: lines.slice(i + 1, j).join("\n") });
    i = j;
  }
  return out;
}

/** The body text a block carries: a ```json block's text, or the `-d '…'` argument of a curl command; else undefined. */
function bodyText(block: CodeBlock): string | undefined {
  if (block.lang === "json") return block.text.trim();
  if (block.lang !== "shell") return undefined;
  const start = block.text.indexOf("-d '");
  if (start < 0) return undefined;
  const end = block.text.lastIndexOf("'");
  return block.text.slice(start + 4, end).trim();
}

function isJson(body: SeedBody, text: string): boolean {
  try {
    JSON.parse(body.kind === "fragment" ? `{${text}}` : text);
    return true;
  } catch {
    return false;
  }
}

function main(args: readonly string[]): number {
  const check = args.includes("--check");
  const positional = args.filter((a) => a !== "--check");
  if (positional.length !== 1 || positional[0]!.startsWith("-")) {
    console.error("usage: npx tsx test/seeds/extract-fixtures.ts <seeds-dir> [--check]");
    return 2;
  }
  const seedsDir = resolve(positional[0]!);
  const problems: string[] = [];

  // Every body-carrying block of the documents, by "<seed>:<line>".
  const bodies = new Map<string, string>();
  for (const [seed, file] of Object.entries(SEED_FILES) as [SeedId, string][]) {
    const path = join(seedsDir, file);
    if (!existsSync(path)) {
      problems.push(`${file}: not found in ${seedsDir}`);
      continue;
    }
    for (const block of codeBlocks(readFileSync(path, "utf8"))) {
      const raw = bodyText(block);
      if (raw !== undefined) bodies.set(`${seed}:${block.line}`, raw);
    }
  }
  if (problems.length === 0) {
    const listed = new Set(SEED_BODIES.map((b) => `${b.seed}:${b.line}`));
    for (const at of bodies.keys()) if (!listed.has(at)) problems.push(`${at}: a body-carrying block that SEED_BODIES does not list`);
  }

  let matched = 0;
  for (const body of SEED_BODIES) {
    const at = `${body.seed}:${body.line}`;
    const raw = bodies.get(at);
    if (raw === undefined) {
      if (!problems.some((p) => p.startsWith(SEED_FILES[body.seed]))) problems.push(`${body.fixture}: no body-carrying block at ${at}`);
      continue;
    }
    if (isJson(body, raw) === (body.fix !== undefined)) {
      problems.push(`${body.fixture}: the text at ${at} is ${body.fix ? "valid JSON, yet the table fixes it" : "not JSON, and the table gives no fix"}`);
      continue;
    }
    const files: [string, string][] = [[body.fixture, fixtureTextOf(body, raw)]];
    if (body.fix) files.push([body.fix.rawFixture, raw + "\n"]);
    let same = true;
    for (const [name, text] of files) {
      const path = join(FIXTURES_DIR, name);
      if (check) {
        const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
        if (current !== text) {
          same = false;
          problems.push(`${name}: ${current === undefined ? "missing" : "differs from"} the body at ${at}`);
        }
      } else {
        writeFileSync(path, text);
        console.log(`${name} ← ${at}`);
      }
    }
    if (same) matched++;
  }

  const named = new Set([...SEED_BODIES.map((b) => b.fixture), ...SEED_BODIES.flatMap((b) => (b.fix ? [b.fix.rawFixture] : [])), "README.md"]);
  for (const f of readdirSync(FIXTURES_DIR)) if (!named.has(f)) problems.push(`fixtures/${f}: not named by SEED_BODIES`);

  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`${problems.length} problem(s) between ${seedsDir} and test/seeds/fixtures/`);
    return 1;
  }
  console.log(check ? `all ${matched} fixtures equal their blocks in ${seedsDir}, and all ${bodies.size} body-carrying blocks are listed` : `wrote ${SEED_BODIES.length} fixtures from ${seedsDir}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
