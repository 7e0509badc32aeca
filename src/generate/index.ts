/**
 * # Sandbox generator
 *
 * `generateSandbox(dir, options)` writes a complete sandbox directory (see `src/io/sandbox-manifest.ts`):
 * `sandbox.json`, one JSON Schema per dataset, JSONL datasets, merge policies, segment definitions and
 * export-job requests. Output is a pure function of the options: a seeded PRNG (`random.ts`), no clock, no
 * Math.random, stable key order — the same options give byte-identical files.
 *
 * ## Data model: one person, several source systems that disagree
 *
 * The generator first imagines `profiles` *persons* (names, birth date, home and previous address, phone,
 * e-mail, 1–3 browsers/devices each with an ECID). It then writes what each source system knows about them,
 * the way real systems know it — partially, at different times, and with conflicting values:
 *
 * | dataset | class | primary identity | who | what conflicts |
 * | --- | --- | --- | --- | --- |
 * | CRM Profiles | profile | CRMID (+ Email, often Phone) | ~90 % | ~15 % have a second, later CRM row (moved house, new phone, new last name); half of those updates are partial; some rows keep a stale copy of the loyalty tier |
 * | Loyalty Members | profile | CRMID | ~50 % | nicknames ("Bob" for "Robert"), accents stripped ("Zoe"), an older city or phone; ingested before or after CRM; ~40 % carry `extSourceSystemAudit.lastUpdatedDate`, often older than the CRM row's ingestion, so custom-timestamp merging flips winners |
 * | Web Sign-ups | profile | Email (+ ECID) | ~30 % | most use their CRM e-mail (linked to CRM through Email under `pdg`); some use another address (linked only through ECID↔CRMID events); some are web-only people |
 * | Web and Commerce Events | experienceevent | ECID (+ CRMID when signed in) | ~85 % active | funnel sessions (page views → product views → cart adds → purchases); ~3 % of events come from anonymous ECIDs that are never linked ("empty" profiles) |
 * | Profile Export | profile union | – | – | the export target, no files |
 *
 * Why it conflicts: a merge policy only matters where fragments disagree. With `identityGraph: none` a
 * profile is the fragments sharing one primary identity, so CRM and loyalty rows (both CRMID) merge but the
 * web sign-up (Email) and the events (ECID) stay separate profiles; with `pdg` the identity graph (CRMID↔Email
 * from CRM rows, Email↔ECID from sign-ups, ECID↔CRMID from signed-in events) stitches them into one person.
 * `timestampOrdered` picks the most recently ingested value (or `lastUpdatedDate` across datasets), so
 * first names, cities and phones change with ingestion order; `dataSetPrecedence` ("Loyalty first") prefers
 * the loyalty system's spelling and tier whatever the times.
 *
 * Every data line carries `_acp_system_metadata {ingestTime, sourceBatchId}`. Record rows are ingested in
 * daily batches over the 120 days before `referenceTime` (file order is not ingest order); events happen in
 * the last 90 days and are ingested minutes to days later, a few weeks later (late arrivals), never after
 * `referenceTime`.
 */
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DatasetEntry, SandboxManifest } from "../io/sandbox-manifest.js";
import { parseDateTime } from "../xdm/time.js";
import { PROFILE_UNION_SCHEMA_ID } from "../xdm/types.js";
import { buildExportJobs, buildMergePolicies, buildSegments, type ConfigInput } from "./config.js";
import { anonymousEvents, anonymousVisitorCount, personEvents } from "./events.js";
import { activityScale, isoTime, makePerson, type DatasetKey, type GenContext } from "./model.js";
import { derivedHex, derivedUuid } from "./random.js";
import { crmRecords, loyaltyRecords, webRecords } from "./records.js";
import { buildSchemas, type SchemaSlug } from "./schemas.js";
import { localEncoder, workerEncoder } from "./parquet-encoder.js";
import { LineWriter, ParquetPartWriter, type RowWriter } from "./writer.js";
import { schemaFromJson } from "../xdm/schema.js";
import { object, scalar } from "../xdm/xdm-type.js";
import { DEFAULT_ROWS_PER_FILE } from "./defaults.js";
import { GenerateError } from "./generate-error.js";

