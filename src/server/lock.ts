/**
 * One server per sandbox folder: two servers writing the same `.profile-lab/` state would interleave job ids
 * and batches. A server holds `.profile-lab/server.lock` (its process id and address) while it runs; a lock
 * whose process is gone (a server that was killed) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { ProfileLabError } from "../xdm/errors.js";

interface LockOwner {
  readonly pid: number;
  readonly address: string;
}

function holder(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, "utf8")) as LockOwner;
    return typeof owner.pid === "number" && alive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the sandbox folder's server lock for this process; returns its release. */
export function lockSandboxFolder(dir: string, address: string): () => void {
  // The state folder as the engine confines it: a .profile-lab/ linked out of the sandbox is refused (io/sandbox-path.ts).
  const stateDir = new SandboxState(dir).root;
  const file = join(stateDir, "server.lock");
  mkdirSync(stateDir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, address } satisfies LockOwner), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = holder(file);
    if (owner !== undefined || attempt > 0) {
      const by = owner ? `another profile-lab server (process ${owner.pid}, ${owner.address})` : "another profile-lab server";
      throw new ProfileLabError("SRV-002", `sandbox folder ${dir} is already served by ${by}; stop it first or serve another folder`, { file });
    }
    // The process that held it is gone: the lock is stale.
    rmSync(file, { force: true });
  }
}
