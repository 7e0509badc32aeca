/**
 * The reference engine's segment job over a shard (the whole sandbox in memory, see in-memory-job.ts; a test
 * case's data in `profile-lab test`): for each merge policy its segments use, group → merge → evaluate → move
 * memberships on, then the shard's part of the new snapshot.
 */
import { identityMapOf } from "../identity/identity-key.js";
import type { MergedProfile } from "../merge/merge-fragments.js";
import { compileSegmentSet } from "../pql/index.js";
import type { StatusModel } from "../segment/membership.js";
import type { CompiledSegment } from "../segment/segment-definition.js";
import { SegmentError } from "../segment/segment-error.js";
import { applyDecisions, inSegmentOf, SegmentCounters, type ProfileMemberships, type SegmentCounts } from "../segment/segment-job.js";
import type { MembershipSnapshot } from "../store/membership-store.js";
import { storeOrder } from "../store/store-order.js";
import type { MergePolicy } from "../xdm/types.js";
import type { Shard } from "./in-memory-job.js";
import { paced, PROGRESS_EVERY, type Checkpoint, type ShardProgress } from "./job-progress.js";
import { mergeGroup, profileGroupSteps, type ProfileGroup } from "./profile-groups.js";
import type { Sandbox } from "./sandbox.js";

/** What a segment job evaluates, compiled once per thread. */
export interface SegmentPlan {
  readonly segments: readonly CompiledSegment[];
  /** The segments grouped by merge policy, in the order policies first appear. */
  readonly byPolicy: ReadonlyMap<MergePolicy, readonly CompiledSegment[]>;
  /** Per policy, one function deciding all its segments (shared event aggregates computed once per profile). */
  readonly decide: ReadonlyMap<MergePolicy, ReturnType<typeof compileSegmentSet>>;
  readonly idsByName: ReadonlyMap<string, string>;
}

/** The segments a request names, in sandbox order; an unknown id is an error listing the known ones. */
export function selectSegments(sandbox: Sandbox, ids: readonly string[] | undefined): CompiledSegment[] {
  if (ids === undefined || ids.length === 0 || (ids.length === 1 && ids[0] === "*")) return [...sandbox.segments];
  // A map, not a search per id, and a repeated id evaluated once: linear in the ids however many are given.
  const byId = new Map(sandbox.segments.map((c) => [c.definition.id, c]));
  const selected = new Map<string, CompiledSegment>();
  ids.forEach((id, i) => {
    const s = byId.get(id);
    if (s === undefined) {
      const known = sandbox.segments.map((c) => `${c.definition.id} (${c.definition.name})`).join(", ");
      throw new SegmentError("SEG-J001", `unknown segment "${id}"; known segments: ${known || "none"}`, { jsonPath: `$[${i}].segmentId` });
    }
    selected.set(id, s);
  });
  return [...selected.values()];
}

export function policyOf(sandbox: Sandbox, segment: CompiledSegment): MergePolicy {
  const id = segment.definition.mergePolicyId;
  return id === undefined ? sandbox.policies.default : sandbox.policies.get(id, { file: segment.file, jsonPath: "$.mergePolicyId" });
}

/** Segment names to ids, for `inSegment("<name>")`. */
export function segmentIdsByName(sandbox: Sandbox): Map<string, string> {
  return new Map(sandbox.segments.map((s) => [s.definition.name, s.definition.id]));
}

export function segmentPlan(sandbox: Sandbox, segmentIds: readonly string[] | undefined): SegmentPlan {
  const segments = selectSegments(sandbox, segmentIds);
  const byPolicy = new Map<MergePolicy, CompiledSegment[]>();
  for (const s of segments) {
    const policy = policyOf(sandbox, s);
    const list = byPolicy.get(policy);
    if (list) list.push(s);
    else byPolicy.set(policy, [s]);
  }
  const schema = { profile: sandbox.profileType, event: sandbox.eventType };
  const decide = new Map(
    [...byPolicy].map(([policy, list]) => [policy, compileSegmentSet(list.map((s) => s.definition.expression), schema, (i) => list[i]!.file)] as const),
  );
  return { segments, byPolicy, decide, idsByName: segmentIdsByName(sandbox) };
}

/**
 * The memberships a profile had: its own key's entries, and for segments it has none of, the latest entry
 * stored under another of its identities (profiles stitched since the last run show both — S7).
 */
export function priorMemberships(snapshot: MembershipSnapshot, group: ProfileGroup): ProfileMemberships {
  const out: ProfileMemberships = new Map(snapshot.get(group.key));
  const own = new Set(out.keys());
  for (const id of group.identities) {
    const stored = id === group.key ? undefined : snapshot.get(id);
    if (stored === undefined) continue;
    for (const [segmentId, entry] of stored) {
      if (own.has(segmentId)) continue;
      const cur = out.get(segmentId);
      if (cur === undefined || entry.lastQualificationTime > cur.lastQualificationTime) out.set(segmentId, entry);
    }
  }
  return out;
}

