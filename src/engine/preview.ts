/**
 * Preview and estimate, as the platform's `/preview` and `/estimate` answer them, without state: one segment
 * (a sandbox's, or a PQL given on the spot) evaluated in memory over the sandbox's data from its stored
 * memberships (read only, for `inSegment` and the statuses), so nothing under `.profile-lab/` is written.
 * Preview lists members with the profile fields the PQL reads; estimate evaluates a sample of profiles and
 * scales what it found, with a standard error, as the platform does.
 */
import { childrenOf, type PqlExpr } from "../pql/ast.js";
import { compileSegmentExpression, parsePql, pqlJsonToAst } from "../pql/index.js";
import { projectionOf, projectRow } from "../export/projection.js";
import { memberStatuses, type StatusModel } from "../segment/membership.js";
import { SandboxState } from "../store/sandbox-state.js";
import { PROFILE_SCHEMA_NAME, type JsonObject, type MergePolicy, type SegmentDefinition, type SegmentMembership } from "../xdm/types.js";
import { evaluate, EvaluateError, type Evaluation, type Memberships } from "./evaluate.js";
import { loadSandboxData, type SandboxData } from "./load-data.js";
import { hashKey, profileGroups } from "./profile-groups.js";
import { findSegment, type Sandbox } from "./sandbox.js";

/** The id an ad-hoc PQL is evaluated under. */
export const PREVIEW_SEGMENT_ID = "preview";

export interface PreviewOptions {
  /** A PQL text to evaluate, or a segment of the sandbox by id or exact name (one of the two). */
  readonly pql?: string;
  readonly segment?: string;
  /** Merge under this policy (id or name); default: the segment's, else the sandbox default. */
  readonly mergePolicy?: string;
  /** PQL's `now`, epoch ms. */
  readonly asOf: number;
  readonly statusModel?: StatusModel;
}

/** `GET /preview/{id}`'s answer (state, page, link, results) with the audience size and members per namespace. */
export interface PreviewResult {
  readonly state: "RESULT_READY";
  readonly page: { readonly offset: 0; readonly limit: number; readonly count: number };
  readonly link: { readonly next: "" };
  /** Members, each its profile key as `objectId`, its identityMap and the fields the PQL reads. */
  readonly results: readonly JsonObject[];
  /** Not a platform field: the whole audience's size. */
  readonly size: number;
  /** Not a platform field: members per identity namespace. */
  readonly namespaceCounts: Readonly<Record<string, number>>;
  readonly predicateExpression: string;
  readonly mergePolicyId: string;
  readonly graphType: string;
  /** RFC 3339. */
  readonly asOf: string;
}

/** `GET /estimate/{id}`'s answer; `confidenceRange` (the 95 % interval of the size) is ours. */
export interface EstimateResult {
  readonly state: "RESULT_READY";
  readonly estimatedSize: number;
  /** Profiles of the sandbox under the policy (all the estimate could read). */
  readonly numRowsToRead: number;
  readonly totalRows: number;
  readonly profilesReadSoFar: number;
  readonly profilesMatchedSoFar: number;
  readonly standardError: number;
  readonly confidenceInterval: "95%";
  readonly confidenceRange: readonly [number, number];
  readonly estimatedNamespaceDistribution: readonly { readonly namespaceId: string; readonly profilesMatchedSoFar: number }[];
  readonly predicateExpression: string;
  readonly mergePolicyId: string;
  readonly asOf: string;
}

/**
 * Profile field paths an expression reads: chains of field lookups on the profile itself (not inside a filter,
 * a lambda or a chain step, whose implicit context is an element), `xEvent` aside.
 */
