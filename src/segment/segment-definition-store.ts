/**
 * The segment-definition endpoints (`/segment/definitions`) over a sandbox's `segments/` folder: list, get,
 * bulk-get, create, patch (the platform's "overwrite": the given fields replace the stored ones) and delete.
 * A definition is created or changed only if its PQL parses and type-checks against the sandbox's union
 * schemas, and its merge policy exists: every PQL problem is reported at once, each with its line and column
 * in `$.expression.value`, as `profile-lab check` reports them.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile } from "../io/json-file.js";
import type { SandboxInfo, SandboxManifest } from "../io/sandbox-manifest.js";
import { confined } from "../io/sandbox-path.js";
import type { MergePolicies } from "../merge/merge-policy.js";
import type { PqlSchema } from "../pql/index.js";
import { writeJsonAtomic } from "../store/atomic-file.js";
import { deterministicUuid } from "../store/ids.js";
import { ProfileLabError, StatusError } from "../xdm/errors.js";
import type { SegmentDefinition } from "../xdm/types.js";
import { checkSegmentDefinition, parseSegmentDefinition } from "./segment-definition.js";

/** A definition as `GET /segment/definitions/{id}` answers: the stored JSON with the platform's record fields. */
export type SegmentDefinitionRecord = SegmentDefinition & {
  imsOrgId: string;
  sandbox: SandboxInfo;
  profileInstanceId: "ups";
  creationTime?: number;
  updateTime?: number;
  updateEpoch?: number;
  [field: string]: unknown;
};

export interface SegmentDefinitionPage {
  segments: SegmentDefinitionRecord[];
  page: { totalCount: number; totalPages: number; sortField: "name"; sort: "asc"; pageSize: number; limit: number };
  link: { next?: string };
}

/** A request's definition that does not check: the first problem, and all of them in `errors`. */
export class SegmentDefinitionError extends StatusError {
  override readonly name = "SegmentDefinitionError";
  constructor(readonly errors: readonly ProfileLabError[]) {
    const first = errors[0]!;
    super(first.code, first.message, 400, first.location, first.detail);
  }
}

/** Fields a request may set; the rest (id, version, times, org) are the store's. */
const REQUEST_FIELDS = ["name", "description", "schema", "expression", "mergePolicyId", "evaluationInfo", "payloadSchema", "dataGovernancePolicy", "ttlInDays"] as const;

function requestFields(body: unknown, file: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SegmentDefinitionError([new ProfileLabError("SEG-D001", "the body must be a segment definition object", { file, jsonPath: "$" })]);
  }
  const b = body as Record<string, unknown>;
  return Object.fromEntries(REQUEST_FIELDS.filter((k) => b[k] !== undefined).map((k) => [k, b[k]]));
}

export class SegmentDefinitionStore {
  private readonly dir: string;

  constructor(
    private readonly sandboxDir: string,
    private readonly schema: PqlSchema,
    private readonly policies: MergePolicies,
    private readonly org: { imsOrgId: string; sandbox: SandboxInfo; name: string },
    private readonly clock: () => number = Date.now,
  ) {
    this.dir = join(sandboxDir, "segments");
  }

  /** The store of an opened sandbox. */
  static of(
    sandbox: { readonly dir: string; readonly manifest: Pick<SandboxManifest, "imsOrgId" | "sandbox" | "name">; readonly profileType: PqlSchema["profile"]; readonly eventType: PqlSchema["event"]; readonly policies: MergePolicies },
    clock: () => number,
  ): SegmentDefinitionStore {
    const { imsOrgId, sandbox: info, name } = sandbox.manifest;
    return new SegmentDefinitionStore(sandbox.dir, { profile: sandbox.profileType, event: sandbox.eventType }, sandbox.policies, { imsOrgId, sandbox: info, name }, clock);
  }

  private files(): { file: string; value: Record<string, unknown>; definition: SegmentDefinition }[] {
    if (!existsSync(confined(this.sandboxDir, this.dir))) return [];
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .sort()
      .map((n) => {
        const file = join(this.dir, n);
        const value = readJsonFile(file, this.sandboxDir) as Record<string, unknown>;
        return { file, value, definition: parseSegmentDefinition({ file, value }) };
      });
  }

