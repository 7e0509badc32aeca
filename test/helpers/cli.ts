/**
 * Runs the built `profile-lab` binary as a user would, or its main function in this process, and copies
 * sandboxes to scratch folders.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";

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
  return jsonOutput<T>(args, cli(...args, "--json"));
}

function jsonOutput<T>(args: readonly string[], r: CliResult): T {
  if (r.status !== 0) throw new Error(`profile-lab ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Runs the CLI's main function in this process, its output captured: the same parsing, commands, messages and
 * exit codes as the binary, without starting a process that loads the engine (about a CPU-second each). For
 * tests of what a command does; what only a process shows (signals, the binary's start-up and its own
 * stdout) is tested through cli(). Progress lines, which go to the process's stderr, are not captured.
 */
export async function cliInProcess(...args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const status = await main(args, { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) });
  return { status, stdout, stderr };
}

/** cliJson through cliInProcess. */
export async function cliJsonInProcess<T>(...args: string[]): Promise<T> {
  return jsonOutput<T>(args, await cliInProcess(...args, "--json"));
}

/** A fresh copy of the sample sandbox (without engine state) in a scratch folder. */
export function copySample(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-")), "sandbox");
  cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !src.includes(".profile-lab") });
  return dir;
}
