/**
 * The merge-policy endpoints (`/config/mergePolicies`) over a sandbox's `merge-policies/` folder: list, get,
 * create, replace, patch and delete, with the platform's rules — one default per schema (making a policy
 * the default clears the previous one, whose version moves on), versions incremented on every change, and
 * no deleting a policy that is active on edge.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { readJsonFile } from "../io/json-file.js";
import type { SandboxInfo } from "../io/sandbox-manifest.js";
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
  op: string;
  path: string;
  value: unknown;
}

const PATCHABLE = ["/name", "/identityGraph.type", "/attributeMerge.type", "/schema.name", "/version", "/default", "/isActiveOnEdge"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export class MergePolicyStore {
  private readonly dir: string;

  constructor(
    sandboxDir: string,
    private readonly datasetIds: ReadonlySet<string>,
    private readonly org: { imsOrgId: string; sandbox: SandboxInfo; name: string },
    /** Wall clock in ms, for updateEpoch. */
    private readonly clock: () => number = Date.now,
  ) {
    this.dir = join(sandboxDir, "merge-policies");
  }

  private files(): { file: string; policy: MergePolicy }[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .sort()
      .map((n) => {
        const file = join(this.dir, n);
        return { file, policy: parseMergePolicy({ file: relative(process.cwd(), file), value: readJsonFile(file) }, this.datasetIds) };
      });
  }

  private find(id: string): { file: string; policy: MergePolicy } {
    const found = this.files().find((f) => f.policy.id === id);
    if (found === undefined) throw new MergeError("MRG-P404", `merge policy "${id}" not found`, {}, 404);
    return found;
  }

  private write(file: string, policy: MergePolicy): MergePolicy {
    writeJsonAtomic(file, { ...policy, imsOrgId: this.org.imsOrgId, sandbox: this.org.sandbox });
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

  /** Creates a policy from a POST body; the response is the full policy with `version: 1`. */
  create(body: unknown): MergePolicy {
    if (!isObject(body)) throw new MergeError("MRG-P001", "a merge policy must be a JSON object", { jsonPath: "$" });
    for (const required of ["name", "identityGraph", "attributeMerge", "schema"]) {
      if (body[required] === undefined) throw new MergeError("MRG-P001", `"${required}" is required`, { jsonPath: `$.${required}` });
    }
    const n = this.files().length + 1;
    const id = deterministicUuid(this.org.name, "merge-policy", n, String(body["name"]));
    const policy = parseMergePolicy({ file: "request", value: { ...body, id, version: 1, updateEpoch: Math.floor(this.clock() / 1000) } }, this.datasetIds);
    const created = this.write(join(this.dir, `${id}.json`), policy);
    if (created.default) this.clearOtherDefaults(created);
    return created;
  }

  /** PUT: replaces every field but the id; the version moves on. */
  replace(id: string, body: unknown): MergePolicy {
    const { file, policy } = this.find(id);
    if (!isObject(body)) throw new MergeError("MRG-P001", "a merge policy must be a JSON object", { jsonPath: "$" });
    const next = parseMergePolicy({ file: "request", value: { ...body, id, version: policy.version + 1, updateEpoch: Math.floor(this.clock() / 1000) } }, this.datasetIds);
    const written = this.write(file, next);
    if (written.default) this.clearOtherDefaults(written);
    return written;
  }

  /** PATCH with one operation object or an array of them (the docs show both). */
  patch(id: string, ops: unknown): MergePolicy {
    const { file, policy } = this.find(id);
    const list = Array.isArray(ops) ? ops : [ops];
    const next: Record<string, unknown> = structuredClone(policy) as unknown as Record<string, unknown>;
    list.forEach((op: unknown, i: number) => {
      const at = Array.isArray(ops) ? `$[${i}]` : "$";
      if (!isObject(op) || op["op"] !== "add") throw new MergeError("MRG-P005", "only {\"op\": \"add\", \"path\", \"value\"} operations are supported", { jsonPath: `${at}.op` });
      const path = op["path"];
      if (typeof path !== "string" || !PATCHABLE.includes(path)) throw new MergeError("MRG-P005", `path must be one of ${PATCHABLE.join(", ")}`, { jsonPath: `${at}.path` });
      const raw = op["value"];
      const value = raw === "true" ? true : raw === "false" ? false : path === "/version" && typeof raw === "string" ? Number(raw) : raw;
      const keys = path.slice(1).split(".");
      let target = next;
      for (const k of keys.slice(0, -1)) target = (target[k] ??= {}) as Record<string, unknown>;
      target[keys[keys.length - 1]!] = value;
    });
    next["version"] = policy.version + 1;
    next["updateEpoch"] = Math.floor(this.clock() / 1000);
    const written = this.write(file, parseMergePolicy({ file: "request", value: next }, this.datasetIds));
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
