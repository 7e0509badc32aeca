import { defineConfig } from "vitest/config";

// Under CI the JSON reporter also writes .ci/vitest-results.json, from which .ci/run prints its result line.
const ci = process.env["CI"] === "true";

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Two files at a time even on two cores (vitest's default is cores − 1): the long tests mostly wait on
    // the CLI processes, worker threads and the compiler they start.
    maxWorkers: 2,
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
