import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that run jobs through worker threads, DuckDB or many CLI processes, longest first (as measured in a full
 * run). vitest starts the files its cache of earlier runs says are longest first; a fresh clone has no cache, so
 * without this one of these would start late and the run would end on it alone.
 */
const LONGEST = [
  "test/partition.test.ts",
  "test/validate-sources.test.ts",
  "test/sql/merge-pruned.test.ts",
  "test/sql/segment-job-sql-lifecycle.test.ts",
  "test/sql/segment-job-differential.test.ts",
  "test/sql/segment-job-sql.test.ts",
  "test/sql/export-sql.test.ts",
  "test/sql/kept-links.test.ts",
  "test/data-errors.test.ts",
  "test/sql/export-job-sql.test.ts",
  "test/sql/differential-sql.test.ts",
  "test/generate-from-sandbox.test.ts",
  "test/sql/merge-sql.test.ts",
  "test/e2e-determinism-and-errors.test.ts",
  "test/segment-tests-cli.test.ts",
  "test/cancel-and-progress.test.ts",
  "test/job-lifecycle.test.ts",
  "test/cli-habits.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = LONGEST.findIndex((l) => f.moduleId.endsWith(l));
      return i < 0 ? LONGEST.length : i;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

// Under CI the JSON reporter also writes .ci/vitest-results.json, from which .ci/run prints its result line.
const ci = process.env["CI"] === "true";

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Two files at a time even on two cores (vitest's default is cores − 1): the long tests mostly wait on
    // the CLI processes, worker threads and the compiler they start.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    // Each worker loads the modules once, not once per file: no test file keeps state in a module (each makes
    // its own sandboxes, stores and DuckDB instances). Measured on this machine, otherwise quiet, over the whole
    // suite: 289 s wall, 550 CPU-s isolated → 234 s, 450 CPU-s.
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ci ? ["default", "json"] : ["default"],
    ...(ci ? { outputFile: { json: ".ci/vitest-results.json" } } : {}),
  },
});
