/**
 * Builds `dist/` once before the suite, so end-to-end tests run the real `profile-lab` binary exactly as a
 * user would after `npm ci`.
 */
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";

export default function setup(): void {
  const repo = resolve(import.meta.dirname, "..");
  execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(repo, "tsconfig.build.json")], { stdio: "inherit" });
}
