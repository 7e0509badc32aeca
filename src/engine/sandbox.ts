/**
 * A sandbox opened for work: its datasets classified by XDM class, the union schemas of profiles and events,
 * the merge policies and the compiled segment definitions. Everything is validated up front, before any data
 * file is read, so a bad definition fails fast with its file and JSON path.
 */
import { readSandboxFiles, type JsonDocument, type SandboxFiles } from "../io/sandbox-files.js";
import { EXPERIENCE_EVENT_CLASS, PROFILE_CLASS, type DatasetEntry, type SandboxManifest } from "../io/sandbox-manifest.js";
import { parseConventions, type Conventions } from "./conventions.js";
import { SandboxError } from "./sandbox-error.js";
import { MergePolicies } from "../merge/merge-policy.js";
import type { PqlSchema, SegmentCheck } from "../pql/index.js";
import { checkSegmentDefinition, compileSegment, type CompiledSegment } from "../segment/segment-definition.js";
import { parseExternalAudiences, type ExternalAudiences } from "../segment/external-audiences.js";
import { SegmentError } from "../segment/segment-error.js";
import { unionOf, type XdmSchema } from "../xdm/schema.js";
import { PROFILE_UNION_SCHEMA_ID, type SegmentDefinition } from "../xdm/types.js";
import type { XdmObject } from "../xdm/xdm-type.js";

export type DatasetKind = "profile" | "event" | "union";

export interface Dataset {
  readonly entry: DatasetEntry;
  readonly kind: DatasetKind;
  /** The dataset's own schema (undefined for a union-schema export target). */
  readonly schema: XdmSchema | undefined;
}

export interface Sandbox {
  readonly dir: string;
  readonly manifest: SandboxManifest;
  readonly datasets: readonly Dataset[];
  /** Union schema of the profile datasets (the platform's `_xdm.context.profile__union`, system fields aside). */
  readonly profileType: XdmObject;
  /** Union schema of the ExperienceEvent datasets. */
  readonly eventType: XdmObject;
  readonly policies: MergePolicies;
  /** How merge and memberships settle the points the platform leaves open (`conventions` in sandbox.json). */
  readonly conventions: Conventions;
  readonly segments: readonly CompiledSegment[];
  readonly exportRequests: readonly JsonDocument[];
  /** External audiences' memberships, by identity. */
  readonly externalAudiences: ExternalAudiences;
}

function classify(entry: DatasetEntry, index: number, schemas: ReadonlyMap<string, XdmSchema>, file: string): Dataset {
  if (entry.schemaRef.id === PROFILE_UNION_SCHEMA_ID) return { entry, kind: "union", schema: undefined };
  const schema = schemas.get(entry.schemaRef.id);
  const jsonPath = `$.datasets[${index}].schemaRef.id`;
  if (schema === undefined) {
    throw new SandboxError("SBX-001", `dataset "${entry.name}" references schema "${entry.schemaRef.id}", which is not in schemas/`, { file, jsonPath });
  }
  if (schema.xdmClass === PROFILE_CLASS) return { entry, kind: "profile", schema };
  if (schema.xdmClass === EXPERIENCE_EVENT_CLASS) return { entry, kind: "event", schema };
  throw new SandboxError(
    "SBX-002",
    `schema "${schema.id}" has meta:class "${schema.xdmClass}"; datasets hold ${PROFILE_CLASS} or ${EXPERIENCE_EVENT_CLASS}`,
    { file: schema.file, jsonPath: "$['meta:class']" },
  );
}

interface Definitions {
  readonly files: ReturnType<typeof readSandboxFiles>;
  readonly datasets: Dataset[];
  readonly profileType: XdmObject;
  readonly eventType: XdmObject;
  readonly policies: MergePolicies;
  readonly conventions: Conventions;
}

/** Everything but the segments, validated. */
function readDefinitions(dir: string): Definitions {
  return definitionsOf(readSandboxFiles(dir));
}