/** The data-lake system column every generated row carries. */
const ACP_SYSTEM_METADATA = object([
  ["ingestTime", scalar("date-time")],
  ["sourceBatchId", scalar("string")],
]);

export interface GenerateOptions {
  /** Number of persons. */
  profiles: number;
  /** Average number of ExperienceEvents per person (skewed: many persons have none, a few very many). */
  eventsPerProfile: number;
  seed: number;
  /** RFC 3339 instant the data is generated relative to, e.g. "2026-11-01T00:00:00Z". */
  referenceTime: string;
  /** Sandbox name (manifest `name`, and part of the schema `$id`s). */
  name: string;
  /**
   * Dataset files as JSON Lines (default here; the CLI defaults to Parquet), one file per dataset, or as
   * Parquet part files `datasets/<dataset>/part-00000.parquet`, … (see `rowsPerFile`).
   */
  format?: "jsonl" | "parquet";
  /** Parquet only: rows per part file (default 1,000,000); part boundaries depend only on row counts. */
  rowsPerFile?: number;
  /**
   * Parquet only: encode in a worker thread, overlapping with the generation (default: when more than
   * 200,000 rows are expected). The files are the same either way.
   */
  encoderThread?: boolean;
  /** Called as persons are written (every 1,000 persons and at the end) with persons done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export { DEFAULT_ROWS_PER_FILE };
const PROGRESS_EVERY = 1000;

export interface GenerateSummary {
  dir: string;
  persons: number;
  /** Dataset name → number of record lines (profile datasets). */
  records: Record<string, number>;
  events: number;
  /** Every file written, relative to `dir`, sorted. */
  files: string[];
}

interface DatasetSpec {
  readonly key: DatasetKey;
  readonly name: string;
  readonly description: string;
  readonly schema: SchemaSlug | undefined;
  readonly file: string | undefined;
  readonly primaryIdentityNamespace: string | undefined;
}

const DATASETS: readonly DatasetSpec[] = [
  {
    key: "crm",
    name: "CRM Profiles",
    description: "Customer records exported nightly from the CRM system.",
    schema: "crm-profile",
    file: "datasets/crm-profiles.jsonl",
    primaryIdentityNamespace: "CRMID",
  },
  {
    key: "loyalty",
    name: "Loyalty Members",
    description: "Loyalty program members, weekly loads from the loyalty platform.",
    schema: "loyalty-profile",
    file: "datasets/loyalty-members.jsonl",
    primaryIdentityNamespace: "CRMID",
  },
  {
    key: "web",
    name: "Web Sign-ups",
    description: "Accounts and newsletter sign-ups from the web site.",
    schema: "web-signup-profile",
    file: "datasets/web-signups.jsonl",
    primaryIdentityNamespace: "Email",
  },
  {
    key: "events",
    name: "Web and Commerce Events",
    description: "Web SDK page views and commerce events.",
    schema: "web-commerce-event",
    file: "datasets/web-commerce-events.jsonl",
    primaryIdentityNamespace: "ECID",
  },
  {
    key: "export",
    name: "Profile Export",
    description: "Target dataset for profile and audience export jobs.",
    schema: undefined,
    file: undefined,
    primaryIdentityNamespace: undefined,
  },
];

const XED_CONTENT_TYPE = "application/vnd.adobe.xed+json;version=1";