export function profilePaths(ast: PqlExpr): string[] {
  const paths = new Set<string>();
  const visit = (node: PqlExpr, profileLevel: boolean): void => {
    if (node.nodeType === "fieldLookup") {
      const names: string[] = [];
      let root: PqlExpr = node;
      while (root.nodeType === "fieldLookup") {
        names.unshift(root.fieldName);
        root = root.object;
      }
      if (root.nodeType === "implicitContext") {
        if (profileLevel && names[0] !== "xEvent") paths.add(names.join("."));
        return;
      }
      visit(root, profileLevel);
      return;
    }
    if (node.nodeType === "filter") {
      visit(node.array, profileLevel);
      visit(node.condition, false);
      return;
    }
    const elementLevel = node.nodeType === "lambda" || node.nodeType === "chain";
    for (const child of childrenOf(node)) visit(child, profileLevel && !elementLevel);
  };
  visit(ast, true);
  return [...paths].sort();
}

/** What preview and estimate evaluate: the sandbox with the segment, its id, text and policy. */
interface Target {
  readonly sandbox: Sandbox;
  readonly segmentId: string;
  readonly expression: string;
  readonly ast: PqlExpr;
  readonly policy: MergePolicy;
}

function targetOf(sandbox: Sandbox, options: PreviewOptions): Target {
  if ((options.pql === undefined) === (options.segment === undefined)) throw new EvaluateError("EVAL-005", "give a PQL expression or a segment (id or name), not both or neither");
  const policyNamed = (ref: string): MergePolicy => sandbox.policies.find(ref) ?? sandbox.policies.all().find((p) => p.name === ref) ?? sandbox.policies.get(ref);
  if (options.pql !== undefined) {
    // Compiled as text (not inside a definition's JSON), so a PQL error points into --pql itself.
    const predicate = compileSegmentExpression(options.pql, { profile: sandbox.profileType, event: sandbox.eventType }, "--pql");
    const policy = options.mergePolicy === undefined ? sandbox.policies.default : policyNamed(options.mergePolicy);
    const definition: SegmentDefinition = {
      id: PREVIEW_SEGMENT_ID,
      name: PREVIEW_SEGMENT_ID,
      schema: { name: PROFILE_SCHEMA_NAME },
      expression: { type: "PQL", format: "pql/text", value: options.pql },
      mergePolicyId: policy.id,
      version: 1,
    };
    const segments = [...sandbox.segments.filter((s) => s.definition.id !== PREVIEW_SEGMENT_ID), { definition, file: "--pql", predicate }];
    return { sandbox: { ...sandbox, segments }, segmentId: PREVIEW_SEGMENT_ID, expression: options.pql, ast: parsePql(options.pql, "--pql"), policy };
  }
  const segment = findSegment(sandbox, options.segment!);
  if (segment === undefined) {
    const known = sandbox.segments.map((s) => `${s.definition.id} (${s.definition.name})`).join(", ");
    throw new EvaluateError("EVAL-004", `unknown segment "${options.segment}" (neither an id nor a name); known segments: ${known || "none"}`);
  }
  const { format, value } = segment.definition.expression;
  const ownPolicy = segment.definition.mergePolicyId;
  const policy = options.mergePolicy !== undefined ? policyNamed(options.mergePolicy) : ownPolicy !== undefined ? sandbox.policies.get(ownPolicy) : sandbox.policies.default;
  const ast = format === "pql/json" ? pqlJsonToAst(value, segment.file) : parsePql(value, segment.file);
  const segments = sandbox.segments.map((s) => (s === segment ? { ...s, definition: { ...s.definition, mergePolicyId: policy.id } } : s));
  return { sandbox: { ...sandbox, segments }, segmentId: segment.definition.id, expression: value, ast, policy };
}

/** The stored memberships (read only: a sandbox no segment job ran in has none), as the in-memory API takes them. */
async function storedMemberships(sandbox: Sandbox): Promise<Memberships> {
  const snapshot = await new SandboxState(sandbox.dir).membership.readAll();
  return Object.fromEntries([...snapshot].map(([key, ups]) => [key, { ups: Object.fromEntries(ups) } as SegmentMembership]));
}

async function evaluateTarget(target: Target, data: SandboxData, options: PreviewOptions): Promise<Evaluation> {
  return evaluate(target.sandbox, data, {
    asOf: options.asOf,
    segments: [target.segmentId],
    prior: await storedMemberships(target.sandbox),
    ...(options.statusModel ? { statusModel: options.statusModel } : {}),
  });
}

