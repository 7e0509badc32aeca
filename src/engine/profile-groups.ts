/**
 * Groups fragments and events by profile key under a merge policy's identity graph, ordered by (component
 * hash, component, key hash, key), the component being the profile's in the full identity graph (which holds
 * every fragment of a profile under any policy): the order the membership store and the exports keep, and
 * the DuckDB engine's too (src/sql/merge/identities.ts hashes keys the same way).
 */
import { IdentityGraph } from "../identity/identity-graph.js";
import { identityMapOf, type IdentityKey } from "../identity/identity-key.js";
import type { EventFragment, FragmentOrigin, RecordFragment } from "../merge/fragment.js";
import { mergeFragments, policyIncludesDataset, type MergedProfile, type MergeRecorder } from "../merge/merge-fragments.js";
import type { MergeConventions } from "../merge/merge-options.js";
import type { IdentityMap, MergePolicy } from "../xdm/types.js";
import { PROGRESS_EVERY, STEP_EVERY, unpaced } from "./job-progress.js";
import type { SandboxData } from "./load-data.js";

/** Everything one merged profile is built from. */
export interface ProfileGroup {
  /** The profile key: the primary identity (`none`) or the smallest identity of the graph (`pdg`). */
  readonly key: IdentityKey;
  readonly hash: number;
  /** The component of the full identity graph the profile lies in (see FragmentOrigin.component), and its hash. */
  readonly component: IdentityKey;
  readonly componentHash: number;
  readonly records: RecordFragment[];
  /** The profile's events, sorted by timestamp (then load order). */
  readonly events: EventFragment[];
  /** Identities the profile is known by: the key under `none`, the whole graph component under `pdg`. */
  readonly identities: IdentityKey[];
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits: cheap, stable across runs and platforms. */
export function hashKey(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * hashKey of each of the keys in `joined` (separated by U+0000), in order, handed to `each`; returns how many. A key
 * that holds U+0000 itself counts as two, so a caller that knows how many keys it joined can tell.
 */
export function hashJoinedKeys(joined: string, each: (hash: number) => void): number {
  let h = FNV_OFFSET;
  let n = 0;
  for (let i = 0; i < joined.length; i++) {
    const unit = joined.charCodeAt(i);
    if (unit === 0) {
      each(h >>> 0);
      n++;
      h = FNV_OFFSET;
    } else {
      h ^= unit;
      h = Math.imul(h, FNV_PRIME);
    }
  }
  each(h >>> 0);
  return n + 1;
}

/** Stitched profiles with more identities than this are excluded from segmentation and export (PROF-GR). */
export const IDENTITY_GRAPH_LIMIT = 50;

export interface ProfileGroups {
  /** In shard order: (component hash, component, key hash, key). */
  readonly groups: ProfileGroup[];
  /** Profiles left out because their identity graph exceeds IDENTITY_GRAPH_LIMIT. */
  readonly excludedOverIdentityLimit: number;
}

/** How far grouping has gone: items (fragments, then groups) done of `total` (an estimate until grouping is done). */
export interface GroupingStep {
  readonly done: number;
  readonly total: number;
}

/** The profile groups under `policy`, in store order. */
export function profileGroups(data: SandboxData, policy: MergePolicy): ProfileGroups {
  return unpaced(profileGroupSteps(data, policy));
}

/**
 * `profileGroups` cut into steps of STEP_EVERY items, for a job to check in between: the policy's identity
 * graph (`pdg`), fragments to groups, then each group's events sorted and identities listed.
 */
export function* profileGroupSteps(data: SandboxData, policy: MergePolicy): Generator<GroupingStep, ProfileGroups> {
  const fragments = data.records.length + data.events.length;
  const pdg = policy.identityGraph.type === "pdg";
  let total = (pdg ? 3 : 2) * fragments;
  let done = 0;
  yield { done, total };
  let keyOf = (f: FragmentOrigin): IdentityKey => f.primary;
  if (pdg) {
    const graph = new IdentityGraph();
    for (const r of data.records) {
      if (policyIncludesDataset(policy, r.datasetId)) graph.observe("record", r.identities, r.primary);
      if (++done % STEP_EVERY === 0) yield { done, total };
    }
    for (const e of data.events) {
      if (policyIncludesDataset(policy, e.datasetId)) graph.observe("event", e.identities, e.primary);
      if (++done % STEP_EVERY === 0) yield { done, total };
    }
    const canonical = graph.canonicalizer();
    keyOf = (f) => canonical(f.primary) ?? f.primary;
  }
  const groups = new Map<IdentityKey, ProfileGroup>();
  const groupOf = (key: IdentityKey, f: FragmentOrigin): ProfileGroup => {
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, hash: hashKey(key), component: f.component, componentHash: hashKey(f.component), records: [], events: [], identities: [key] };
      groups.set(key, g);
    }
    return g;
  };
  const identitySets = new Map<IdentityKey, Set<IdentityKey>>();
  const addIdentities = (g: ProfileGroup, f: FragmentOrigin): void => {
    if (!pdg) return;
    let set = identitySets.get(g.key);
    if (set === undefined) identitySets.set(g.key, (set = new Set([g.key])));
    set.add(f.primary);
    for (const id of f.identities) set.add(id);
  };
  for (const r of data.records) {
    if (policyIncludesDataset(policy, r.datasetId)) {
      const g = groupOf(keyOf(r), r);
      g.records.push(r);
      addIdentities(g, r);
    }
    if (++done % STEP_EVERY === 0) yield { done, total };
  }
  for (const e of data.events) {
    if (policyIncludesDataset(policy, e.datasetId)) {
      const g = groupOf(keyOf(e), e);
      g.events.push(e);
      addIdentities(g, e);
    }
    if (++done % STEP_EVERY === 0) yield { done, total };
  }
  total = done + groups.size;
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const ordered = [...groups.values()].sort(
    (a, b) => a.componentHash - b.componentHash || cmp(a.component, b.component) || a.hash - b.hash || cmp(a.key, b.key),
  );
  yield { done, total };
  const kept: ProfileGroup[] = [];
  let excludedOverIdentityLimit = 0;
  for (const g of ordered) {
    // Sorting a group's events and identities costs more than a step of the loops above.
    if (++done % PROGRESS_EVERY === 0) yield { done, total };
    const set = identitySets.get(g.key);
    if (set && set.size > IDENTITY_GRAPH_LIMIT) {
      excludedOverIdentityLimit++;
      continue;
    }
    g.events.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
    if (set) g.identities.splice(0, g.identities.length, ...[...set].sort());
    kept.push(g);
  }
  return { groups: kept, excludedOverIdentityLimit };
}

/** The merged profile of a group: its records under the policy, plus the identities its events carry. */
export function mergeGroup(group: ProfileGroup, policy: MergePolicy, conventions: MergeConventions, recorder?: MergeRecorder): MergedProfile {
  const eventIdentityMaps: IdentityMap[] = [];
  for (const e of group.events) {
    const m = identityMapOf(e.data);
    if (m) eventIdentityMaps.push(m);
  }
  return mergeFragments(group.records, policy, { conventions, eventIdentityMaps, ...(recorder ? { recorder } : {}) });
}