function validate(options: GenerateOptions): number {
  const { profiles, eventsPerProfile, seed, referenceTime, name } = options;
  if (!Number.isInteger(profiles) || profiles < 0 || profiles > 100_000_000) {
    throw new GenerateError("GEN-O001", `options.profiles must be an integer from 0 to 100000000 (got ${String(profiles)})`);
  }
  if (typeof eventsPerProfile !== "number" || !Number.isFinite(eventsPerProfile) || eventsPerProfile < 0) {
    throw new GenerateError("GEN-O001", `options.eventsPerProfile must be a finite number ≥ 0 (got ${String(eventsPerProfile)})`);
  }
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new GenerateError("GEN-O001", `options.seed must be a finite number (got ${String(seed)})`);
  }
  if (typeof name !== "string" || name.trim() === "") {
    throw new GenerateError("GEN-O001", "options.name must be a non-empty string");
  }
  if (options.format !== undefined && options.format !== "jsonl" && options.format !== "parquet") {
    throw new GenerateError("GEN-O001", `options.format must be "jsonl" or "parquet" (got ${JSON.stringify(options.format)})`);
  }
  const perFile = options.rowsPerFile;
  if (perFile !== undefined && (!Number.isSafeInteger(perFile) || perFile < 1)) {
    throw new GenerateError("GEN-O001", `options.rowsPerFile must be a positive integer (got ${String(perFile)})`);
  }
  const refMs = typeof referenceTime === "string" ? parseDateTime(referenceTime) : undefined;
  if (refMs === undefined) {
    throw new GenerateError("GEN-O001", `options.referenceTime must be an RFC 3339 date-time with an offset, e.g. "2026-11-01T00:00:00Z" (got ${JSON.stringify(referenceTime)})`);
  }
  return refMs;
}

async function prepareDir(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      await mkdir(dir, { recursive: true });
      return;
    }
    throw err;
  }
  if (!info.isDirectory()) throw new GenerateError("GEN-D001", "exists and is not a directory; generate writes a new sandbox into a new or empty folder", { file: dir });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new GenerateError(
      "GEN-D002",
      `already exists and is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}); generate writes a new sandbox: name a new or empty folder`,
      { file: dir },
    );
  }
}

async function writeJsonFile(dir: string, rel: string, value: unknown, files: string[]): Promise<void> {
  await writeFile(join(dir, rel), `${JSON.stringify(value, null, 2)}\n`, "utf8");
  files.push(rel);
}

/** Dataset ids: 24 lowercase hex characters derived from the seed (distinct by construction of the key). */
function datasetIds(seed: number): Record<DatasetKey, string> {
  const ids = {} as Record<DatasetKey, string>;
  const seen = new Set<string>();
  for (const spec of DATASETS) {
    let id = derivedHex(seed, 24, "dataset", spec.key);
    for (let k = 1; seen.has(id); k++) id = derivedHex(seed, 24, "dataset", spec.key, k);
    seen.add(id);
    ids[spec.key] = id;
  }
  return ids;
}

