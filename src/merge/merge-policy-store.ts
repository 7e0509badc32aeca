/**
 * The merge-policy endpoints (`/config/mergePolicies`) over a sandbox's `merge-policies/` folder: list, get,
 * create, replace, patch and delete, with the platform's rules — one default per schema (making a policy
 * the default clears the previous one, whose version moves on), versions incremented on every change, and
 * no deleting a policy that is active on edge. Bodies are checked against MERGE_POLICY_REQUEST_SCHEMA and
 * MERGE_POLICY_PATCH_SCHEMA at every level (MergeError MRG-P001 / MRG-P005 with the JSON path).
 */
import { rmSync } from "node:fs";
import { join, relative } from "node:path";
import { readJsonFolder } from "../io/json-folder.js";
import type { SandboxInfo, SandboxManifest } from "../io/sandbox-manifest.js";
import { confined } from "../io/sandbox-path.js";
import { checkRequest } from "../requests/validate.js";
import { writeJsonAtomic } from "../store/atomic-file.js";
import { deterministicUuid } from "../store/ids.js";
import type { MergePolicy } from "../xdm/types.js";
import { MergeError } from "./merge-error.js";
import { parseMergePolicy } from "./merge-policy.js";

export interface MergePolicyPage {
  _page: { totalCount: number; pageSize: number };
  children: MergePolicy[];
  _links: { next: { href: string } };
}

/** A JSON Patch operation as the platform accepts it (`op: "add"`, dotted paths, values as strings). */
export interface MergePolicyPatch {
  op: "add";
  path: string;
  value: string | boolean | number;
}

/** The policy's field a patch path sets (`/idActiveOnEdge` is profile.yaml's spelling of `/isActiveOnEdge`). */
const PATCH_FIELDS: Record<string, readonly string[]> = {
  "/name": ["name"],
  "/identityGraph.type": ["identityGraph", "type"],
  "/attributeMerge.type": ["attributeMerge", "type"],
  "/schema.name": ["schema", "name"],
  "/version": ["version"],
  "/default": ["default"],
  "/isActiveOnEdge": ["isActiveOnEdge"],
  "/idActiveOnEdge": ["isActiveOnEdge"],
};

export class MergePolicyStore {
  private readonly dir: string;

  constructor(
    private readonly sandboxDir: string,
    private readonly datasetIds: ReadonlySet<string>,
    private readonly org: { imsOrgId: string; sandbox: SandboxInfo; name: string },
    /** Wall clock in ms, for updateEpoch. */
    private readonly clock: () => number = Date.now,
    /** Told what a request asked for that was accepted leniently (`field: what happens`). */
    private readonly onWarning: (warning: string) => void = () => {},
  ) {
    this.dir = join(sandboxDir, "merge-policies");
  }

  /** The store of an opened sandbox (the CLI's `merge-policies` and the server's /config/mergePolicies). */
  static of(
    sandbox: { readonly dir: string; readonly manifest: Pick<SandboxManifest, "imsOrgId" | "sandbox" | "name">; readonly datasets: readonly { readonly entry: { readonly id: string } }[] },
    clock: () => number,
    onWarning: (warning: string) => void,
  ): MergePolicyStore {
    const { imsOrgId, sandbox: info, name } = sandbox.manifest;
    return new MergePolicyStore(sandbox.dir, new Set(sandbox.datasets.map((d) => d.entry.id)), { imsOrgId, sandbox: info, name }, clock, onWarning);
  }

  private files(): { file: string; policy: MergePolicy }[] {
    return readJsonFolder(this.sandboxDir, this.dir).map(({ file, value }) => ({ file, policy: parseMergePolicy({ file: relative(process.cwd(), file), value }, this.datasetIds) }));
  }

  private find(id: string): { file: string; policy: MergePolicy } {
    const found = this.files().find((f) => f.policy.id === id);
    if (found === undefined) throw new MergeError("MRG-P404", `merge policy "${id}" not found`, {}, 404);
    return found;
  }

  private write(file: string, policy: MergePolicy): MergePolicy {
    writeJsonAtomic(confined(this.sandboxDir, file), { ...policy, imsOrgId: this.org.imsOrgId, sandbox: this.org.sandbox });
    return this.get(policy.id);
  }

  /** Clears the default flag of every other policy of the schema, moving their versions on. */
  private clearOtherDefaults(keep: MergePolicy): void {
    for (const { file, policy } of this.files()) {
      if (policy.id === keep.id || !policy.default || policy.schema.name !== keep.schema.name) continue;
      this.write(file, { ...policy, default: false, version: policy.version + 1, updateEpoch: Math.floor(this.clock() / 1000) });
    }
  }

