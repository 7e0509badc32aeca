/**
 * The in-memory API: segments evaluated over fragments and events given as values — no folder, no disk. It
 * lives in the engine because it orchestrates the same stages a segment job does (rows validated as fragments,
 * identities, merge, every segment of a policy decided at once, memberships moved on) by calling the job's
 * own functions (`evaluateProfiles` is the loop a job's shard runs), so a result here is what a segment job
 * over the same data, memberships and `asOf` would store. Segment tests (src/testing/) run on it.
 */
import { identityKey, type IdentityKey } from "../identity/identity-key.js";
import type { JsonDocument, SandboxFiles } from "../io/sandbox-files.js";
import type { DatasetEntry } from "../io/sandbox-manifest.js";
import type { EventFragment, RecordFragment } from "../merge/fragment.js";
import type { StatusModel } from "../segment/membership.js";
import type { MembershipSnapshot } from "../store/membership-store.js";
import { ProfileLabError } from "../xdm/errors.js";
import { schemaFromJson, type XdmSchema } from "../xdm/schema.js";
import { formatDateTime, parseDateTime } from "../xdm/time.js";
import { UPS_NAMESPACE, type Json, type JsonObject, type MergePolicy, type SegmentMembership, type SegmentMembershipEntry } from "../xdm/types.js";
import { explainGroup, type Explanation } from "./explain.js";
import { componentSteps, tagged, toFragment, type SandboxData } from "./load-data.js";
import { unpaced } from "./job-progress.js";
import { mergeGroup, profileGroups, type ProfileGroup } from "./profile-groups.js";
import { membershipsOf } from "./run-segment-job.js";
import { findSegment, sandboxOf, type Sandbox } from "./sandbox.js";
import { evaluateProfiles, segmentPlan, type SegmentPlan } from "./segment-shard.js";

export class EvaluateError extends ProfileLabError {
  override readonly name = "EvaluateError";
}

/** Where the in-memory API's inputs are named in error locations. */
export const IN_MEMORY = "(in memory)";

/** A dataset of an in-memory sandbox: what sandbox.json says of it, without files. */
export interface DatasetInput {
  readonly id: string;
  readonly name?: string;
  /** The `$id` of its schema among `schemas` (its XDM class makes it a profile or an ExperienceEvent dataset). */
  readonly schemaId: string;
  /** The namespace of a row's primary identity when no identityMap item is flagged `primary: true`. */
  readonly primaryIdentityNamespace?: string;
}

/** Everything a sandbox folder defines, as values. */
export interface SandboxDefinition {
  readonly name?: string;
  /**
   * XDM JSON Schemas, each with `$id` and `meta:class`; a dataset names its own. One union schema that every
   * profile dataset names (and one for the events) is enough.
   */
  readonly schemas: readonly Json[];
  readonly datasets: readonly DatasetInput[];
  /** Merge policies, the platform's JSON; none: the system default (time-based, no stitching). */
  readonly mergePolicies?: readonly Json[];
  /** Segment definitions, the platform's JSON, or PQL text (then its id and name are `segment-<n>`, from 1). */
  readonly segments: readonly (Json | string)[];
  /** The switches of sandbox.json's `conventions`. */
  readonly conventions?: Readonly<Record<string, string>>;
}

/** A dataset's rows (profile records or ExperienceEvents), each as a data file's line holds it, `_acp_system_metadata.ingestTime` included. */
export interface DatasetRows {
  readonly datasetId: string;
  readonly rows: readonly Json[];
  /** Named in the errors of bad rows and in explain's fragment sources; default `(in memory) <datasetId>`. */
  readonly file?: string;
  /** The line each row is written at in `file`; default its index + 1. */
  readonly lines?: readonly number[];
}

/** Profile key (`namespace:id`, the namespace lower-cased) → the profile's segmentMembership. */
export type Memberships = Readonly<Record<string, SegmentMembership>>;

export interface EvaluateOptions {
  /** The evaluation clock: PQL's `now` and the lastQualificationTime of changes (epoch ms or RFC 3339). */
  readonly asOf: number | string;
  /** `legacy` (default): realized → existing → exited; `current`: realized → exited. */
  readonly statusModel?: StatusModel;
  /** Evaluate every segment under this merge policy instead of its own (as the platform's preview does). */
  readonly mergePolicyId?: string;
  /** Segment ids or exact names; default (or empty) every segment. */
  readonly segments?: readonly string[];
  /** The memberships before this evaluation, e.g. a previous evaluation's `memberships`; `ups` entries are read. */
  readonly prior?: Memberships;
}

