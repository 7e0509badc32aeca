/**
 * Writes test/seeds/fixtures/ from ../shared/seeds/ using the table in seed-bodies.ts. Run once when a seed
 * changes (`npx tsx test/seeds/extract-fixtures.ts`); the fixtures are checked in and seed-fixtures.test.ts
 * keeps them honest.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bodyText, codeBlocks, FIXTURES_DIR, fixtureTextOf, SEED_BODIES } from "./seed-bodies.js";

mkdirSync(FIXTURES_DIR, { recursive: true });
for (const body of SEED_BODIES) {
  const block = codeBlocks(body.seed).find((b) => b.line === body.line);
  const raw = block && bodyText(block);
  if (raw === undefined) throw new Error(`${body.fixture}: no body block at ${body.seed}:${body.line}`);
  if (body.fix) writeFileSync(join(FIXTURES_DIR, body.fix.rawFixture), raw + "\n");
  writeFileSync(join(FIXTURES_DIR, body.fixture), fixtureTextOf(body, raw));
  console.log(`${body.fixture} ← ${body.seed}:${body.line}`);
}
