/**
 * Merge policies: validation of the platform's JSON (MERGE_POLICY_DOCUMENT_SCHEMA), the default policy and
 * the `timestampOrdered-none-mp` alias, and lookup by id.
 */
import type { JsonDocument } from "../io/sandbox-files.js";
import { checkRequest } from "../requests/validate.js";
import { PROFILE_SCHEMA_NAME, type MergePolicy } from "../xdm/types.js";
import { MergeError } from "./merge-error.js";

/** The id used all over the platform's examples for the system default policy. */
export const DEFAULT_POLICY_ALIAS = "timestampOrdered-none-mp";

/** The policy used when a sandbox defines none: no stitching, most recent ingestion wins. */
export const SYSTEM_DEFAULT_POLICY: MergePolicy = {
  id: DEFAULT_POLICY_ALIAS,
  name: "System default (time-based, no stitching)",
  schema: { name: PROFILE_SCHEMA_NAME },
  version: 1,
  identityGraph: { type: "none" },
  attributeMerge: { type: "timestampOrdered" },
  isActiveOnEdge: false,
  default: true,
};

/** A merge-policy document as MERGE_POLICY_DOCUMENT_SCHEMA admits it. */
interface MergePolicyDocument {
  id: string;
  name?: string;
  imsOrgId?: string;
  sandbox?: NonNullable<MergePolicy["sandbox"]>;
  schema?: { name: string };
  version?: number;
  identityGraph: MergePolicy["identityGraph"];
  attributeMerge: MergePolicy["attributeMerge"];
  isActiveOnEdge?: boolean | "true" | "false";
  default?: boolean | "true" | "false";
  updateEpoch?: number;
}

/** A flag as a boolean; the docs' GET sample shows `isActiveOnEdge` once as the string "false" (read, with a warning). */
function flag(value: boolean | "true" | "false" | undefined, field: string, warn: (w: string) => void): boolean {
  if (typeof value === "string") warn(`${field}: the string "${value}" is read as ${value} (a boolean is expected)`);
  return value === true || value === "true";
}

/**
 * Validates one merge-policy document (a sandbox's `merge-policies/*.json`, or a policy a request built)
 * against MERGE_POLICY_DOCUMENT_SCHEMA at every level and the sandbox's datasets. What is read leniently is
 * added to `warnings` as `file: field: what happens`.
 */
export function parseMergePolicy(doc: JsonDocument, datasetIds: ReadonlySet<string>, warnings?: string[]): MergePolicy {
  const v = checkRequest<MergePolicyDocument>("mergePolicyDocument", doc.value, (p, detail) => new MergeError(p.code, p.message, { file: doc.file, jsonPath: p.jsonPath }, 400, detail));
  const warn = (w: string): void => void warnings?.push(`${doc.file}: ${w}`);
  const { type, order } = v.attributeMerge;
  if (type === "dataSetPrecedence") {
    order!.forEach((id, i) => {
      if (!datasetIds.has(id)) throw new MergeError("MRG-P001", `unknown dataset id "${id}" (not in sandbox.json)`, { file: doc.file, jsonPath: `$.attributeMerge.order[${i}]` });
    });
  } else if (order !== undefined) warn("attributeMerge.order is ignored: it applies to dataSetPrecedence only");
  return {
    id: v.id,
    name: v.name ?? v.id,
    ...(v.imsOrgId !== undefined ? { imsOrgId: v.imsOrgId } : {}),
    ...(v.sandbox !== undefined ? { sandbox: v.sandbox } : {}),
    schema: { name: v.schema?.name ?? PROFILE_SCHEMA_NAME },
    version: v.version ?? 1,
    identityGraph: { type: v.identityGraph.type },
    attributeMerge: type === "dataSetPrecedence" ? { type, order: [...order!] } : { type },
    isActiveOnEdge: flag(v.isActiveOnEdge, "isActiveOnEdge", warn),
    default: flag(v.default, "default", warn),
    ...(v.updateEpoch !== undefined ? { updateEpoch: v.updateEpoch } : {}),
  };
}

/** The sandbox's merge policies, with one default per schema class and ids unique. */
export class MergePolicies {
  private readonly byId = new Map<string, MergePolicy>();
  readonly default: MergePolicy;
  /** What the documents said that was read leniently (`file: field: what happens`). */
  readonly warnings: string[] = [];

  constructor(docs: readonly JsonDocument[], datasetIds: ReadonlySet<string>) {
    let defaultPolicy: MergePolicy | undefined;
    for (const doc of docs) {
      const policy = parseMergePolicy(doc, datasetIds, this.warnings);
      if (this.byId.has(policy.id)) throw new MergeError("MRG-P002", `duplicate merge policy id "${policy.id}"`, { file: doc.file, jsonPath: "$.id" });
      if (policy.default) {
        if (defaultPolicy) throw new MergeError("MRG-P003", `two default merge policies: "${defaultPolicy.id}" and "${policy.id}" (only one default per schema)`, { file: doc.file, jsonPath: "$.default" });
        defaultPolicy = policy;
      }
      this.byId.set(policy.id, policy);
    }
    this.default = defaultPolicy ?? SYSTEM_DEFAULT_POLICY;
  }

  all(): MergePolicy[] {
    return [...this.byId.values()];
  }

  /** Whether the sandbox defines a default policy (otherwise `default` is the system's fallback). */
  get hasDefault(): boolean {
    return this.default !== SYSTEM_DEFAULT_POLICY;
  }

  /** The policy with this id (the alias `timestampOrdered-none-mp` means the default), or undefined. */
  find(id: string): MergePolicy | undefined {
    return this.byId.get(id) ?? (id === DEFAULT_POLICY_ALIAS ? this.default : undefined);
  }

  /** Like find, but an unknown id is a MergeError that lists the known ones. */
  get(id: string, where: { file?: string; jsonPath?: string } = {}): MergePolicy {
    const policy = this.find(id);
    if (policy) return policy;
    const known = [...this.byId.keys(), DEFAULT_POLICY_ALIAS].map((k) => `"${k}"`).join(", ");
    throw new MergeError("MRG-P004", `unknown merge policy "${id}" (known: ${known})`, where);
  }
}