export interface ProfileResult {
  /** The profile key: the primary identity (`none`) or the smallest identity of the graph (`pdg`). */
  readonly key: string;
  readonly mergePolicyId: string;
  /** The merged entity (attributes and the union identityMap) with its segmentMembership after the evaluation. */
  readonly profile: JsonObject;
  /** Identities the profile is found by (keys as `key`): the key under `none`, the whole graph under `pdg`. */
  readonly identities: readonly string[];
}

/** One segment's figures, as a segment job's metrics count them. */
export interface SegmentResult {
  readonly segmentId: string;
  readonly name: string;
  readonly mergePolicyId: string;
  /** Profiles realized or existing after the evaluation (segmentedProfileCounter). */
  readonly size: number;
  readonly byStatus: Partial<Record<SegmentMembershipEntry["status"], number>>;
  readonly byNamespace: Record<string, number>;
}

export interface Evaluation {
  /** RFC 3339. */
  readonly asOf: string;
  readonly statusModel: StatusModel;
  /** Every profile of every merge policy evaluated, in the job's order. */
  readonly profiles: readonly ProfileResult[];
  /** Every profile's segmentMembership after the evaluation: pass it as the next evaluation's `prior`. */
  readonly memberships: Memberships;
  readonly segments: readonly SegmentResult[];
  /** The profile of an identity (`Namespace:id`) under a policy (default: the only or first one evaluated). */
  profileOf(identity: string, mergePolicyId?: string): ProfileResult | undefined;
  /** `explain` for one profile and segment of this evaluation: the trace of its PQL and the transition made. */
  explain(identity: string, segment: string): Explanation | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `Namespace:id` as a key; an identity without both parts is an error. */
export function keyOfIdentity(identity: string, where: { file?: string; jsonPath?: string } = {}): IdentityKey {
  const i = identity.indexOf(":");
  if (i <= 0 || i === identity.length - 1) throw new EvaluateError("EVAL-002", `an identity is Namespace:id (e.g. CRMID:c1), not "${identity}"`, where);
  return identityKey(identity.slice(0, i), identity.slice(i + 1));
}

/**
 * A sandbox made of values, validated as a folder's definitions are (schemas, policies, segments' PQL against the
 * union schemas). It is for `evaluate`: its `dir` is `(in memory)`, not a folder jobs could keep state in.
 */
export function memorySandbox(definition: SandboxDefinition): Sandbox {
  const schemas = new Map<string, XdmSchema>();
  definition.schemas.forEach((doc, i) => {
    const schema = schemaFromJson(doc, `${IN_MEMORY} schemas[${i}]`);
    schemas.set(schema.id, schema);
  });
  const datasets: DatasetEntry[] = definition.datasets.map((d) => ({
    id: d.id,
    name: d.name ?? d.id,
    schemaRef: { id: d.schemaId },
    ...(d.primaryIdentityNamespace !== undefined ? { primaryIdentityNamespace: d.primaryIdentityNamespace } : {}),
  }));
  const docs = (list: readonly Json[] | undefined, what: string): JsonDocument[] => (list ?? []).map((value, i) => ({ file: `${IN_MEMORY} ${what}[${i}]`, value }));
  const segments = definition.segments.map((s, i) => (typeof s === "string" ? pqlSegment(`segment-${i + 1}`, s) : s));
  const name = definition.name ?? "in-memory";
  const files: SandboxFiles = {
    dir: IN_MEMORY,
    manifest: {
      name,
      imsOrgId: "profile-lab@AdobeOrg",
      sandbox: { sandboxId: name, sandboxName: name, type: "development", default: false },
      datasets,
      ...(definition.conventions !== undefined ? { conventions: definition.conventions } : {}),
    },
    schemas,
    mergePolicies: docs(definition.mergePolicies, "mergePolicies"),
    segments: docs(segments, "segments"),
    exportRequests: [],
    audiences: [],
  };
  return sandboxOf(files);
}

/** A segment definition, the platform's JSON, for a PQL text. */
export function pqlSegment(id: string, pql: string, mergePolicyId?: string): JsonObject {
  return { id, name: id, expression: { type: "PQL", format: "pql/text", value: pql }, ...(mergePolicyId !== undefined ? { mergePolicyId } : {}) };
}

/**
 * Rows as fragments, validated against their dataset's schema as a data file's lines are (a bad row throws
 * with its file, line and JSON path), appended to `base` (e.g. a sandbox's own data) and linked into the
 * identity graph of them all.
 */
export function memoryData(sandbox: Sandbox, input: readonly DatasetRows[], base?: SandboxData): SandboxData {
  const records: RecordFragment[] = [...(base?.records ?? [])];
  const events: EventFragment[] = [...(base?.events ?? [])];
  let seq = records.length + events.length;
  input.forEach((d, i) => {
    const dataset = sandbox.datasets.find((x) => x.entry.id === d.datasetId || x.entry.name === d.datasetId);
    if (dataset === undefined || dataset.kind === "union") {
      const known = sandbox.datasets.filter((x) => x.kind !== "union").map((x) => `${x.entry.id} (${x.entry.name})`);
      throw new EvaluateError("EVAL-001", `unknown dataset "${d.datasetId}"; known profile and event datasets: ${known.join(", ") || "none"}`, {
        ...(d.file !== undefined ? { file: d.file } : {}),
        jsonPath: `$[${i}].datasetId`,
      });
    }
    d.rows.forEach((row, r) => {
      const f = tagged(dataset, toFragment(dataset, row, d.file ?? `${IN_MEMORY} ${dataset.entry.id}`, d.lines?.[r] ?? r + 1, seq++));
      if (f.kind === "event") events.push(f.fragment);
      else records.push(f.fragment);
    });
  });
  // The base alone was labelled when it was loaded. With rows added, components are relabelled over all
  // fragments (an inline row can link two of the base's profiles), on copies: the base is shared by every
  // evaluation over it and keeps its own labels.
  if (base !== undefined && records.length + events.length === base.records.length + base.events.length) return base;
  const relabelled = { records: records.map((f) => ({ ...f })), events: events.map((f) => ({ ...f })) };
  unpaced(componentSteps(relabelled.records, relabelled.events));
  return relabelled;
}

function asOfMs(asOf: number | string): number {
  const ms = typeof asOf === "number" ? asOf : parseDateTime(asOf);
  if (ms === undefined || !Number.isFinite(ms)) throw new EvaluateError("EVAL-003", `asOf must be epoch milliseconds or an RFC 3339 date-time, not ${JSON.stringify(asOf)}`);
  return ms;
}

/** The ids of segments named by id or exact name; an unknown one is an error listing the known segments. */
export function segmentIdsOf(sandbox: Sandbox, refs: readonly string[]): string[] {
  return refs.map((ref) => {
    const s = findSegment(sandbox, ref);
    if (s !== undefined) return s.definition.id;
    const known = sandbox.segments.map((c) => `${c.definition.id} (${c.definition.name})`).join(", ");
    throw new EvaluateError("EVAL-004", `unknown segment "${ref}" (neither an id nor a name); known segments: ${known || "none"}`);
  });
}

/** The sandbox with every segment evaluated under `policyId`. */
function underPolicy(sandbox: Sandbox, policyId: string): Sandbox {
  const policy = sandbox.policies.get(policyId, { jsonPath: "$.mergePolicyId" });
  return { ...sandbox, segments: sandbox.segments.map((s) => ({ ...s, definition: { ...s.definition, mergePolicyId: policy.id } })) };
}

/** Memberships as values → the store's snapshot (the `ups` entries, keys normalised), e.g. for an export over an evaluation. */
export function snapshotOf(memberships: Memberships | undefined): MembershipSnapshot {
  const snapshot: MembershipSnapshot = new Map();
  for (const [identity, segmentMembership] of Object.entries(memberships ?? {})) {
    const ups = isObject(segmentMembership) ? segmentMembership[UPS_NAMESPACE] : undefined;
    if (!isObject(ups)) continue;
    snapshot.set(keyOfIdentity(identity, { jsonPath: `$.prior['${identity}']` }), new Map(Object.entries(ups)));
  }
  return snapshot;
}

function valuesOf(snapshot: MembershipSnapshot): Record<string, SegmentMembership> {
  return Object.fromEntries([...snapshot].map(([key, ups]) => [key, { [UPS_NAMESPACE]: Object.fromEntries(ups) }]));
}

/** What explain needs of an evaluated profile. */
interface Kept {
  readonly result: ProfileResult;
  readonly group: ProfileGroup;
  readonly policy: MergePolicy;
}

/** Plans compiled for a sandbox, by policy and segments: a test evaluates the same ones at every run. */
const plans = new WeakMap<Sandbox, Map<string, { readonly evaluated: Sandbox; readonly plan: SegmentPlan }>>();

/** The sandbox as evaluated (every segment under `mergePolicyId` when given) and its compiled plan. */
function planOf(sandbox: Sandbox, mergePolicyId: string | undefined, segments: readonly string[] | undefined): { readonly evaluated: Sandbox; readonly plan: SegmentPlan } {
  let byKey = plans.get(sandbox);
  if (byKey === undefined) plans.set(sandbox, (byKey = new Map()));
  const key = JSON.stringify([mergePolicyId ?? null, segments ?? null]);
  let planned = byKey.get(key);
  if (planned === undefined) {
    const evaluated = mergePolicyId === undefined ? sandbox : underPolicy(sandbox, mergePolicyId);
    planned = { evaluated, plan: segmentPlan(evaluated, segments === undefined ? undefined : segmentIdsOf(evaluated, segments)) };
    byKey.set(key, planned);
  }
  return planned;
}

/** Evaluates the sandbox's segments over `data` at `asOf`, as a segment job would, without writing anything. */
export async function evaluate(sandbox: Sandbox, data: SandboxData, options: EvaluateOptions): Promise<Evaluation> {
  const asOf = asOfMs(options.asOf);
  const statusModel = options.statusModel ?? "legacy";
  const { evaluated, plan } = planOf(sandbox, options.mergePolicyId, options.segments);
  const before = snapshotOf(options.prior);
  const snapshot: MembershipSnapshot = new Map([...before].map(([k, v]) => [k, new Map(v)]));
  const kept: Kept[] = [];
  const shard = { data, prior: snapshot };
  const { counts } = await evaluateProfiles(evaluated, plan, shard, { asOf, statusModel, checkpoint: () => {} }, ({ group, policy, merged, after }) => {
    const profile: JsonObject = { ...merged.entity };
    const segmentMembership = membershipsOf(evaluated, after, group, asOf);
    if (Object.keys(segmentMembership).length > 0) profile["segmentMembership"] = segmentMembership as unknown as JsonObject;
    kept.push({ result: { key: group.key, mergePolicyId: policy.id, profile, identities: group.identities }, group, policy });
  });
  const policyOfSegment = new Map([...plan.byPolicy].flatMap(([policy, list]) => list.map((s) => [s.definition.id, policy.id] as const)));
  const find = (identity: string, mergePolicyId?: string): Kept | undefined => {
    const key = keyOfIdentity(identity);
    const policyId = mergePolicyId ?? kept[0]?.policy.id;
    return kept.find((k) => k.policy.id === policyId && (k.group.key === key || k.group.identities.includes(key)));
  };
  return {
    asOf: formatDateTime(asOf),
    statusModel,
    profiles: kept.map((k) => k.result),
    memberships: valuesOf(snapshot),
    segments: plan.segments.map((s) => {
      const id = s.definition.id;
      return { segmentId: id, name: s.definition.name, mergePolicyId: policyOfSegment.get(id)!, size: counts.segmented[id] ?? 0, byStatus: counts.byStatus[id] ?? {}, byNamespace: counts.byNamespace[id] ?? {} };
    }),
    profileOf: (identity, mergePolicyId) => find(identity, mergePolicyId)?.result,
    explain: (identity, segment) => {
      const s = findSegment(evaluated, segment);
      const k = s === undefined ? undefined : find(identity, policyOfSegment.get(s.definition.id));
      if (s === undefined || k === undefined) return undefined;
      return explainGroup(evaluated, k.group, k.policy, before, { identity, segmentId: s.definition.id, asOf, statusModel });
    },
  };
}

/**
 * The merged entity of an identity's profile under a policy (id; default the sandbox default), without
 * evaluating anything: found as a segment job's groups find it (the profile key, or any identity of its graph).
 */
export function mergedProfileOf(sandbox: Sandbox, data: SandboxData, identity: string, mergePolicyId?: string): JsonObject | undefined {
  const key = keyOfIdentity(identity);
  const policy = mergePolicyId === undefined ? sandbox.policies.default : sandbox.policies.get(mergePolicyId);
  const group = profileGroups(data, policy).groups.find((g) => g.key === key || g.identities.includes(key));
  return group === undefined ? undefined : mergeGroup(group, policy, sandbox.conventions).entity;
}

/** Everything at once: a sandbox and its rows given as values, evaluated at `asOf`. */
export async function evaluateSegments(definition: SandboxDefinition & { readonly data: readonly DatasetRows[] }, options: EvaluateOptions): Promise<Evaluation> {
  const sandbox = memorySandbox(definition);
  return evaluate(sandbox, memoryData(sandbox, definition.data), options);
}
