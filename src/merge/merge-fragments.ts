/**
 * Merges one profile's fragments into one entity under a merge policy (profile-semantics.md §1.5–§1.7).
 *
 * A fragment is the records of one primary identity in one dataset. Fragments are ranked — by effective
 * time (`extSourceSystemAudit.lastUpdatedDate` when present, else ingestion time) or by the policy's
 * dataset order — and every record is then applied lowest rank first, a fragment's records in ingestion
 * order. Each leaf so ends with the value of the highest-ranked fragment that has it, and within that
 * fragment of its latest record (M5). Objects (and maps) recurse, arrays and scalars are taken whole,
 * identityMap is a union with one primary, segmentMembership never comes from fragments (the store owns it).
 */
import { identityKey, identityMapOf } from "../identity/identity-key.js";
import { parseDateTime } from "../xdm/time.js";
import type { IdentityItem, IdentityMap, Json, JsonObject, MergePolicy } from "../xdm/types.js";
import type { RecordFragment } from "./fragment.js";
import { DEFAULT_CONVENTIONS, type MergeConventions } from "./merge-options.js";

export interface MergedProfile {
  /** The merged entity: attributes plus the union identityMap (no segmentMembership). */
  readonly entity: JsonObject;
  /** Latest ingestion time of the fragments that were merged (the profile's "last update"). */
  readonly lastIngestTime: number;
  /** Number of records that took part (0 for an event-only profile). */
  readonly recordCount: number;
}

/** Called for every value a record writes into the entity, in application order (last write wins). */
export type MergeRecorder = (path: string, value: Json, record: RecordFragment) => void;

const SYSTEM_MANAGED = new Set(["identityMap", "segmentMembership"]);

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unionArrays(winner: readonly Json[], loser: readonly Json[]): Json[] {
  const seen = new Set(winner.map((v) => JSON.stringify(v)));
  return [...winner, ...loser.filter((v) => !seen.has(JSON.stringify(v)))];
}

/** Copies `source` into `target`: objects recurse (copied, never shared), arrays and scalars replace. */
function assignDeep(
  target: JsonObject,
  source: JsonObject,
  arrays: MergeConventions["arrayMerge"],
  record: RecordFragment | undefined,
  recorder: MergeRecorder | undefined,
  prefix: string,
  skip?: ReadonlySet<string>,
): void {
  for (const key in source) {
    if (skip?.has(key)) continue;
    const value = source[key]!;
    const current = target[key];
    if (isPlainObject(value)) {
      const into: JsonObject = isPlainObject(current) ? current : {};
      assignDeep(into, value, arrays, record, recorder, `${prefix}${key}.`);
      target[key] = into;
      continue;
    }
    target[key] = arrays === "union" && Array.isArray(value) && Array.isArray(current) ? unionArrays(value, current) : value;
    if (recorder) recorder(`${prefix}${key}`, value, record!);
  }
}

function customTimestamp(data: JsonObject): number | undefined {
  const audit = data["extSourceSystemAudit"];
  if (!isPlainObject(audit)) return undefined;
  const t = audit["lastUpdatedDate"];
  return typeof t === "string" ? parseDateTime(t) : typeof t === "number" ? t : undefined;
}

interface RankedFragment {
  readonly datasetId: string;
  readonly primary: string;
  /** The fragment's records in the order they apply. */
  readonly records: RecordFragment[];
  readonly ingestTime: number;
  /** The latest custom timestamp among its records, if any. */
  readonly customTime: number | undefined;
}