/** The members of the segment (at most `limit` listed) with the fields its PQL reads, the size and the counts per namespace. */
export async function preview(sandbox: Sandbox, options: PreviewOptions & { readonly limit: number }): Promise<PreviewResult> {
  const target = targetOf(sandbox, options);
  const evaluation = await evaluateTarget(target, await loadSandboxData(sandbox), options);
  const members = memberStatuses(evaluation.statusModel);
  const projection = projectionOf(["identityMap", ...profilePaths(target.ast)]);
  const results: JsonObject[] = [];
  for (const p of evaluation.profiles) {
    if (results.length >= options.limit) break;
    const entry = (p.profile["segmentMembership"] as SegmentMembership | undefined)?.["ups"]?.[target.segmentId];
    if (entry !== undefined && members.includes(entry.status)) results.push({ objectId: p.key, ...projectRow(p.profile, projection) });
  }
  const result = evaluation.segments[0]!;
  return {
    state: "RESULT_READY",
    page: { offset: 0, limit: options.limit, count: results.length },
    link: { next: "" },
    results,
    size: result.size,
    namespaceCounts: result.byNamespace,
    predicateExpression: target.expression,
    mergePolicyId: target.policy.id,
    graphType: target.policy.identityGraph.type,
    asOf: evaluation.asOf,
  };
}

/** The platform's sample size for a profile store of `total` profiles: all under 1M, 1M up to 20M, 5 % above. */
export function sampleSizeFor(total: number): number {
  if (total < 1_000_000) return total;
  return total <= 20_000_000 ? 1_000_000 : Math.ceil(total * 0.05);
}

/** 1.96: the two-sided 95 % quantile of the normal distribution. */
const Z95 = 1.959963984540054;

/**
 * The segment's size estimated from a sample of profiles: those whose identity-graph component hashes below
 * the sample's share of the hash space (so a profile is in or out whole, and the same sample is read every
 * time), `sampleSize` profiles by default as the platform sizes it (sampleSizeFor). The standard error is
 * that of a proportion with the finite-population correction, scaled to the whole.
 */
export async function estimate(sandbox: Sandbox, options: PreviewOptions & { readonly sampleSize?: number }): Promise<EstimateResult> {
  const target = targetOf(sandbox, options);
  const data = await loadSandboxData(sandbox);
  const total = profileGroups(data, target.policy).groups.length;
  const wanted = Math.min(total, options.sampleSize ?? sampleSizeFor(total));
  const share = total === 0 ? 1 : wanted / total;
  const inSample = (f: { readonly component: string }): boolean => share >= 1 || hashKey(f.component) < share * 2 ** 32;
  const sample: SandboxData = share >= 1 ? data : { records: data.records.filter(inSample), events: data.events.filter(inSample) };
  const evaluation = await evaluateTarget(target, sample, options);
  const read = evaluation.profiles.length;
  const result = evaluation.segments[0]!;
  const matched = result.size;
  const p = read === 0 ? 0 : matched / read;
  const scale = read === 0 ? 0 : total / read;
  const correction = total > 1 ? (total - read) / (total - 1) : 0;
  const standardError = read === 0 ? 0 : total * Math.sqrt(((p * (1 - p)) / read) * correction);
  const estimatedSize = Math.round(matched * scale);
  return {
    state: "RESULT_READY",
    estimatedSize,
    numRowsToRead: total,
    totalRows: total,
    profilesReadSoFar: read,
    profilesMatchedSoFar: matched,
    standardError: Math.round(standardError),
    confidenceInterval: "95%",
    confidenceRange: [Math.max(0, Math.round(estimatedSize - Z95 * standardError)), Math.min(total, Math.round(estimatedSize + Z95 * standardError))],
    estimatedNamespaceDistribution: Object.entries(result.byNamespace).map(([namespaceId, n]) => ({ namespaceId, profilesMatchedSoFar: n })),
    predicateExpression: target.expression,
    mergePolicyId: target.policy.id,
    asOf: evaluation.asOf,
  };
}
