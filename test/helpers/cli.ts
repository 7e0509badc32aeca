/** Runs the built `profile-lab` binary as a user would, and copies sandboxes to scratch folders. */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
export const SAMPLE = join(REPO, "sample-data");
export const SAMPLE_AS_OF = "2026-11-01T00:00:00Z";

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, "bin/profile-lab.js"), ...args], { encoding: "utf8", cwd: REPO });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and parses its `--json` output; fails with the CLI's stderr when it exits non-zero. */
export function cliJson<T>(...args: string[]): T {
  const r = cli(...args, "--json");
  if (r.status !== 0) throw new Error(`profile-lab ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A fresh copy of the sample sandbox (without engine state) in a scratch folder. */
export function copySample(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-")), "sandbox");
  cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !src.includes(".profile-lab") });
  return dir;
}