/** One fragment per (dataset, primary identity), its records in application order. */
function fragmentsOf(records: readonly RecordFragment[], conventions: MergeConventions): RankedFragment[] {
  const groups = new Map<string, RecordFragment[]>();
  for (const r of records) {
    const k = `${r.datasetId}\u0000${r.primary}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const byCustom = conventions.customTimestampScope === "all";
  const out: RankedFragment[] = [];
  for (const group of groups.values()) {
    const custom = group.map((r) => customTimestamp(r.data));
    const order = group.map((_, i) => i);
    order.sort((a, b) => {
      const ra = group[a]!;
      const rb = group[b]!;
      const byTime = byCustom ? (custom[a] ?? ra.ingestTime) - (custom[b] ?? rb.ingestTime) : 0;
      return byTime || ra.ingestTime - rb.ingestTime || ra.seq - rb.seq;
    });
    const sorted = order.map((i) => group[i]!);
    let customTime: number | undefined;
    for (const i of order) if (custom[i] !== undefined) customTime = custom[i];
    const last = sorted[sorted.length - 1]!;
    out.push({ datasetId: last.datasetId, primary: last.primary, records: sorted, ingestTime: Math.max(...group.map((r) => r.ingestTime)), customTime });
  }
  return out;
}

/** Fragments lowest priority first. Ties end on ingestion time, dataset id and identity so the result is stable. */
function rankFragments(fragments: RankedFragment[], policy: MergePolicy, conventions: MergeConventions): RankedFragment[] {
  const tie = (a: RankedFragment, b: RankedFragment): number =>
    a.ingestTime - b.ingestTime || (a.datasetId < b.datasetId ? -1 : a.datasetId > b.datasetId ? 1 : 0) || (a.primary < b.primary ? -1 : a.primary > b.primary ? 1 : 0);
  if (policy.attributeMerge.type === "dataSetPrecedence") {
    const order = policy.attributeMerge.order ?? [];
    const rank = (id: string): number => order.length - order.indexOf(id);
    return fragments.sort((a, b) => rank(a.datasetId) - rank(b.datasetId) || tie(a, b));
  }
  const useCustom = conventions.mixedTimestamps === "perFragment" || fragments.every((f) => f.customTime !== undefined);
  const time = (f: RankedFragment): number => (useCustom ? (f.customTime ?? f.ingestTime) : f.ingestTime);
  return fragments.sort((a, b) => time(a) - time(b) || tie(a, b));
}

/** Union of identityMaps, highest priority first; with `single`, only the first primary flag seen survives. */
export function unionIdentityMaps(mapsHighestFirst: readonly IdentityMap[], primary: MergeConventions["identityPrimary"]): IdentityMap {
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
        if (primary === "single" && copy.primary === true) {
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
 * The records of the policy's datasets in the order the merge applies them (lowest priority first). Explain
 * uses it to show which fragment won and why.
 */
export function applicationOrder(records: readonly RecordFragment[], policy: MergePolicy, conventions: MergeConventions = DEFAULT_CONVENTIONS): RecordFragment[] {
  const included = records.filter((r) => policyIncludesDataset(policy, r.datasetId));
  return rankFragments(fragmentsOf(included, conventions), policy, conventions).flatMap((f) => f.records);
}

export interface MergeOptions {
  readonly conventions?: MergeConventions;
  /** The identities of the profile's events, which join the identityMap after those of its records. */
  readonly eventIdentityMaps?: readonly IdentityMap[];
  /** Sees every value written, for provenance (explain); leave undefined in bulk runs. */
  readonly recorder?: MergeRecorder;
}

/** Merges the record fragments of one profile; records of datasets the policy excludes are ignored. */
export function mergeFragments(records: readonly RecordFragment[], policy: MergePolicy, options: MergeOptions = {}): MergedProfile {
  const conventions = options.conventions ?? DEFAULT_CONVENTIONS;
  const ordered = applicationOrder(records, policy, conventions);
  const entity: JsonObject = {};
  let lastIngestTime = Number.NEGATIVE_INFINITY;
  const identityMaps: IdentityMap[] = [];
  for (let i = ordered.length - 1; i >= 0; i--) {
    const idm = identityMapOf(ordered[i]!.data);
    if (idm) identityMaps.push(idm);
  }
  for (const r of ordered) {
    assignDeep(entity, r.data, conventions.arrayMerge, r, options.recorder, "", SYSTEM_MANAGED);
    if (r.ingestTime > lastIngestTime) lastIngestTime = r.ingestTime;
  }
  const identityMap = unionIdentityMaps([...identityMaps, ...(options.eventIdentityMaps ?? [])], conventions.identityPrimary);
  if (Object.keys(identityMap).length > 0) entity["identityMap"] = identityMap as unknown as JsonObject;
  return { entity, lastIngestTime, recordCount: ordered.length };
}
