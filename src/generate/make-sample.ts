/**
 * Regenerates the checked-in sample sandbox:
 *
 *     node --import tsx src/generate/make-sample.ts
 *
 * Deletes `sample-data/` (relative to the repository root) and writes it again with name "sample", seed 42,
 * 1,000 persons, 20 events per person on average and referenceTime 2026-11-01T00:00:00Z, then prints the
 * summary and the file sizes.
 */
import { rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSandbox } from "./index.js";
import { SAMPLE_OPTIONS } from "./sample-options.js";

async function main(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const dir = join(root, "sample-data");
  await rm(dir, { recursive: true, force: true });
  const summary = await generateSandbox(dir, SAMPLE_OPTIONS);
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
