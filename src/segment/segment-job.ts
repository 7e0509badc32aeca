/**
 * Segment jobs: the platform's job JSON (`/segment/jobs`), and the per-profile step — evaluate a policy's
 * segments on one merged profile, move its memberships on, count the metrics.
 */
import { ProfileLabError } from "../xdm/errors.js";
import type { SegmentMembershipEntry } from "../xdm/types.js";
import { DEFAULT_MEMBERSHIP_CONVENTIONS, nextMembership, type MembershipConventions, type StatusModel } from "./membership.js";
import type { CompiledSegment } from "./segment-definition.js";

export type SegmentJobStatus = "NEW" | "QUEUED" | "PROCESSING" | "SUCCEEDED" | "FAILED" | "CANCELLING" | "CANCELLED";

export interface TimeMetric {
  startTimeInMs: number;
  endTimeInMs?: number;
  totalTimeInMs?: number;
}

export interface JobError {
  code: string;
  msg: string;
  callStack?: string;
}

/**
 * A job's `errors[]` entry for a failure: the error's code, its located message, and in `callStack` the
 * stage that raised it (the error's class) — never a JavaScript stack, which would mean nothing to a user.
 */
export function toJobError(e: unknown): JobError {
  if (e instanceof ProfileLabError) {
    const where = e.where();
    return { code: e.code, msg: where ? `${where}: ${e.message}` : e.message, callStack: `profile-lab ${e.name}` };
  }
  return { code: "unknown", msg: e instanceof Error ? e.message : String(e), callStack: `profile-lab ${e instanceof Error ? e.name : "Error"}` };
}

export interface SegmentJobMetrics {
  totalTime: TimeMetric;
  profileSegmentationTime?: TimeMetric;
  totalProfiles?: number;
  segmentedProfileCounter?: Record<string, number>;
  segmentedProfileByNamespaceCounter?: Record<string, Record<string, number>>;
  segmentedProfileByStatusCounter?: Record<string, Partial<Record<SegmentMembershipEntry["status"], number>>>;
  totalProfilesByMergePolicy?: Record<string, number>;
  /** Not a platform field: profiles left out of the job, by reason (identity graphs over 50 identities). */
  excludedProfileCounter?: { identityGraphOverLimit: number };
}

export interface SegmentJobSegment {
  segmentId: string;
  segment: {
    id: string;
    version: number;
    expression: { type: "PQL"; format: string; value: string };
    mergePolicyId: string;
    mergePolicy: { id: string; version: number };
  };
}

/** A segment job's `properties`: the platform's free-form strings, and our `asOf` (see SegmentJob.properties). */
export interface SegmentJobProperties {
  /** The job's evaluation clock, RFC 3339; absent on jobs recorded before it was stored. */
  asOf?: string;
  [name: string]: string | undefined;
}

/** A segment job, field for field as `GET /segment/jobs/{id}` returns it. */
export interface SegmentJob {
  id: string;
  imsOrgId: string;
  sandbox: { sandboxId: string; sandboxName: string; type: string; default: boolean };
  profileInstanceId: "ups";
  /** The job's number in this sandbox (the platform's compute job id). */
  computeJobId: number;
  computeGatewayJobId: string;
  modelName: string;
  source: "api" | "scheduler";
  status: SegmentJobStatus;
  segments: SegmentJobSegment[];
  metrics: SegmentJobMetrics;
  requestId: string;
  schema: { name: string };
  /**
   * The platform's free-form properties (`scheduleId` and `runId` for scheduled runs), and one of ours:
   * `asOf`, the job's evaluation clock (PQL `now`, the lastQualificationTime of changes) as RFC 3339, so the
   * instant its memberships hold for can be read back (`explain` evaluates at it). It lives here, not as a
   * top-level field, because `properties` is the one free-form object of the platform's job JSON: the
   * job keeps the platform's fields, field for field.
   */
  properties: SegmentJobProperties;
  errors: JobError[];
  _links: { cancel: { href: string; method: "DELETE" }; checkStatus: { href: string; method: "GET" } };
  creationTime: number;
  updateTime: number;
  updateEpoch: number;
}

/** Segment id → that profile's `ups` membership entry. */
export type ProfileMemberships = Map<string, SegmentMembershipEntry>;

/** Counts a job's per-segment metrics as profiles go by. */
/** A segment job's counters as plain data (what a shard's worker sends back). */
export interface SegmentCounts {
  readonly segmented: Record<string, number>;
  readonly byNamespace: Record<string, Record<string, number>>;
  readonly byStatus: Record<string, Partial<Record<SegmentMembershipEntry["status"], number>>>;
}

export class SegmentCounters implements SegmentCounts {
  readonly segmented: Record<string, number> = {};
  readonly byNamespace: Record<string, Record<string, number>> = {};
  readonly byStatus: Record<string, Partial<Record<SegmentMembershipEntry["status"], number>>> = {};

  constructor(segmentIds: readonly string[]) {
    for (const id of segmentIds) {
      this.segmented[id] = 0;
      this.byNamespace[id] = {};
      this.byStatus[id] = {};
    }
  }

  /** One profile's entry for one segment after the run; `namespaces` are those of its identityMap. */
  count(segmentId: string, entry: SegmentMembershipEntry | undefined, namespaces: readonly string[]): void {
    if (entry === undefined) return;
    const byStatus = this.byStatus[segmentId]!;
    byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
    if (entry.status === "exited") return;
    this.segmented[segmentId]! += 1;
    const byNs = this.byNamespace[segmentId]!;
    for (const ns of namespaces) byNs[ns] = (byNs[ns] ?? 0) + 1;
  }

  /** The counts so far, as plain data. */
  counts(): SegmentCounts {
    return { segmented: this.segmented, byNamespace: this.byNamespace, byStatus: this.byStatus };
  }

  /**
   * Adds another part's counts. Added in shard order, keys appear in the order of their first profile, as
   * they would counting all profiles here.
   */
  add(other: SegmentCounts): void {
    const sum = <K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void => {
      for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
    };
    sum(this.segmented, other.segmented);
    for (const id in other.byNamespace) sum((this.byNamespace[id] ??= {}), other.byNamespace[id]!);
    for (const id in other.byStatus) sum((this.byStatus[id] ??= {}), other.byStatus[id]!);
  }
}

/**
 * PQL's `inSegment("<id or name>")` for one profile: a member (realized or existing) as of its memberships
 * before this evaluation — segments of segments follow the previous run, as on the platform.
 */
export function inSegmentOf(memberships: ProfileMemberships, idsByName: ReadonlyMap<string, string>): (ref: string) => boolean {
  return (ref) => {
    const entry = memberships.get(idsByName.get(ref) ?? ref);
    return entry !== undefined && entry.status !== "exited";
  };
}

/**
 * Moves one profile's memberships on after an evaluation at `now`: `qualifies[i]` is the decision for
 * `segments[i]`. Returns the memberships after the run (`before` is not modified); only the given segments
 * change, other entries are kept.
 */
export function applyDecisions(
  segments: readonly CompiledSegment[],
  qualifies: readonly boolean[],
  before: ProfileMemberships,
  now: number,
  model: StatusModel,
  conventions: MembershipConventions = DEFAULT_MEMBERSHIP_CONVENTIONS,
): ProfileMemberships {
  const after: ProfileMemberships = new Map(before);
  segments.forEach((s, i) => {
    const id = s.definition.id;
    const entry = nextMembership(before.get(id), qualifies[i]!, now, model, String(s.definition.version ?? 1), conventions);
    if (entry === undefined) after.delete(id);
    else after.set(id, entry);
  });
  return after;
}
