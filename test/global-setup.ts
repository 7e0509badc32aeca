/**
 * Builds `dist/` once before the suite, so end-to-end tests run the real `profile-lab` binary exactly as a
 * user would after `npm ci`. Gives the run a temp folder of its own (TMPDIR, which the test files, the CLI
 * processes they start and DuckDB's spills all use), removed when the run ends: the scratch sandboxes tests make
 * are not removed one by one, and runs had left 8,031 folders (29 GB) in /tmp on this machine.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export default function setup(): () => void {
  const repo = resolve(import.meta.dirname, "..");
  execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(repo, "tsconfig.build.json")], { stdio: "inherit" });
  const tmp = mkdtempSync(join(tmpdir(), "profile-lab-vitest-"));
  process.env["TMPDIR"] = tmp;
  return () => rmSync(tmp, { recursive: true, force: true });
}
