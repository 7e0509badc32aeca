/**
 * Runs a segment job over a sandbox: for each merge policy its segments use, group → merge → evaluate →
 * move memberships on, shard by shard; then commit the membership snapshot and the job record. A failure
 * records the job as FAILED and leaves the previous snapshot untouched.
 */
import { identityMapOf } from "../identity/identity-key.js";
import type { StatusModel } from "../segment/membership.js";
import type { CompiledSegment } from "../segment/segment-definition.js";
import { SegmentError } from "../segment/segment-error.js";
import {
  applyDecisions,
  inSegmentOf,
  SegmentCounters,
  toJobError,
  type ProfileMemberships,
  type SegmentJob,
  type SegmentJobSegment,
} from "../segment/segment-job.js";
import { deterministicUuid } from "../store/ids.js";
import { JobControl } from "../store/job-control.js";
import type { MembershipSnapshot } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { PROFILE_SCHEMA_NAME, UPS_NAMESPACE, type MergePolicy, type SegmentMembership } from "../xdm/types.js";
import { externalMemberships } from "../segment/external-audiences.js";
import { compileSegmentSet } from "../pql/index.js";
import { recoverInterruptedJobs } from "./job-recovery.js";
import { JobCancelledError, progressCheck, PROGRESS_EVERY, type JobProgress } from "./job-progress.js";
import { sandboxShards } from "./partition.js";
import { mergeGroup, profileGroups, type ProfileGroup } from "./profile-groups.js";
import type { Sandbox } from "./sandbox.js";

export interface SegmentJobOptions {
  /** Segment ids to evaluate; omitted or `["*"]` evaluates every segment of the sandbox. */
  readonly segmentIds?: readonly string[];
  /** The evaluation clock, epoch ms (`now` in PQL; lastQualificationTime of changes). */
  readonly asOf: number;
  readonly statusModel: StatusModel;
  /** Memory budget for the data of one shard; larger data is spilled to disk shard by shard. */
  readonly memoryBytes?: number;
  /** Wall clock for job timing metrics; injectable for tests. */
  readonly clock?: () => number;
  /** `scheduler` for runs started by a schedule, with `properties.scheduleId` and `properties.runId`. */
  readonly source?: "api" | "scheduler";
  readonly properties?: Readonly<Record<string, string>>;
  /** Called as profiles go by (at each shard start and every 1,000 profiles), before the cancel check. */
  readonly onProgress?: (event: JobProgress) => void;
}