function definitionsOf(files: SandboxFiles): Definitions {
  const manifestFile = `${files.dir}/sandbox.json`;
  const datasets = files.manifest.datasets.map((d, i) => classify(d, i, files.schemas, manifestFile));
  const typesOf = (kind: DatasetKind): XdmObject[] => datasets.filter((d) => d.kind === kind).map((d) => d.schema!.type);
  return {
    files,
    datasets,
    profileType: unionOf(typesOf("profile")),
    eventType: unionOf(typesOf("event")),
    policies: new MergePolicies(files.mergePolicies, new Set(datasets.map((d) => d.entry.id))),
    conventions: parseConventions(files.manifest.conventions, manifestFile),
  };
}

/**
 * Opens and validates a sandbox directory (definitions only; data is streamed by the jobs). With
 * `segments: false` its segment definitions are left out, for work on the data alone (`check --data`), which
 * a broken definition must not stop.
 */
export function openSandbox(dir: string, options: { readonly segments?: boolean } = {}): Sandbox {
  return sandboxOf(readSandboxFiles(dir), options);
}

/** A sandbox from definitions already read (from a folder, or given as values by the in-memory API), validated as openSandbox does. */
export function sandboxOf(sandboxFiles: SandboxFiles, options: { readonly segments?: boolean } = {}): Sandbox {
  const { files, datasets, profileType, eventType, policies, conventions } = definitionsOf(sandboxFiles);
  const schema: PqlSchema = { profile: profileType, event: eventType };
  const segments = options.segments === false ? [] : files.segments.map((doc) => compileSegment(doc, schema));
  const ids = new Map<string, string>();
  for (const s of segments) {
    const prev = ids.get(s.definition.id);
    if (prev) throw new SegmentError("SEG-D004", `segment id "${s.definition.id}" is also defined in ${prev}`, { file: s.file, jsonPath: "$.id" });
    ids.set(s.definition.id, s.file);
    if (s.definition.mergePolicyId !== undefined) policies.get(s.definition.mergePolicyId, { file: s.file, jsonPath: "$.mergePolicyId" });
  }
  const externalAudiences = parseExternalAudiences(files.audiences);
  return { dir: files.dir, manifest: files.manifest, datasets, profileType, eventType, policies, conventions, segments, exportRequests: files.exportRequests, externalAudiences };
}

/** The segment with this id, or else this exact name; undefined when none has either. */
export function findSegment(sandbox: Sandbox, ref: string): CompiledSegment | undefined {
  return sandbox.segments.find((s) => s.definition.id === ref) ?? sandbox.segments.find((s) => s.definition.name === ref);
}

export interface SegmentCheckResult {
  readonly file: string;
  readonly definition: SegmentDefinition;
  readonly check: SegmentCheck;
  /** The union schemas the definition was checked against. */
  readonly schema: PqlSchema;
}

/** Checks every segment definition of a sandbox (or those with the given ids or exact names), reporting all errors at once. */
export function checkSandboxSegments(dir: string, ids?: readonly string[]): SegmentCheckResult[] {
  const { files, profileType, eventType } = readDefinitions(dir);
  const schema = { profile: profileType, event: eventType };
  const results = files.segments.map((doc): SegmentCheckResult => ({ file: doc.file, ...checkSegmentDefinition(doc, schema), schema }));
  if (ids === undefined || ids.length === 0) return results;
  return ids.map((id) => {
    const found = results.find((r) => r.definition.id === id) ?? results.find((r) => r.definition.name === id);
    if (found === undefined) throw new SegmentError("SEG-J001", `unknown segment "${id}"; known segments: ${results.map((r) => r.definition.id).join(", ") || "none"}`);
    return found;
  });
}

/** The dataset with this id, or undefined. */
export function findDataset(sandbox: Sandbox, id: string): Dataset | undefined {
  return sandbox.datasets.find((d) => d.entry.id === id);
}
