/**
 * The sandboxes a server serves: the folder given with `--sandboxes` when it is a sandbox itself (named by its
 * manifest's `sandbox.sandboxName`), and each sub-folder holding a `sandbox.json` (named by the folder). The
 * `x-sandbox-name` header picks one by that name, which must be an identifier: it is looked up among the
 * names found, never joined onto a path. Symbolic links among the sub-folders are not followed.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { openSandbox, type Sandbox } from "../engine/sandbox.js";
import { ProfileLabError } from "../xdm/errors.js";
import { HttpError } from "./errors.js";

/** A sandbox name as the platform spells them (`prod`, `dev-2`): letters, digits, `-` and `_`. */
export const SANDBOX_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface SandboxEntry {
  readonly name: string;
  readonly dir: string;
  /** The opened sandbox, or why it could not be opened (its requests answer 503). */
  readonly sandbox?: Sandbox;
  readonly error?: string;
}

function load(name: string, dir: string): SandboxEntry {
  try {
    return { name, dir, sandbox: openSandbox(dir) };
  } catch (e) {
    if (e instanceof ProfileLabError) return { name, dir, error: e.format() };
    throw e;
  }
}

export class SandboxRegistry {
  private readonly entries = new Map<string, SandboxEntry>();

  /** Finds and opens the sandboxes under `root`. */
  constructor(root: string) {
    const dir = resolve(root);
    if (!existsSync(dir)) throw new ProfileLabError("SRV-001", `no sandboxes folder "${root}"`, { file: root });
    if (existsSync(join(dir, "sandbox.json"))) {
      const own = load(basename(dir), dir);
      const declared = own.sandbox?.manifest.sandbox.sandboxName;
      const name = declared !== undefined && SANDBOX_NAME.test(declared) ? declared : "prod";
      this.entries.set(name, { ...own, name });
    }
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (!d.isDirectory() || !SANDBOX_NAME.test(d.name) || this.entries.has(d.name) || !existsSync(join(dir, d.name, "sandbox.json"))) continue;
      this.entries.set(d.name, load(d.name, join(dir, d.name)));
    }
  }

  list(): SandboxEntry[] {
    return [...this.entries.values()];
  }

  /**
   * The sandbox a request names (`x-sandbox-name`); without the header, the only one served. A name that is
   * not an identifier is refused before any lookup.
   */
  get(name: string | undefined): Sandbox {
    const names = [...this.entries.keys()];
    if (name === undefined) {
      if (this.entries.size === 1) return this.ready(this.entries.values().next().value!);
      throw new HttpError(400, "PLAB-S002", `the x-sandbox-name header is required: this server has the sandboxes ${names.join(", ") || "(none)"}`);
    }
    if (!SANDBOX_NAME.test(name)) throw new HttpError(400, "PLAB-S003", `x-sandbox-name "${name.slice(0, 64)}" is not a sandbox name (letters, digits, "-" and "_")`);
    const entry = this.entries.get(name);
    if (entry === undefined) throw new HttpError(404, "PLAB-S404", `sandbox "${name}" not found; this server has ${names.join(", ") || "no sandboxes"}`);
    return this.ready(entry);
  }

  private ready(entry: SandboxEntry): Sandbox {
    if (entry.sandbox === undefined) throw new HttpError(503, "PLAB-S503", `sandbox "${entry.name}" could not be opened: ${entry.error ?? "unknown error"}`);
    return entry.sandbox;
  }

  /** Opens a sandbox again after its definitions changed (merge policies, segment definitions). */
  reload(sandbox: Sandbox): void {
    for (const [name, entry] of this.entries) if (entry.dir === sandbox.dir) this.entries.set(name, load(name, entry.dir));
  }
}
