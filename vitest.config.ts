import { defineConfig } from "vitest/config";

// Under CI the JSON reporter also writes .ci/vitest-results.json, from which .ci/run prints its result line.
const ci = process.env["CI"] === "true";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ci ? ["default", "json"] : ["default"],
    ...(ci ? { outputFile: { json: ".ci/vitest-results.json" } } : {}),
  },
});