/** The segments a request names, in sandbox order; an unknown id is an error listing the known ones. */
export function selectSegments(sandbox: Sandbox, ids: readonly string[] | undefined): CompiledSegment[] {
  if (ids === undefined || ids.length === 0 || (ids.length === 1 && ids[0] === "*")) return [...sandbox.segments];
  return ids.map((id, i) => {
    const s = sandbox.segments.find((c) => c.definition.id === id);
    if (s === undefined) {
      const known = sandbox.segments.map((c) => `${c.definition.id} (${c.definition.name})`).join(", ");
      throw new SegmentError("SEG-J001", `unknown segment "${id}"; known segments: ${known || "none"}`, { jsonPath: `$[${i}].segmentId` });
    }
    return s;
  });
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

/** The profile's whole segmentMembership as of `now`: its `ups` memberships, and external audiences still valid. */
export function membershipsOf(sandbox: Sandbox, ups: ProfileMemberships, group: ProfileGroup, now: number): SegmentMembership {
  const out = externalMemberships(sandbox.externalAudiences, group.identities, now);
  if (ups.size > 0) out[UPS_NAMESPACE] = Object.fromEntries(ups);
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

/** Segment names to ids, for `inSegment("<name>")`. */
export function segmentIdsByName(sandbox: Sandbox): Map<string, string> {
  return new Map(sandbox.segments.map((s) => [s.definition.name, s.definition.id]));
}

function policyOf(sandbox: Sandbox, segment: CompiledSegment): MergePolicy {
  const id = segment.definition.mergePolicyId;
  return id === undefined ? sandbox.policies.default : sandbox.policies.get(id, { file: segment.file, jsonPath: "$.mergePolicyId" });
}

function jobSegment(segment: CompiledSegment, policy: MergePolicy): SegmentJobSegment {
  const d = segment.definition;
  return {
    segmentId: d.id,
    segment: {
      id: d.id,
      version: d.version ?? 1,
      expression: d.expression,
      mergePolicyId: policy.id,
      mergePolicy: { id: policy.id, version: policy.version },
    },
  };
}

function newJob(sandbox: Sandbox, state: SandboxState, segments: SegmentJobSegment[], now: number, wildcard: boolean): SegmentJob {
  const n = state.records<SegmentJob>("segment-jobs").ids().length + 1;
  const id = deterministicUuid(sandbox.manifest.name, "segment-job", n);
  const href = `/segment/jobs/${id}`;
  return {
    id,
    imsOrgId: sandbox.manifest.imsOrgId,
    sandbox: { ...sandbox.manifest.sandbox },
    profileInstanceId: "ups",
    computeJobId: n,
    computeGatewayJobId: deterministicUuid(sandbox.manifest.name, "segment-compute", n),
    modelName: PROFILE_SCHEMA_NAME,
    source: "api",
    status: "NEW",
    segments: wildcard ? [{ segmentId: "*" } as SegmentJobSegment] : segments,
    metrics: { totalTime: { startTimeInMs: now } },
    requestId: deterministicUuid(sandbox.manifest.name, "segment-job-request", n),
    schema: { name: PROFILE_SCHEMA_NAME },
    properties: {},
    errors: [],
    _links: { cancel: { href, method: "DELETE" }, checkStatus: { href, method: "GET" } },
    creationTime: now,
    updateTime: now,
    updateEpoch: Math.floor(now / 1000),
  };
}

/** Runs the job to completion and returns its final record (also stored under `.profile-lab/`). */
export async function runSegmentJob(sandbox: Sandbox, options: SegmentJobOptions): Promise<SegmentJob> {
  const clock = options.clock ?? Date.now;
  const segments = selectSegments(sandbox, options.segmentIds);
  const byPolicy = new Map<MergePolicy, CompiledSegment[]>();
  for (const s of segments) {
    const policy = policyOf(sandbox, s);
    byPolicy.set(policy, [...(byPolicy.get(policy) ?? []), s]);
  }
  recoverInterruptedJobs(sandbox.dir, clock);
  const state = new SandboxState(sandbox.dir);
  const control = new JobControl(state.root);
  const jobs = state.records<SegmentJob>("segment-jobs");
  const wildcard = options.segmentIds === undefined || options.segmentIds[0] === "*";
  const job = newJob(sandbox, state, segments.map((s) => jobSegment(s, policyOf(sandbox, s))), clock(), wildcard);
  job.source = options.source ?? "api";
  job.properties = { ...options.properties };
  jobs.put(job.id, job);
  control.claim("segment-jobs", job.id);
  const update = (patch: Partial<SegmentJob>): void => {
    const now = clock();
    Object.assign(job, patch, { updateTime: now, updateEpoch: Math.floor(now / 1000) });
    jobs.put(job.id, job);
  };
  update({ status: "PROCESSING" });
  try {
    const snapshot = state.readMembership();
    const counters = new SegmentCounters(segments.map((s) => s.definition.id));
    const byMergePolicy: Record<string, number> = Object.fromEntries([...byPolicy.keys()].map((p) => [p.id, 0]));
    const excludedByPolicy = new Map<MergePolicy, number>();
    const segmentationStart = clock();
    const checkpoint = progressCheck("segment-jobs", job.id, control, options.onProgress);
    const idsByName = segmentIdsByName(sandbox);
    // One function per policy evaluates all its segments, computing shared event aggregates once per profile.
    const schema = { profile: sandbox.profileType, event: sandbox.eventType };
    const decide = new Map(
      [...byPolicy].map(([policy, list]) => [policy, compileSegmentSet(list.map((s) => s.definition.expression), schema, (i) => list[i]!.file)] as const),
    );
    let shardIndex = 0;
    let processed = 0;
    for await (const data of sandboxShards(sandbox, { ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}) })) {
      for (const [policy, policySegments] of byPolicy) {
        const { groups, excludedOverIdentityLimit } = profileGroups(data, policy);
        excludedByPolicy.set(policy, (excludedByPolicy.get(policy) ?? 0) + excludedOverIdentityLimit);
        checkpoint(shardIndex, processed);
        for (const group of groups) {
          if (++processed % PROGRESS_EVERY === 0) checkpoint(shardIndex, processed);
          const merged = mergeGroup(group, policy, sandbox.conventions);
          const before = priorMemberships(snapshot, group);
          const context = { profile: merged.entity, events: group.events.map((e) => e.data), now: options.asOf, inSegment: inSegmentOf(before, idsByName) };
          const after = applyDecisions(policySegments, decide.get(policy)!(context), before, options.asOf, options.statusModel, sandbox.conventions);
          storeMemberships(snapshot, group, after, policySegments);
          const namespaces = Object.keys(identityMapOf(merged.entity) ?? {});
          for (const s of policySegments) counters.count(s.definition.id, after.get(s.definition.id), namespaces);
        }
        byMergePolicy[policy.id]! += groups.length;
      }
      shardIndex++;
    }
    const excluded = Math.max(0, ...excludedByPolicy.values());
    const end = clock();
    state.writeMembership(snapshot);
    update({
      status: "SUCCEEDED",
      metrics: {
        totalTime: { startTimeInMs: job.creationTime, endTimeInMs: end, totalTimeInMs: end - job.creationTime },
        profileSegmentationTime: { startTimeInMs: segmentationStart, endTimeInMs: end, totalTimeInMs: end - segmentationStart },
        totalProfiles: Math.max(0, ...Object.values(byMergePolicy)),
        segmentedProfileCounter: counters.segmented,
        segmentedProfileByNamespaceCounter: counters.byNamespace,
        segmentedProfileByStatusCounter: counters.byStatus,
        totalProfilesByMergePolicy: byMergePolicy,
        ...(excluded > 0 ? { excludedProfileCounter: { identityGraphOverLimit: excluded } } : {}),
      },
    });
    return job;
  } catch (e) {
    // A cancelled job ends CANCELLED and, like a failed one, writes no membership.
    update(e instanceof JobCancelledError ? { status: "CANCELLED", errors: [toJobError(e)] } : { status: "FAILED", errors: [toJobError(e)] });
    throw e;
  } finally {
    control.release("segment-jobs", job.id);
  }
}
