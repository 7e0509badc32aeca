/**
 * `explain`: why this profile, why this value, why this segment. For one identity it shows the stitched
 * identities, the fragments in the order the merge applied them, every merged field with the fragment that
 * won it and the values that lost, the profile's events, and for each segment the decision and the status
 * transition the next segment job would make — at the instant the stored memberships hold for (the last
 * segment job's asOf) unless asked for another. Every time it shows is ISO 8601, never epoch milliseconds.
 */
import { existsSync } from "node:fs";
import { identityKey, identityMapOf } from "../identity/identity-key.js";
import type { RecordFragment } from "../merge/fragment.js";
import { applicationOrder, policyIncludesDataset } from "../merge/merge-fragments.js";
import { parsePql, pqlJsonToAst, tracePql, type PqlTraceNode } from "../pql/index.js";
import type { PqlTimeKind } from "../pql/trace.js";
import { nextMembership, type StatusModel } from "../segment/membership.js";
import { SegmentError } from "../segment/segment-error.js";
import type { MembershipSnapshot } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { ProfileLabError } from "../xdm/errors.js";
import { formatDateTime, parseDateTime } from "../xdm/time.js";
import type { Json, JsonObject, MergePolicy, SegmentMembershipEntry } from "../xdm/types.js";
import { loadSandboxData, type SandboxData } from "./load-data.js";
import { hashKey, IDENTITY_GRAPH_LIMIT, mergeGroup, profileGroups, type ProfileGroup } from "./profile-groups.js";
import { inSegmentOf, type SegmentJob } from "../segment/segment-job.js";
import { membershipsOf } from "./run-segment-job.js";
import { priorMemberships, segmentIdsByName } from "./segment-shard.js";
import type { Sandbox } from "./sandbox.js";

export class ExplainError extends ProfileLabError {
  override readonly name = "ExplainError";
}

export interface FragmentSource {
  datasetId: string;
  datasetName: string;
  file: string;
  line: number;
  ingestTime: string;
  /** extSourceSystemAudit.lastUpdatedDate of the record, when it has one (as written; epoch ms as RFC 3339). */
  customTimestamp?: string;
}

export interface FieldExplanation {
  path: string;
  value: Json;
  source: FragmentSource;
  /** Values other fragments or earlier records gave the field, most recent loser first. */
  losing: { value: Json; source: FragmentSource }[];
}

/**
 * A PQL trace node as explain shows it: a time reference's value (`time` set) is ISO 8601 text, `YYYY-MM-DD`
 * for a `date` and RFC 3339 for a `date-time`, instead of the epoch milliseconds PQL computes with.
 */
export interface TraceExplanation {
  readonly text: string;
  readonly value: Json;
  readonly time?: PqlTimeKind;
  readonly children: readonly TraceExplanation[];
}

/**
 * Where explain's clock came from: the caller's asOf (the CLI's `--as-of`), the asOf of the last SUCCEEDED
 * segment job (whose memberships are stored), the sandbox's referenceTime, or the wall clock when there is
 * neither.
 */
export type AsOfSource = "--as-of" | `last segment job ${string}` | "sandbox referenceTime" | "now";

export interface SegmentExplanation {
  segmentId: string;
  name: string;
  expression: string;
  qualifies: boolean;
  /** Each sub-expression evaluated in the profile's context, with its value. */
  trace: TraceExplanation;
  before: SegmentMembershipEntry | null;
  after: SegmentMembershipEntry | null;
}

export interface Explanation {
  identity: string;
  /** The policy the profile was merged under; null when the sandbox has no default policy and none was asked for (M15). */
  mergePolicy: { id: string; name: string; identityGraph: string; attributeMerge: string } | null;
  profileKey: string;
  identities: string[];
  /** Records in the order the merge applied them: the last one to set a field wins it. */
  fragments: (FragmentSource & { data: JsonObject })[];
  fields: FieldExplanation[];
  /** The merged entity with the memberships the store holds for it; null when nothing was merged (M15). */
  merged: JsonObject | null;
  events: { count: number; first: string | null; last: string | null };
  segments: SegmentExplanation[];
  /** The instant the segments were evaluated at (PQL `now`), RFC 3339. */
  asOf: string;
  asOfSource: AsOfSource;
}

