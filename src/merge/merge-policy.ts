/**
 * Merge policies: validation of the platform's JSON, the default policy and the `timestampOrdered-none-mp`
 * alias, and lookup by id.
 */
import type { JsonDocument } from "../io/sandbox-files.js";
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates one merge-policy document against the platform's shape and the sandbox's datasets. */
export function parseMergePolicy(doc: JsonDocument, datasetIds: ReadonlySet<string>): MergePolicy {
  const v = doc.value;
  const fail = (jsonPath: string, message: string): never => {
    throw new MergeError("MRG-P001", message, { file: doc.file, jsonPath });
  };
  if (!isObject(v)) return fail("$", "a merge policy must be a JSON object");
  if (typeof v["id"] !== "string" || v["id"] === "") fail("$.id", "a merge policy needs an \"id\"");
  const graph = isObject(v["identityGraph"]) ? v["identityGraph"]["type"] : undefined;
  if (graph !== "none" && graph !== "pdg") fail("$.identityGraph.type", `identityGraph.type must be "none" or "pdg", not ${JSON.stringify(graph)}`);
  const am = v["attributeMerge"];
  const amType = isObject(am) ? am["type"] : undefined;
  if (amType !== "timestampOrdered" && amType !== "dataSetPrecedence")
    fail("$.attributeMerge.type", `attributeMerge.type must be "timestampOrdered" or "dataSetPrecedence", not ${JSON.stringify(amType)}`);
  let order: string[] | undefined;
  if (amType === "dataSetPrecedence") {
    const o = isObject(am) ? am["order"] : undefined;
    if (!Array.isArray(o) || o.length === 0 || !o.every((x) => typeof x === "string"))
      return fail("$.attributeMerge.order", "dataSetPrecedence needs \"order\": a non-empty array of dataset ids, highest priority first");
    o.forEach((id: string, i: number) => {
      if (!datasetIds.has(id)) fail(`$.attributeMerge.order[${i}]`, `unknown dataset id "${id}" (not in sandbox.json)`);
    });
    order = o as string[];
  }
  const schemaName = isObject(v["schema"]) ? v["schema"]["name"] : PROFILE_SCHEMA_NAME;
  return {
    id: v["id"] as string,
    name: typeof v["name"] === "string" ? v["name"] : (v["id"] as string),
    ...(typeof v["imsOrgId"] === "string" ? { imsOrgId: v["imsOrgId"] } : {}),
    ...(isObject(v["sandbox"]) ? { sandbox: v["sandbox"] as NonNullable<MergePolicy["sandbox"]> } : {}),
    schema: { name: typeof schemaName === "string" ? schemaName : PROFILE_SCHEMA_NAME },
    version: typeof v["version"] === "number" ? v["version"] : 1,
    identityGraph: { type: graph as "none" | "pdg" },
    attributeMerge: order ? { type: "dataSetPrecedence", order } : { type: "timestampOrdered" },
    isActiveOnEdge: v["isActiveOnEdge"] === true || v["isActiveOnEdge"] === "true",
    default: v["default"] === true || v["default"] === "true",
    ...(typeof v["updateEpoch"] === "number" ? { updateEpoch: v["updateEpoch"] } : {}),
  };
}

/** The sandbox's merge policies, with one default per schema class and ids unique. */
export class MergePolicies {
  private readonly byId = new Map<string, MergePolicy>();
  readonly default: MergePolicy;

  constructor(docs: readonly JsonDocument[], datasetIds: ReadonlySet<string>) {
    let defaultPolicy: MergePolicy | undefined;
    for (const doc of docs) {
      const policy = parseMergePolicy(doc, datasetIds);
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