  private find(id: string): { file: string; value: Record<string, unknown>; definition: SegmentDefinition } {
    const found = this.files().find((f) => f.definition.id === id);
    if (found === undefined) throw new StatusError("SEG-D404", `segment definition "${id}" not found`, 404);
    return found;
  }

  private record(value: Record<string, unknown>, definition: SegmentDefinition): SegmentDefinitionRecord {
    return { ...value, ...definition, imsOrgId: this.org.imsOrgId, sandbox: this.org.sandbox, profileInstanceId: "ups" };
  }

  /** Checks a definition (PQL against the union schemas, its merge policy, a unique name) and writes it. */
  private write(file: string, value: Record<string, unknown>, requestFile: string): SegmentDefinitionRecord {
    const { definition, check } = checkSegmentDefinition({ file: requestFile, value }, this.schema);
    if (check.errors.length > 0) throw new SegmentDefinitionError(check.errors);
    if (definition.mergePolicyId !== undefined) {
      try {
        this.policies.get(definition.mergePolicyId, { file: requestFile, jsonPath: "$.mergePolicyId" });
      } catch (e) {
        throw new SegmentDefinitionError([e as ProfileLabError]);
      }
    }
    const clash = this.files().find((f) => f.definition.name === definition.name && f.definition.id !== definition.id);
    if (clash !== undefined) {
      throw new SegmentDefinitionError([new ProfileLabError("SEG-D005", `a segment definition named "${definition.name}" already exists (${clash.definition.id})`, { file: requestFile, jsonPath: "$.name" })]);
    }
    const target = confined(this.sandboxDir, file);
    mkdirSync(this.dir, { recursive: true });
    writeJsonAtomic(target, value);
    return this.record(value, definition);
  }

  /** Sorted by name, paged by `start` (offset) and `limit` (default 100). */
  list(query: { start?: number; limit?: number } = {}): SegmentDefinitionPage {
    const start = query.start ?? 0;
    const limit = query.limit ?? 100;
    if (limit < 1) throw new StatusError("SEG-L001", `limit must be a positive whole number, not ${limit}`, 400, { jsonPath: "query.limit" });
    const all = this.files()
      .map((f) => this.record(f.value, f.definition))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    const segments = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      segments,
      page: { totalCount: all.length, totalPages: Math.ceil(all.length / limit), sortField: "name", sort: "asc", pageSize: segments.length, limit },
      link: more ? { next: `/segment/definitions?start=${start + limit}&limit=${limit}` } : {},
    };
  }

  get(id: string): SegmentDefinitionRecord {
    const { value, definition } = this.find(id);
    return this.record(value, definition);
  }

  /** `POST /segment/definitions/bulk-get`: the known ones among `ids`. */
  bulkGet(ids: readonly string[]): { results: Record<string, SegmentDefinitionRecord> } {
    const byId = new Map(this.files().map((f) => [f.definition.id, f]));
    const results: Record<string, SegmentDefinitionRecord> = {};
    for (const id of ids) {
      const f = byId.get(id);
      if (f !== undefined) results[id] = this.record(f.value, f.definition);
    }
    return { results };
  }

  /** Creates a definition from a POST body; its id is derived from the sandbox, a counter and the name. */
  create(body: unknown, requestFile = "request body"): SegmentDefinitionRecord {
    const fields = requestFields(body, requestFile);
    const taken = new Set(this.files().map((f) => f.definition.id));
    let n = taken.size + 1;
    let id = deterministicUuid(this.org.name, "segment-definition", n, String(fields["name"]));
    while (taken.has(id)) id = deterministicUuid(this.org.name, "segment-definition", ++n, String(fields["name"]));
    const now = this.clock();
    return this.write(join(this.dir, `${id}.json`), { id, ...fields, version: 1, creationTime: now, updateTime: now, updateEpoch: Math.floor(now / 1000) }, requestFile);
  }

  /** PATCH: the fields given replace the stored ones; the version moves on. */
  patch(id: string, body: unknown, requestFile = "request body"): SegmentDefinitionRecord {
    const { file, value, definition } = this.find(id);
    const now = this.clock();
    return this.write(file, { ...value, ...requestFields(body, requestFile), id, version: (definition.version ?? 1) + 1, updateTime: now, updateEpoch: Math.floor(now / 1000) }, requestFile);
  }

  delete(id: string): void {
    rmSync(confined(this.sandboxDir, this.find(id).file));
  }
}
