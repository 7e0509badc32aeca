/**
 * Runs only the PQL tests without the project's global setup (which builds dist/), for quick local runs:
 * `npx vitest run --config test/pql/vitest.config.ts`.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["src/pql/**/*.test.ts", "test/pql/**/*.test.ts"],
    testTimeout: 120_000,
  },
});