export async function generateSandbox(dir: string, options: GenerateOptions): Promise<GenerateSummary> {
  const refMs = validate(options);
  await prepareDir(dir);
  for (const sub of ["schemas", "datasets", "merge-policies", "segments", "export-jobs"]) {
    await mkdir(join(dir, sub), { recursive: true });
  }

  const seed = options.seed;
  const ids = datasetIds(seed);
  const format = options.format ?? "jsonl";
  const ctx: GenContext = {
    seed,
    refMs,
    profiles: options.profiles,
    eventsPerProfile: options.eventsPerProfile,
    activityScale: activityScale(seed, options.profiles, options.eventsPerProfile),
    datasetIds: ids,
    batchCache: new Map(),
    time: format === "jsonl" ? isoTime : (ms) => ms,
  };
  const imsOrgId = `${derivedHex(seed, 24, "ims-org").toUpperCase()}@AdobeOrg`;
  const files: string[] = [];

  // Schemas.
  const schemas = buildSchemas(options.name);
  for (const [slug, schema] of Object.entries(schemas)) {
    await writeJsonFile(dir, `schemas/${slug}.schema.json`, schema, files);
  }

  // Datasets: one pass over the persons, four streams. Memory does not grow with the number of persons:
  // a person's rows are generated, handed to the writers and dropped (the Parquet writers hold at most one
  // chunk and one encoder batch each), and the batch cache is bounded by the time window.
  const specOf = (key: DatasetKey): DatasetSpec => DATASETS.find((d) => d.key === key)!;
  const expectedRows = options.profiles * (1.5 + options.eventsPerProfile);
  const encoder = format === "jsonl" ? undefined : (options.encoderThread ?? expectedRows > 200_000) ? workerEncoder() : localEncoder();
  const open = (key: DatasetKey): RowWriter => {
    const spec = specOf(key);
    if (format === "jsonl") return new LineWriter(join(dir, spec.file!));
    const schema = schemaFromJson(schemas[spec.schema!], spec.schema!);
    const rowType = object([...schema.type.fields, ["_acp_system_metadata", ACP_SYSTEM_METADATA]]);
    return new ParquetPartWriter(dir, spec.file!.replace(/\.jsonl$/, ""), rowType, { rowsPerFile: options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE, encoder: encoder! });
  };
  const writers = { crm: open("crm"), loyalty: open("loyalty"), web: open("web"), events: open("events") };
  const total = options.profiles;
  const onProgress = options.onProgress;
  let written = false;
  try {
    const anonymous = anonymousVisitorCount(ctx);
    let nextAnonymous = 0;
    for (let i = 0; i < total; i++) {
      // Anonymous visitors are spread evenly through the event file.
      while (nextAnonymous < anonymous && Math.floor((nextAnonymous * total) / anonymous) <= i) {
        for (const event of anonymousEvents(ctx, nextAnonymous)) await writers.events.writeJson(event);
        nextAnonymous++;
      }
      const person = makePerson(ctx, i);
      for (const record of crmRecords(ctx, person)) await writers.crm.writeJson(record);
      for (const record of loyaltyRecords(ctx, person)) await writers.loyalty.writeJson(record);
      for (const record of webRecords(ctx, person)) await writers.web.writeJson(record);
      for (const event of personEvents(ctx, person)) await writers.events.writeJson(event);
      if (onProgress !== undefined && (i + 1) % PROGRESS_EVERY === 0) onProgress(i + 1, total);
    }
    for (; nextAnonymous < anonymous; nextAnonymous++) {
      for (const event of anonymousEvents(ctx, nextAnonymous)) await writers.events.writeJson(event);
    }
    for (const w of Object.values(writers)) await w.close();
    written = true;
  } finally {
    // On failure, release the file handles (and delete a half-written part) without masking the error.
    if (!written) await Promise.allSettled(Object.values(writers).map((w) => (w instanceof ParquetPartWriter ? w.abort() : w.close())));
    await encoder?.dispose();
  }
  onProgress?.(total, total);
  const dataFiles = (key: DatasetKey): string[] => {
    const w = writers[key as keyof typeof writers];
    return w instanceof ParquetPartWriter ? [...w.files] : [specOf(key).file!];
  };

  // Configuration.
  const config: ConfigInput = { seed, refMs, imsOrgId, datasetIds: ids };
  for (const { slug, json } of buildMergePolicies(config)) await writeJsonFile(dir, `merge-policies/${slug}.json`, json, files);
  for (const { slug, json } of buildSegments(config)) await writeJsonFile(dir, `segments/${slug}.json`, json, files);
  for (const { slug, json } of buildExportJobs(config)) await writeJsonFile(dir, `export-jobs/${slug}.json`, json, files);

  // Manifest.
  const datasets: DatasetEntry[] = DATASETS.map((spec) => {
    const entry: DatasetEntry = {
      id: ids[spec.key],
      name: spec.name,
      description: spec.description,
      schemaRef: {
        id: spec.schema === undefined ? PROFILE_UNION_SCHEMA_ID : schemas[spec.schema].$id,
        contentType: XED_CONTENT_TYPE,
      },
      files: spec.file === undefined ? [] : dataFiles(spec.key),
    };
    if (spec.primaryIdentityNamespace !== undefined) {
      entry.primaryIdentityNamespace = spec.primaryIdentityNamespace;
      entry.tags = { unifiedProfile: ["enabled:true"], unifiedIdentity: ["enabled:true"] };
    }
    return entry;
  });
  const manifest: SandboxManifest = {
    name: options.name,
    imsOrgId,
    sandbox: { sandboxId: derivedUuid(seed, "sandbox"), sandboxName: "prod", type: "production", default: true },
    referenceTime: options.referenceTime,
    datasets,
  };
  await writeJsonFile(dir, "sandbox.json", manifest, files);

  for (const spec of DATASETS) if (spec.file !== undefined) files.push(...dataFiles(spec.key));
  files.sort();
  return {
    dir,
    persons: options.profiles,
    records: {
      "CRM Profiles": writers.crm.lines,
      "Loyalty Members": writers.loyalty.lines,
      "Web Sign-ups": writers.web.lines,
    },
    events: writers.events.lines,
    files,
  };
}