export interface ExplainOptions {
  /** `Namespace:id`, e.g. `CRMID:c1` (namespaces compare case-insensitively). */
  readonly identity: string;
  readonly segmentId?: string;
  readonly mergePolicyId?: string;
  /**
   * The evaluation clock, epoch ms. Omitted: the asOf of the sandbox's last SUCCEEDED segment job, so that the
   * transitions shown are those the next job at that instant would make; else the sandbox's referenceTime;
   * else `clock()`.
   */
  readonly asOf?: number;
  readonly statusModel: StatusModel;
  /** The wall clock, read only when there is no asOf, segment job or referenceTime; injectable for tests. */
  readonly clock?: () => number;
}

/** What explainGroup needs: a resolved clock and where it came from (default `--as-of`: the caller's). */
export interface ExplainGroupOptions {
  readonly identity?: string;
  readonly segmentId?: string;
  readonly asOf: number;
  readonly asOfSource?: AsOfSource;
  readonly statusModel: StatusModel;
}

function sourceOf(sandbox: Sandbox, r: RecordFragment): FragmentSource {
  const audit = r.data["extSourceSystemAudit"];
  const custom = typeof audit === "object" && audit !== null && !Array.isArray(audit) ? audit["lastUpdatedDate"] : undefined;
  // The merge reads a number here as epoch ms: show it as the time it stands for.
  const customTimestamp = typeof custom === "string" ? custom : typeof custom === "number" && Number.isFinite(custom) ? formatDateTime(custom) : undefined;
  return {
    datasetId: r.datasetId,
    datasetName: sandbox.datasets.find((d) => d.entry.id === r.datasetId)?.entry.name ?? r.datasetId,
    file: r.file,
    line: r.line,
    ingestTime: formatDateTime(r.ingestTime),
    ...(customTimestamp !== undefined ? { customTimestamp } : {}),
  };
}

/** A time value as ISO 8601: `YYYY-MM-DD` for a UTC day, RFC 3339 in UTC for an instant. */
function isoTime(ms: number, kind: PqlTimeKind): string {
  const text = formatDateTime(ms);
  return kind === "date" ? text.slice(0, text.indexOf("T")) : text;
}

/** The trace with time references shown as ISO 8601 text; every other value as PQL computed it. */
function traceForDisplay(node: PqlTraceNode): TraceExplanation {
  const children = node.children.map(traceForDisplay);
  if (node.time === undefined || typeof node.value !== "number" || !Number.isFinite(node.value)) return { text: node.text, value: node.value, children };
  return { text: node.text, value: isoTime(node.value, node.time), time: node.time, children };
}

/**
 * The clock explain evaluates at when the caller gives none: the asOf of the last SUCCEEDED segment job (the
 * one whose memberships are stored), else the sandbox's referenceTime, else now.
 */
function resolveAsOf(sandbox: Sandbox, options: ExplainOptions): { asOf: number; asOfSource: AsOfSource } {
  if (options.asOf !== undefined) return { asOf: options.asOf, asOfSource: "--as-of" };
  const state = new SandboxState(sandbox.dir);
  // A sandbox no job has run in has no state database: explain does not create one.
  const last = existsSync(state.databaseFile) ? state.records<SegmentJob>("segment-jobs").all().findLast((j) => j.status === "SUCCEEDED") : undefined;
  const jobAsOf = last?.properties?.asOf === undefined ? undefined : parseDateTime(last.properties.asOf);
  if (last !== undefined && jobAsOf !== undefined) return { asOf: jobAsOf, asOfSource: `last segment job ${last.id}` };
  const reference = sandbox.manifest.referenceTime === undefined ? undefined : parseDateTime(sandbox.manifest.referenceTime);
  if (reference !== undefined) return { asOf: reference, asOfSource: "sandbox referenceTime" };
  return { asOf: (options.clock ?? Date.now)(), asOfSource: "now" };
}

