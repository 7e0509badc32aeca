import { defineConfig } from "vitest/config";

// Under CI the JSON reporter also writes .ci/vitest-results.json, from which .ci/run prints its result line.
const ci = process.env["CI"] === "true";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Two files at a time even on two cores (vitest's default is cores − 1): the long tests mostly wait on
    // the CLI processes, worker threads and the compiler they start.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ci ? ["default", "json"] : ["default"],
    ...(ci ? { outputFile: { json: ".ci/vitest-results.json" } } : {}),
  },
});
