/**
 * Which jobs are running, and requests to cancel them, as small files under `.profile-lab/running/`:
 * a job claims `<kind>-<id>.json` with its process id when it starts and removes it when it ends. A claim
 * whose process is gone marks a job that was killed; `<kind>-<id>.cancel` asks a running job to stop.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { checkIdentifier, checkReadable, confined } from "../io/sandbox-path.js";
import { StoreError } from "./store-error.js";

export type JobKind = "segment-jobs" | "export-jobs";

export interface RunningClaim {
  readonly kind: JobKind;
  readonly id: string;
  readonly pid: number;
}

/** Whether the process `pid` exists (a claim or a lock it holds is live). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class JobControl {
  private readonly dir: string;
  private readonly sandboxDir: string;

  /** `stateRoot` is a sandbox's `.profile-lab/`; the claims stay inside that sandbox (io/sandbox-path.ts). */
  constructor(stateRoot: string) {
    this.sandboxDir = dirname(stateRoot);
    this.dir = confined(this.sandboxDir, join(stateRoot, "running"));
  }

  /** The process id a claim file holds; a damaged claim is STO-003 (not quoted: a damaged file may hold anything). */
  private pidIn(file: string): number {
    checkReadable(file, { sandboxDir: this.sandboxDir, maxBytes: 4096, reader: "a job claim" });
    let pid: unknown;
    try {
      pid = (JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid;
    } catch {
      pid = undefined;
    }
    if (typeof pid !== "number" || !Number.isInteger(pid)) throw new StoreError("STO-003", 'corrupt job claim: expected {"pid": <process id>}', { file });
    return pid;
  }

  private path(kind: JobKind, id: string | number, ext: "json" | "cancel"): string {
    return join(this.dir, `${kind}-${checkIdentifier(String(id), "job id")}.${ext}`);
  }

  claim(kind: JobKind, id: string | number): void {
    mkdirSync(this.dir, { recursive: true });
    rmSync(this.path(kind, id, "cancel"), { force: true });
    writeFileSync(this.path(kind, id, "json"), JSON.stringify({ pid: process.pid }));
  }

  release(kind: JobKind, id: string | number): void {
    rmSync(this.path(kind, id, "json"), { force: true });
    rmSync(this.path(kind, id, "cancel"), { force: true });
  }

  isRunning(kind: JobKind, id: string | number): boolean {
    const file = this.path(kind, id, "json");
    if (!existsSync(file)) return false;
    return alive(this.pidIn(file));
  }

  requestCancel(kind: JobKind, id: string | number): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.path(kind, id, "cancel"), "");
  }

  /**
   * Asks a running job to stop, as `DELETE /export/jobs/{id}` and `DELETE /segment/jobs/{id}` do (the CLI's
   * `jobs cancel` and the server); returns the platform's answer, or undefined when the job is not running.
   */
  cancel(kind: JobKind, id: string | number): { status: true; message: string } | undefined {
    if (!this.isRunning(kind, id)) return undefined;
    this.requestCancel(kind, id);
    return { status: true, message: kind === "export-jobs" ? "Export job has been marked for cancelling" : `Segment job with id '${id}' has been marked for cancelling` };
  }

  cancelRequested(kind: JobKind, id: string | number): boolean {
    return existsSync(this.path(kind, id, "cancel"));
  }

  private claims(): RunningClaim[] {
    if (!existsSync(this.dir)) return [];
    const out: RunningClaim[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = /^(segment-jobs|export-jobs)-(.+)\.json$/.exec(name);
      if (m === null) continue;
      out.push({ kind: m[1] as JobKind, id: m[2]!, pid: this.pidIn(join(this.dir, name)) });
    }
    return out;
  }

  /** Claims left by processes that no longer exist: jobs that were killed mid-way. */
  orphans(): RunningClaim[] {
    return this.claims().filter((c) => !alive(c.pid));
  }

  /** Whether a job other than `kind` `id` is running. */
  othersRunning(kind: JobKind, id: string | number): boolean {
    return this.claims().some((c) => !(c.kind === kind && c.id === String(id)) && alive(c.pid));
  }
}
