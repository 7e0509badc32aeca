/**
 * Merges one profile's fragments into one entity under a merge policy (profile-semantics.md §1.5–§1.7).
 *
 * Two stages keep the ordering transitive:
 *  1. within a dataset, the records of one primary identity combine in ingestion order (later replaces
 *     earlier field by field; a custom timestamp does not reorder them — M5);
 *  2. across datasets, the dataset fragments are ranked — by effective time (`extSourceSystemAudit.
 *     lastUpdatedDate` when present, else ingestion time) or by the policy's dataset order — and combined
 *     lowest rank first, so each leaf ends with the value of the highest-ranked fragment that has it.
 * Objects (and maps) recurse, arrays and scalars are taken whole, identityMap is a union with one primary,
 * segmentMembership never comes from fragments (the store owns it).
 */
import { identityKey } from "../identity/identity-key.js";
import { parseDateTime } from "../xdm/time.js";
import type { IdentityItem, IdentityMap, JsonObject, MergePolicy } from "../xdm/types.js";
import type { RecordFragment } from "./fragment.js";

export interface MergedProfile {
  /** The merged entity: attributes plus the union identityMap (no segmentMembership). */
  readonly entity: JsonObject;
  /** Latest ingestion time of the fragments that were merged (the profile's "last update"). */
  readonly lastIngestTime: number;
  /** Number of record fragments that took part (0 for an event-only profile). */
  readonly fragmentCount: number;
}

interface DatasetFragment {
  readonly datasetId: string;
  readonly primary: string;
  readonly data: JsonObject;
  readonly ingestTime: number;
  readonly effectiveTime: number;
  readonly identityMaps: IdentityMap[];
}

const SYSTEM_MANAGED = new Set(["identityMap", "segmentMembership"]);

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Copies `source` into `target`: objects recurse (copied, never shared), arrays and scalars replace. */
function assignDeep(target: JsonObject, source: JsonObject, skip?: ReadonlySet<string>): void {
  for (const key in source) {
    if (skip?.has(key)) continue;
    const value = source[key]!;
    if (isPlainObject(value)) {
      const current = target[key];
      const into: JsonObject = isPlainObject(current) ? current : {};
      assignDeep(into, value);
      target[key] = into;
    } else {
      target[key] = value;
    }
  }
}

function customTimestamp(data: JsonObject): number | undefined {
  const audit = data["extSourceSystemAudit"];
  if (!isPlainObject(audit)) return undefined;
  const t = audit["lastUpdatedDate"];
  return typeof t === "string" ? parseDateTime(t) : typeof t === "number" ? t : undefined;
}

/** Stage 1: one fragment per (dataset, primary identity), its records combined in ingestion order. */
function datasetFragments(records: readonly RecordFragment[]): DatasetFragment[] {
  const groups = new Map<string, RecordFragment[]>();
  for (const r of records) {
    const k = `${r.datasetId}\u0000${r.primary}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: DatasetFragment[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.ingestTime - b.ingestTime || a.seq - b.seq);
    const data: JsonObject = {};
    const identityMaps: IdentityMap[] = [];
    for (const r of group) {
      assignDeep(data, r.data, SYSTEM_MANAGED);
      const idm = r.data["identityMap"];
      if (isPlainObject(idm)) identityMaps.push(idm as unknown as IdentityMap);
    }
    const last = group[group.length - 1]!;
    out.push({
      datasetId: last.datasetId,
      primary: last.primary,
      data,
      ingestTime: last.ingestTime,
      effectiveTime: customTimestamp(data) ?? last.ingestTime,
      identityMaps: identityMaps.reverse(),
    });
  }
  return out;
}

/** Stage 2 ordering, lowest priority first. Ties end on dataset id and identity so the result is stable. */
function rankFragments(fragments: DatasetFragment[], policy: MergePolicy): DatasetFragment[] {
  const tie = (a: DatasetFragment, b: DatasetFragment): number =>
    a.ingestTime - b.ingestTime || (a.datasetId < b.datasetId ? -1 : a.datasetId > b.datasetId ? 1 : 0) || (a.primary < b.primary ? -1 : a.primary > b.primary ? 1 : 0);
  if (policy.attributeMerge.type === "dataSetPrecedence") {
    const order = policy.attributeMerge.order ?? [];
    const rank = (id: string): number => order.length - order.indexOf(id);
    return fragments.sort((a, b) => rank(a.datasetId) - rank(b.datasetId) || tie(a, b));
  }
  return fragments.sort((a, b) => a.effectiveTime - b.effectiveTime || tie(a, b));
}

/** Union of identityMaps, highest priority first; only the first primary flag seen survives. */
function unionIdentityMaps(mapsHighestFirst: readonly IdentityMap[]): IdentityMap {
  const out: IdentityMap = {};
  const nsSpelling = new Map<string, string>();
  const seen = new Set<string>();
  let primaryTaken = false;
  for (const idm of mapsHighestFirst) {
    for (const ns in idm) {
      const items = idm[ns];
      if (!Array.isArray(items)) continue;
      const lower = ns.toLowerCase();
      let name = nsSpelling.get(lower);
      if (name === undefined) {
        name = ns;
        nsSpelling.set(lower, ns);
        out[name] = [];
      }
      for (const item of items) {
        const key = identityKey(ns, item.id);
        if (seen.has(key)) continue;
        seen.add(key);
        const copy: IdentityItem = { ...item };
        if (copy.primary === true) {
          if (primaryTaken) copy.primary = false;
          primaryTaken = true;
        }
        out[name]!.push(copy);
      }
    }
  }
  return out;
}

/** Whether the policy merges records of this dataset (dataset precedence drops unlisted datasets). */
export function policyIncludesDataset(policy: MergePolicy, datasetId: string): boolean {
  return policy.attributeMerge.type !== "dataSetPrecedence" || (policy.attributeMerge.order ?? []).includes(datasetId);
}

/**
 * Merges the record fragments of one profile; records of datasets the policy excludes are ignored. The
 * identities of the profile's events join the identityMap after those of its records.
 */
export function mergeFragments(
  records: readonly RecordFragment[],
  policy: MergePolicy,
  eventIdentityMaps: readonly IdentityMap[] = [],
): MergedProfile {
  const included = records.filter((r) => policyIncludesDataset(policy, r.datasetId));
  const ranked = rankFragments(datasetFragments(included), policy);
  const entity: JsonObject = {};
  let lastIngestTime = Number.NEGATIVE_INFINITY;
  for (const f of ranked) {
    assignDeep(entity, f.data);
    if (f.ingestTime > lastIngestTime) lastIngestTime = f.ingestTime;
  }
  const identityMap = unionIdentityMaps([...ranked.slice().reverse().flatMap((f) => f.identityMaps), ...eventIdentityMaps]);
  if (Object.keys(identityMap).length > 0) entity["identityMap"] = identityMap as unknown as JsonObject;
  return { entity, lastIngestTime, fragmentCount: included.length };
}