function parseIdentity(text: string): string {
  const i = text.indexOf(":");
  if (i <= 0 || i === text.length - 1) throw new ExplainError("EXP-X001", `--identity must be Namespace:id (e.g. CRMID:c1), not "${text}"`);
  return identityKey(text.slice(0, i), text.slice(i + 1));
}

/** Why the identity is not a profile under the policy, as an error a user can act on. */
function notFound(sandbox: Sandbox, data: SandboxData, policy: MergePolicy, key: string, identity: string): ExplainError {
  const anywhere = [...data.records, ...data.events].filter((f) => f.identities.includes(key));
  if (anywhere.length === 0) return new ExplainError("EXP-X002", `no record or event carries the identity ${identity}`);
  const excluded = anywhere.filter((f) => !policyIncludesDataset(policy, f.datasetId));
  if (excluded.length === anywhere.length) {
    const names = [...new Set(excluded.map((f) => sandbox.datasets.find((d) => d.entry.id === f.datasetId)?.entry.name ?? f.datasetId))];
    return new ExplainError("EXP-X003", `no profile for ${identity} under merge policy "${policy.id}": its data is only in ${names.join(", ")}, which the policy's dataset order leaves out`);
  }
  if (policy.identityGraph.type === "none") {
    return new ExplainError(
      "EXP-X004",
      `no profile for ${identity} under merge policy "${policy.id}": with identity graph "none", fragments are found by their primary identity, and ${identity} is only a secondary identity in ${anywhere.length} record(s) or event(s)`,
    );
  }
  return new ExplainError("EXP-X005", `the profile of ${identity} is excluded: its identity graph has more than ${IDENTITY_GRAPH_LIMIT} identities`);
}

/**
 * M9 with `noneLookup: "anyIdentity"`: under identity graph `none`, the fragments that carry the identity
 * anywhere in their identityMap, merged as one profile.
 */
function secondaryLookup(sandbox: Sandbox, data: SandboxData, policy: MergePolicy, key: string): ProfileGroup | undefined {
  if (policy.identityGraph.type !== "none" || sandbox.conventions.noneLookup !== "anyIdentity") return undefined;
  const carries = (f: { identities: readonly string[]; datasetId: string }): boolean => f.identities.includes(key) && policyIncludesDataset(policy, f.datasetId);
  const records = data.records.filter(carries);
  const events = data.events.filter(carries).sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
  if (records.length === 0 && events.length === 0) return undefined;
  return { key, hash: hashKey(key), component: key, componentHash: hashKey(key), records, events, identities: [key] };
}

