/**
 * Regenerates the checked-in sample sandbox:
 *
 *     node --import tsx src/generate/make-sample.ts
 *
 * Deletes `sample-data/` (relative to the repository root) and writes it again with name "sample", seed 42,
 * 1,000 persons, 20 events per person on average and referenceTime 2026-11-01T00:00:00Z, in the shape of
 * `sample-data/generator/default.yaml` (keeping `tests/` and `generator/`, written by hand), then prints the
 * summary and the file sizes.
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readGeneratorConfig } from "./gen-config.js";
import { generateSandbox } from "./index.js";
import { SAMPLE_OPTIONS } from "./sample-options.js";

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const dir = join(root, "sample-data");
  // tests/ (the sample's segment tests) and generator/ (the generator configs) are written by hand: kept aside
  // while the rest is regenerated; the sample is what the default config file makes.
  const handWritten = ["tests", "generator"].filter((sub) => existsSync(join(dir, sub)));
  const kept = handWritten.length > 0 ? await mkdtemp(join(tmpdir(), "profile-lab-sample-kept-")) : undefined;
  for (const sub of handWritten) await cp(join(dir, sub), join(kept!, sub), { recursive: true });
  const config = readGeneratorConfig(join(kept ?? dir, "generator", "default.yaml"));
  await rm(dir, { recursive: true, force: true });
  const summary = await generateSandbox(dir, { ...SAMPLE_OPTIONS, config });
  for (const sub of handWritten) await cp(join(kept!, sub), join(dir, sub), { recursive: true });
  if (kept !== undefined) await rm(kept, { recursive: true, force: true });
  let total = 0;
  const sizes: string[] = [];
  for (const file of summary.files) {
    const { size } = await stat(join(dir, file));
    total += size;
    sizes.push(`  ${String(size).padStart(10)}  ${file}`);
  }
  console.log(`sample-data regenerated in ${dir}`);
  console.log(`persons: ${summary.persons}`);
  for (const [name, count] of Object.entries(summary.records)) console.log(`${name}: ${count} records`);
  console.log(`events: ${summary.events}`);
  console.log(sizes.join("\n"));
  console.log(`  ${String(total).padStart(10)}  total bytes`);
}

await main();
