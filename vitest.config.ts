import { defineConfig } from "vitest/config";

// Under CI the JSON reporter also writes .ci/vitest-results.json, from which .ci/run prints its result line.
const ci = process.env["CI"] === "true";

const timeouts = { testTimeout: 120_000, hookTimeout: 300_000 };

export default defineConfig({
  test: {
    // Once for the run (the projects do not extend this config, which would run it once per project).
    globalSetup: ["test/global-setup.ts"],
    // Two files at a time even on two cores (vitest's default is cores − 1): the long tests mostly wait on
    // the CLI processes, worker threads and the compiler they start.
    maxWorkers: 2,
    reporters: ci ? ["default", "json"] : ["default"],
    ...(ci ? { outputFile: { json: ".ci/vitest-results.json" } } : {}),
    projects: [
      // The modules' own tests keep no state between files: each worker loads the modules once, not once per
      // file (on this machine, otherwise quiet: 70 → 64 s, 90 → 74 CPU-s for them).
      { test: { ...timeouts, name: "unit", include: ["src/**/*.test.ts"], isolate: false } },
      { test: { ...timeouts, name: "e2e", include: ["test/**/*.test.ts"] } },
    ],
  },
});