  list(query: { limit?: number; start?: number; orderBy?: string; default?: boolean; schemaName?: string } = {}): MergePolicyPage {
    const limit = query.limit ?? 20;
    const start = query.start ?? 0;
    let all = this.files().map((f) => f.policy);
    if (query.default !== undefined) all = all.filter((p) => p.default === query.default);
    if (query.schemaName !== undefined) all = all.filter((p) => p.schema.name === query.schemaName);
    const desc = query.orderBy === "-name";
    all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) * (desc ? -1 : 1));
    const children = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      _page: { totalCount: all.length, pageSize: children.length },
      children,
      _links: { next: { href: more ? `@/mergePolicies?start=${start + limit}&orderBy=${query.orderBy ?? ""}&limit=${limit}` : "" } },
    };
  }

  get(id: string): MergePolicy {
    return this.find(id).policy;
  }

  /** The body of a POST or PUT, checked against MERGE_POLICY_REQUEST_SCHEMA; `file` names it in errors. */
  private requestBody(body: unknown, file: string | undefined): Record<string, unknown> {
    return checkRequest<Record<string, unknown>>("mergePolicy", body, (p, detail) => new MergeError(p.code, p.message, { file, jsonPath: p.jsonPath }, 400, detail));
  }

  /** Parses a policy built from a request, passing on what was read leniently. */
  private parse(value: Record<string, unknown>, file: string | undefined): MergePolicy {
    const warnings: string[] = [];
    const policy = parseMergePolicy({ file: file ?? "request", value }, this.datasetIds, warnings);
    for (const w of warnings) this.onWarning(w);
    return policy;
  }

  /** Creates a policy from a POST body; the response is the full policy with `version: 1`. */
  create(body: unknown, file?: string): MergePolicy {
    const request = this.requestBody(body, file);
    const n = this.files().length + 1;
    const id = deterministicUuid(this.org.name, "merge-policy", n, String(request["name"]));
    const policy = this.parse({ ...request, id, version: 1, updateEpoch: Math.floor(this.clock() / 1000) }, file);
    const created = this.write(join(this.dir, `${id}.json`), policy);
    if (created.default) this.clearOtherDefaults(created);
    return created;
  }

  /** PUT: replaces every field but the id; the version moves on. */
  replace(id: string, body: unknown, file?: string): MergePolicy {
    const { file: stored, policy } = this.find(id);
    const request = this.requestBody(body, file);
    const next = this.parse({ ...request, id, version: policy.version + 1, updateEpoch: Math.floor(this.clock() / 1000) }, file);
    const written = this.write(stored, next);
    if (written.default) this.clearOtherDefaults(written);
    return written;
  }

  /**
   * PATCH with an array of operations (the spec) or one operation object (the docs send that; read with a
   * warning), checked against MERGE_POLICY_PATCH_SCHEMA. Values are strings as the platform takes them; a
   * JSON boolean or number is read like its string, with a warning.
   */
  patch(id: string, ops: unknown, file?: string): MergePolicy {
    const { file: stored, policy } = this.find(id);
    checkRequest("mergePolicyPatch", ops, (p, detail) => new MergeError(p.code, p.message, { file, jsonPath: p.jsonPath }, 400, detail));
    const list = (Array.isArray(ops) ? ops : [ops]) as MergePolicyPatch[];
    if (!Array.isArray(ops)) this.onWarning("the PATCH body is one operation object (as the docs send it); read as an array of one operation, the spec's form");
    const next: Record<string, unknown> = structuredClone(policy) as unknown as Record<string, unknown>;
    list.forEach(({ path, value }, i) => {
      const at = Array.isArray(ops) ? `$[${i}]` : "$";
      if (path === "/idActiveOnEdge") this.onWarning(`${at}.path: "/idActiveOnEdge" (profile.yaml's spelling) is read as "/isActiveOnEdge"`);
      if (typeof value !== "string") this.onWarning(`${at}.value: ${JSON.stringify(value)} is read as the string "${String(value)}" (PATCH values are strings)`);
      if (path === "/version") {
        this.onWarning(`${at}: the version is not set by a patch; it moves on by one with every change (now ${policy.version + 1})`);
        return;
      }
      const text = String(value);
      const keys = PATCH_FIELDS[path]!;
      let target = next;
      for (const k of keys.slice(0, -1)) target = (target[k] ??= {}) as Record<string, unknown>;
      target[keys[keys.length - 1]!] = text === "true" ? true : text === "false" ? false : text;
      // Switching to timestampOrdered leaves the precedence order behind (it applies to dataSetPrecedence only).
      if (path === "/attributeMerge.type" && text === "timestampOrdered") delete (next["attributeMerge"] as Record<string, unknown>)["order"];
    });
    next["version"] = policy.version + 1;
    next["updateEpoch"] = Math.floor(this.clock() / 1000);
    let patched: MergePolicy;
    try {
      patched = this.parse(next, file);
    } catch (e) {
      if (!(e instanceof MergeError)) throw e;
      throw new MergeError(e.code, `the patched policy is invalid at ${e.location.jsonPath ?? "$"}: ${e.message}`, { file, jsonPath: "$" });
    }
    const written = this.write(stored, patched);
    if (written.default) this.clearOtherDefaults(written);
    return written;
  }

  /** DELETE: refused while the policy is active on edge (patch isActiveOnEdge to false first). */
  delete(id: string): void {
    const { file, policy } = this.find(id);
    if (policy.isActiveOnEdge) {
      throw new MergeError("MRG-P006", `merge policy "${id}" is active on edge and cannot be deleted; set isActiveOnEdge to false first`, {}, 400);
    }
    rmSync(file);
  }
}
