/**
 * Builds `dist/` once before the suite, so end-to-end tests run the real `profile-lab` binary exactly as a
 * user would after `npm ci`.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