/** Stores the result under the profile key; the evaluated segments' entries under its other identities are superseded. */
function storeMemberships(snapshot: MembershipSnapshot, group: ProfileGroup, after: ProfileMemberships, evaluated: readonly CompiledSegment[]): void {
  for (const id of group.identities) {
    const stored = id === group.key ? undefined : snapshot.get(id);
    if (stored === undefined) continue;
    for (const s of evaluated) stored.delete(s.definition.id);
    if (stored.size === 0) snapshot.delete(id);
  }
  const own: ProfileMemberships = new Map(snapshot.get(group.key));
  for (const s of evaluated) {
    const entry = after.get(s.definition.id);
    if (entry === undefined) own.delete(s.definition.id);
    else own.set(s.definition.id, entry);
  }
  if (own.size === 0) snapshot.delete(group.key);
  else snapshot.set(group.key, own);
}

/** What a shard adds to the job's metrics; shards' results are summed in shard order. */
export interface SegmentShardResult {
  readonly counts: SegmentCounts;
  /** Profiles evaluated, by merge policy id. */
  readonly profilesByPolicy: Record<string, number>;
  /** Profiles left out for their identity graph's size, by merge policy id. */
  readonly excludedByPolicy: Record<string, number>;
}

export interface SegmentShardOptions {
  readonly asOf: number;
  readonly statusModel: StatusModel;
  /** Called as the shard is grouped, every PROGRESS_EVERY profiles evaluated and as memberships are written; throws to cancel. */
  readonly checkpoint: Checkpoint<ShardProgress>;
}

/** One profile as a segment job evaluated it: what it was built from, merged, and its memberships before and after. */
export interface EvaluatedProfile {
  readonly group: ProfileGroup;
  readonly policy: MergePolicy;
  readonly merged: MergedProfile;
  readonly before: ProfileMemberships;
  readonly after: ProfileMemberships;
}

/**
 * Runs the plan over a shard's profiles, moving `shard.prior` on to the new snapshot in place. `onProfile`
 * sees each profile as it is decided (the in-memory API keeps them; jobs pass none).
 */
export async function evaluateProfiles(
  sandbox: Sandbox,
  plan: SegmentPlan,
  shard: Shard,
  options: SegmentShardOptions,
  onProfile?: (profile: EvaluatedProfile) => void,
): Promise<SegmentShardResult> {
  const { asOf, statusModel, checkpoint } = options;
  const snapshot = shard.prior;
  const counters = new SegmentCounters(plan.segments.map((s) => s.definition.id));
  const profilesByPolicy: Record<string, number> = {};
  const excludedByPolicy: Record<string, number> = {};
  let policy = -1;
  for (const [mergePolicy, policySegments] of plan.byPolicy) {
    policy++;
    const grouping = profileGroupSteps(shard.data, mergePolicy);
    const { groups, excludedOverIdentityLimit } = await paced(grouping, (step) => checkpoint({ stage: "identities", policy, rows: step.done, totalRows: step.total }));
    excludedByPolicy[mergePolicy.id] = excludedOverIdentityLimit;
    profilesByPolicy[mergePolicy.id] = groups.length;
    const decide = plan.decide.get(mergePolicy)!;
    const totalProfiles = groups.length;
    let profiles = 0;
    await checkpoint({ stage: "evaluating", policy, profiles, totalProfiles });
    for (const group of groups) {
      if (++profiles % PROGRESS_EVERY === 0) await checkpoint({ stage: "evaluating", policy, profiles, totalProfiles });
      const merged = mergeGroup(group, mergePolicy, sandbox.conventions);
      const before = priorMemberships(snapshot, group);
      const context = { profile: merged.entity, events: group.events.map((e) => e.data), now: asOf, inSegment: inSegmentOf(before, plan.idsByName) };
      const after = applyDecisions(policySegments, decide(context), before, asOf, statusModel, sandbox.conventions);
      storeMemberships(snapshot, group, after, policySegments);
      const namespaces = Object.keys(identityMapOf(merged.entity) ?? {});
      for (const s of policySegments) counters.count(s.definition.id, after.get(s.definition.id), namespaces);
      onProfile?.({ group, policy: mergePolicy, merged, before, after });
    }
    await checkpoint({ stage: "evaluating", policy, profiles, totalProfiles });
  }
  return { counts: counters.counts(), profilesByPolicy, excludedByPolicy };
}

/** Runs the plan over a shard and writes the shard's part of the new snapshot to `partFile`. */
export async function evaluateShard(sandbox: Sandbox, plan: SegmentPlan, shard: Shard, options: SegmentShardOptions, partFile: string): Promise<SegmentShardResult> {
  const result = await evaluateProfiles(sandbox, plan, shard, options);
  const { checkpoint } = options;
  const snapshot = shard.prior;
  await checkpoint({ stage: "writing", rows: 0 });
  // Loaded here: every segment job imports this module, and jobs on DuckDB need not load the JavaScript Parquet writer.
  const { MembershipPartBuilder } = await import("../store/membership-part.js");
  const order = storeOrder(snapshot.keys());
  const part = new MembershipPartBuilder();
  for (let start = 0; start < order.length; start += PROGRESS_EVERY) {
    if (start > 0) await checkpoint({ stage: "writing", rows: start, totalRows: order.length });
    part.add(snapshot, order.slice(start, start + PROGRESS_EVERY));
  }
  part.write(partFile);
  return result;
}