/** Explains one profile group (the bulk form used by tests and by `explain`). */
export function explainGroup(
  sandbox: Sandbox,
  group: ProfileGroup,
  policy: MergePolicy,
  memberships: MembershipSnapshot,
  options: ExplainGroupOptions,
): Explanation {
  const writes = new Map<string, { value: Json; record: RecordFragment }[]>();
  const merged = mergeGroup(group, policy, sandbox.conventions, (path, value, record) => {
    const list = writes.get(path);
    if (list) list.push({ value, record });
    else writes.set(path, [{ value, record }]);
  });
  const fields: FieldExplanation[] = [...writes].map(([path, list]) => {
    const winner = list[list.length - 1]!;
    const same = JSON.stringify(winner.value);
    return {
      path,
      value: winner.value,
      source: sourceOf(sandbox, winner.record),
      losing: list
        .slice(0, -1)
        .reverse()
        .filter((w) => JSON.stringify(w.value) !== same)
        .map((w) => ({ value: w.value, source: sourceOf(sandbox, w.record) })),
    };
  });
  const prior = priorMemberships(memberships, group);
  const chosen = sandbox.segments.filter((s) =>
    options.segmentId === undefined ? sandbox.policies.find(s.definition.mergePolicyId ?? sandbox.policies.default.id) === policy : s.definition.id === options.segmentId,
  );
  const context = { profile: merged.entity, events: group.events.map((e) => e.data), now: options.asOf, inSegment: inSegmentOf(prior, segmentIdsByName(sandbox)) };
  const entity: JsonObject = { ...merged.entity };
  const segmentMembership = membershipsOf(sandbox, prior, group, options.asOf);
  if (Object.keys(segmentMembership).length > 0) entity["segmentMembership"] = segmentMembership as unknown as JsonObject;
  const displayIdentities = Object.entries(identityMapOf(merged.entity) ?? {}).flatMap(([ns, items]) => items.map((i) => `${ns}:${i.id}`));
  return {
    identity: options.identity ?? group.key,
    mergePolicy: { id: policy.id, name: policy.name, identityGraph: policy.identityGraph.type, attributeMerge: policy.attributeMerge.type },
    profileKey: group.key,
    identities: displayIdentities.length ? displayIdentities : group.identities,
    fragments: applicationOrder(group.records, policy, sandbox.conventions).map((r) => ({ ...sourceOf(sandbox, r), data: r.data })),
    fields,
    merged: entity,
    events: {
      count: group.events.length,
      first: group.events.length ? formatDateTime(group.events[0]!.timestamp) : null,
      last: group.events.length ? formatDateTime(group.events[group.events.length - 1]!.timestamp) : null,
    },
    segments: chosen.map((s) => {
      const qualifies = s.predicate(context);
      const { format, value } = s.definition.expression;
      const trace = tracePql(format === "pql/json" ? pqlJsonToAst(value, s.file) : parsePql(value, s.file), context);
      const before = prior.get(s.definition.id);
      const after = nextMembership(before, qualifies, options.asOf, options.statusModel, String(s.definition.version ?? 1), sandbox.conventions);
      return {
        segmentId: s.definition.id,
        name: s.definition.name,
        expression: s.definition.expression.value,
        qualifies,
        trace: traceForDisplay(trace),
        before: before ?? null,
        after: after ?? null,
      };
    }),
    asOf: formatDateTime(options.asOf),
    asOfSource: options.asOfSource ?? "--as-of",
  };
}

/** Explains the profile of one identity under a merge policy (default: the segment's, else the sandbox default). */
export async function explain(sandbox: Sandbox, options: ExplainOptions): Promise<Explanation> {
  const key = parseIdentity(options.identity);
  const segment = options.segmentId === undefined ? undefined : sandbox.segments.find((s) => s.definition.id === options.segmentId);
  if (options.segmentId !== undefined && segment === undefined) {
    throw new SegmentError("SEG-J001", `unknown segment "${options.segmentId}"; known segments: ${sandbox.segments.map((s) => s.definition.id).join(", ") || "none"}`);
  }
  const policyId = options.mergePolicyId ?? segment?.definition.mergePolicyId;
  const when = resolveAsOf(sandbox, options);
  const data = await loadSandboxData(sandbox);
  if (policyId === undefined && !sandbox.policies.hasDefault) return unmerged(sandbox, data, key, options.identity, when);
  const policy = policyId === undefined ? sandbox.policies.default : sandbox.policies.get(policyId);
  const group = profileGroups(data, policy).groups.find((g) => g.key === key || g.identities.includes(key)) ?? secondaryLookup(sandbox, data, policy, key);
  if (group === undefined) throw notFound(sandbox, data, policy, key, options.identity);
  return explainGroup(sandbox, group, policy, await new SandboxState(sandbox.dir).membership.readAll(), { ...options, ...when });
}

/** M15: without a default policy (and none asked for), a lookup returns the fragments unmerged and unstitched. */
function unmerged(sandbox: Sandbox, data: SandboxData, key: string, identity: string, when: { asOf: number; asOfSource: AsOfSource }): Explanation {
  const records = data.records.filter((r) => r.primary === key);
  if (records.length === 0) throw new ExplainError("EXP-X002", `no record has the primary identity ${identity}`);
  return {
    identity,
    mergePolicy: null,
    profileKey: key,
    identities: [key],
    fragments: records.map((r) => ({ ...sourceOf(sandbox, r), data: r.data })),
    fields: [],
    merged: null,
    events: { count: 0, first: null, last: null },
    segments: [],
    asOf: formatDateTime(when.asOf),
    asOfSource: when.asOfSource,
  };
}
