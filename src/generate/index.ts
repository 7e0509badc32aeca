/**
 * # Sandbox generator
 *
 * `generateSandbox(dir, options)` writes a complete sandbox directory (see `src/io/sandbox-manifest.ts`):
 * `sandbox.json`, one JSON Schema per dataset, JSONL datasets, merge policies, segment definitions and
 * export-job requests. Output is a pure function of the options: a seeded PRNG (`random.ts`), no clock, no
 * Math.random, stable key order — the same options give byte-identical files.
 *
 * The shape comes from `options.config` (a generator config, `gen-config.ts`): the built-in shape described
 * below (with its rates), datasets of the user's own XDM schemas (`custom-datasets.ts`, rows of the same
 * persons) and segments; or one read off an existing sandbox (`from-sandbox.ts`), optionally steering some of
 * its segments towards a share of their profiles (`targets.ts`).
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
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import type { DatasetEntry, SandboxManifest } from "../io/sandbox-manifest.js";
import { parseDateTime } from "../xdm/time.js";
import { PROFILE_UNION_SCHEMA_ID } from "../xdm/types.js";
import { buildExportJobs, buildMergePolicies, buildSegments, configSegments, type ConfigInput } from "./config.js";
import { generatorPool, type PoolPlan } from "./block-pool.js";
import { compileChecked, customRowType, ROW_DATASETS, rowTypeOf } from "./blocks.js";
import { DATASETS, type DatasetSpec } from "./builtin-datasets.js";
import type { CustomDatasetPlan } from "./custom-datasets.js";
import { targetPlanOf, type TargetRequest } from "./targets.js";
import { BUILTIN_CONFIG, type ResolvedConfig } from "./gen-config.js";
import type { DatasetKey } from "./model.js";
import { derivedHex, derivedUuid } from "./random.js";
import { buildSchemas } from "./schemas.js";
import { EncodeSlots, LineWriter, ParquetPartWriter, type RowWriter } from "./writer.js";
import type { XdmObject } from "../xdm/xdm-type.js";
import { DEFAULT_ROWS_PER_FILE } from "./defaults.js";
import { GenerateError } from "./generate-error.js";

/** The codecs `generate` writes Parquet parts with. */
export const GENERATE_COMPRESSIONS = ["zstd", "snappy"] as const;
export type GenerateCompression = (typeof GENERATE_COMPRESSIONS)[number];

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
   * Parquet only: the parts' page compression (default zstd). Snappy costs the encoder about half the CPU
   * and makes files ~1.8× larger.
   */
  compression?: GenerateCompression;
  /**
   * Worker threads generating blocks of 1,000 persons and encoding the Parquet row groups (0: this thread;
   * default: one per core when more than 200,000 rows are expected, else 0). The files are byte-identical for
   * any number.
   */
  workers?: number;
  /** Called as persons are written (after each block of 1,000 persons) with persons done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * The shape (`readGeneratorConfig`): the built-in datasets or not, datasets of the user's own schemas,
   * segments. Default: the built-in shape alone (`BUILTIN_CONFIG`).
   */
  config?: ResolvedConfig;
  /**
   * Segments of a config read off a sandbox (`configFromSandbox`) to steer towards a share of their merge
   * policy's profiles; the summary reports the shares reached.
   */
  targets?: readonly TargetRequest[];
}

export { DEFAULT_ROWS_PER_FILE };

/** Expected rows above which the Parquet encoder and the block generators get threads of their own by default. */
const THREADS_FROM_ROWS = 200_000;

export interface GenerateSummary {
  dir: string;
  persons: number;
  /** Dataset name → number of record lines (profile datasets). */
  records: Record<string, number>;
  /** Events of all ExperienceEvent datasets. */
  events: number;
  /** Dataset name → rows, and bytes of its files (every dataset with files, in the manifest's order). */
  datasets: Record<string, { rows: number; bytes: number }>;
  /** Worker threads that generated the blocks (0: the calling thread). */
  workers: number;
  /** Every file written, relative to `dir`, sorted. */
  files: string[];
  /**
   * The config's datasets as generated: persons with rows (and their share of all persons), rows per such
   * person, and for event datasets the events per type.
   */
  distributions: { name: string; persons: number; share: number; rowsPerPerson: number; eventTypes?: Record<string, number> }[];
  /** With `targets`: each segment's asked and reached share of its merge policy's profiles. */
  targets?: { segmentId: string; name: string; share: number; achieved: number; members: number; profiles: number }[];
}

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
  const workers = options.workers;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0 || workers > 256)) {
    throw new GenerateError("GEN-O001", `options.workers must be an integer from 0 to 256 (got ${String(workers)})`);
  }
  if (options.compression !== undefined && !GENERATE_COMPRESSIONS.includes(options.compression)) {
    throw new GenerateError("GEN-O001", `options.compression must be ${GENERATE_COMPRESSIONS.map((c) => JSON.stringify(c)).join(" or ")} (got ${JSON.stringify(options.compression)})`);
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

async function bytesOf(dir: string, files: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const f of files) bytes += (await stat(join(dir, f))).size;
  return bytes;
}

/**
 * Dataset ids: 24 lowercase hex characters derived from the seed (distinct by construction of the key), the
 * built-in datasets' first, then the config datasets' (by their file name).
 */
function datasetIds(seed: number, custom: readonly string[]): { builtin: Record<DatasetKey, string>; custom: string[] } {
  const seen = new Set<string>();
  const idOf = (...key: string[]): string => {
    let id = derivedHex(seed, 24, "dataset", ...key);
    for (let k = 1; seen.has(id); k++) id = derivedHex(seed, 24, "dataset", ...key, k);
    seen.add(id);
    return id;
  };
  const builtin = {} as Record<DatasetKey, string>;
  for (const spec of DATASETS) builtin[spec.key] = idOf(spec.key);
  return { builtin, custom: custom.map((slug) => idOf("config", slug)) };
}

/** The config datasets' schema files in `schemas/`: one per distinct `$id`, named as the user's file unless the name is taken. */
function schemaFiles(custom: readonly CustomDatasetPlan[], taken: ReadonlySet<string>): Map<string, { file: string; doc: unknown }> {
  const files = new Map<string, { file: string; doc: unknown }>();
  const used = new Set(taken);
  for (const d of custom) {
    const id = (d.schema as { $id: string }).$id;
    if (files.has(id)) continue;
    let file = d.schemaFile.endsWith(".json") ? d.schemaFile : `${d.schemaFile}.json`;
    if (used.has(file)) file = `${d.slug}.schema.json`;
    for (let k = 2; used.has(file); k++) file = `${d.slug}-${k}.schema.json`;
    used.add(file);
    files.set(id, { file, doc: d.schema });
  }
  return files;
}

/** Events a person has on average in a config dataset (for the default thread count only). */
function meanEvents(d: CustomDatasetPlan): number {
  const events = d.config.events;
  if (events === undefined) return 1 + (d.config.conflicts ?? 0);
  const n = events.perPerson;
  if (n.distribution === "uniform") return (n.min + n.max) / 2;
  if (n.distribution === "normal") return n.mean;
  let weights = 0;
  let ranks = 0;
  for (let k = 1; k <= n.max; k++) {
    weights += 1 / k ** n.exponent;
    ranks += k / k ** n.exponent;
  }
  return ranks / weights;
}

/** A dataset with rows, as the writers and the manifest see it. */
interface RowSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly schemaId: string;
  /** The JSON Lines file (Parquet: the folder of its parts, without `.jsonl`). */
  readonly file: string;
  readonly rowType: () => XdmObject;
  readonly primaryIdentityNamespace: string;
  readonly kind: "record" | "event";
}

export async function generateSandbox(dir: string, options: GenerateOptions): Promise<GenerateSummary> {
  const refMs = validate(options);
  const config = options.config ?? BUILTIN_CONFIG;
  await prepareDir(dir);
  for (const sub of ["schemas", "datasets", "merge-policies", "segments", "export-jobs"]) {
    await mkdir(join(dir, sub), { recursive: true });
  }

  const seed = options.seed;
  const allIds = datasetIds(seed, config.datasets.map((d) => d.slug));
  const ids = allIds.builtin;
  const custom: CustomDatasetPlan[] = config.datasets.map((d, k) => ({ ...d, id: d.id ?? allIds.custom[k]! }));
  const source = config.source;
  const format = options.format ?? "jsonl";
  const imsOrgId = source?.manifest.imsOrgId ?? `${derivedHex(seed, 24, "ims-org").toUpperCase()}@AdobeOrg`;
  const files: string[] = [];

  // Schemas: the built-in ones, and each config dataset's own (once per $id).
  const schemas = buildSchemas(options.name);
  const builtinSchemaFiles = Object.keys(schemas).map((slug) => `${slug}.schema.json`);
  if (config.builtin) {
    for (const [slug, schema] of Object.entries(schemas)) await writeJsonFile(dir, `schemas/${slug}.schema.json`, schema, files);
  }
  const customSchemas = schemaFiles(custom, new Set(builtinSchemaFiles));
  for (const { file, doc } of customSchemas.values()) await writeJsonFile(dir, `schemas/${file}`, doc, files);

  const specOf = (key: DatasetKey): DatasetSpec => DATASETS.find((d) => d.key === key)!;
  const compiled = custom.map((d) => compileChecked(d, format));
  const rowSpecs: RowSpec[] = [
    ...(config.builtin
      ? ROW_DATASETS.map((key): RowSpec => {
          const spec = specOf(key);
          return {
            id: ids[key],
            name: spec.name,
            description: spec.description,
            schemaId: schemas[spec.schema!].$id,
            file: spec.file!,
            rowType: () => rowTypeOf(key),
            primaryIdentityNamespace: spec.primaryIdentityNamespace!,
            kind: key === "events" ? "event" : "record",
          };
        })
      : []),
    ...custom.map((d, k): RowSpec => ({
      id: d.id,
      name: d.config.name,
      description: d.config.description ?? `Generated from ${d.schemaFile}.`,
      schemaId: (d.schema as { $id: string }).$id,
      file: `datasets/${d.slug}.jsonl`,
      rowType: () => customRowType(compiled[k]!),
      primaryIdentityNamespace: d.config.primaryNamespace,
      kind: compiled[k]!.kind,
    })),
  ];

  // Datasets: blocks of persons (blocks.ts), made on worker threads or here and written in block order, so
  // the files do not depend on the number of workers. Memory does not grow with the number of persons: a
  // block's rows are written and dropped, at most four blocks per worker wait, and each Parquet writer holds the
  // row group it fills; row groups are encoded on the same threads, at most two per thread and one more at once.
  const perPerson = (config.builtin ? 1.5 + options.eventsPerProfile : 0) + custom.reduce((sum, d) => sum + (d.config.share ?? 1) * meanEvents(d), 0);
  const workers = options.workers ?? (options.profiles * perPerson > THREADS_FROM_ROWS ? availableParallelism() : 0);
  const slots = new EncodeSlots(2 * workers + 1);
  const open = (spec: RowSpec): RowWriter => {
    if (format === "jsonl") return new LineWriter(dir, spec.file);
    return new ParquetPartWriter(dir, spec.file.replace(/\.jsonl$/, ""), spec.rowType(), {
      rowsPerFile: options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE,
      encode: (task) => pool.encode(task),
      slots,
      compression: options.compression ?? "zstd",
    });
  };
  const writers = rowSpecs.map(open);
  const eventsPerProfile = config.builtin ? options.eventsPerProfile : 0;
  const target = (options.targets ?? []).length > 0 ? targetPlanOf(config, options.targets!) : undefined;
  const plan: PoolPlan = {
    seed,
    refMs,
    profiles: options.profiles,
    eventsPerProfile,
    datasetIds: ids,
    format,
    builtin: config.builtin,
    shape: config.shape,
    custom,
    ...(target === undefined ? {} : { target }),
  };
  const customPersons = custom.map(() => 0);
  const customTypes = custom.map((): Record<string, number> => ({}));
  const targetMembers = target?.segments.map(() => 0) ?? [];
  const targetProfiles = target?.segments.map(() => 0) ?? [];
  const onProgress = options.onProgress;
  let done = 0;
  let written = false;
  // Made last before the blocks: its threads keep the process alive until the `finally` below destroys them.
  const pool = generatorPool(workers);
  try {
    await pool.forEachBlock(plan, async (block) => {
      for (const [k, w] of writers.entries()) await w.writeBlock(block.data[k]!, block.rows[k]!);
      block.custom.persons.forEach((n, k) => (customPersons[k]! += n));
      block.custom.types.forEach((types, k) => {
        for (const [type, n] of Object.entries(types)) customTypes[k]![type] = (customTypes[k]![type] ?? 0) + n;
      });
      block.targets?.members.forEach((m, i) => (targetMembers[i]! += m));
      block.targets?.profiles.forEach((n, i) => (targetProfiles[i]! += n));
      done += block.persons;
      onProgress?.(done, options.profiles);
    });
    for (const w of writers) await w.close();
    written = true;
  } finally {
    // On failure, release the file handles (and delete a half-written part) without masking the error.
    if (!written) await Promise.allSettled(writers.map((w) => w.abort()));
    await pool.destroy();
  }
  if (options.profiles === 0) onProgress?.(0, 0);

  // Configuration: the built-in policies, segments and export requests (without the built-in datasets, the
  // two policies that do not rank them), and the config's segments; or a source sandbox's definitions as they are.
  const configInput: ConfigInput = { seed, refMs, imsOrgId, datasetIds: ids };
  if (source === undefined) {
    const policies = buildMergePolicies(configInput).filter((p) => config.builtin || p.slug !== "loyalty-first");
    for (const { slug, json } of policies) await writeJsonFile(dir, `merge-policies/${slug}.json`, json, files);
    const segments = [...(config.builtin ? buildSegments(configInput) : []), ...configSegments(configInput, config.segments)];
    for (const { slug, json } of segments) await writeJsonFile(dir, `segments/${slug}.json`, json, files);
    if (config.builtin) for (const { slug, json } of buildExportJobs(configInput)) await writeJsonFile(dir, `export-jobs/${slug}.json`, json, files);
  } else {
    for (const { rel, text } of source.copies) {
      await mkdir(join(dir, dirname(rel)), { recursive: true });
      await writeFile(join(dir, rel), text, "utf8");
      files.push(rel);
    }
  }

  // Manifest.
  const entry = (id: string, name: string, description: string, schemaId: string, dataFiles: string[], primaryIdentityNamespace: string | undefined): DatasetEntry => {
    const e: DatasetEntry = { id, name, description, schemaRef: { id: schemaId, contentType: XED_CONTENT_TYPE }, files: dataFiles };
    if (primaryIdentityNamespace !== undefined) {
      e.primaryIdentityNamespace = primaryIdentityNamespace;
      e.tags = { unifiedProfile: ["enabled:true"], unifiedIdentity: ["enabled:true"] };
    }
    return e;
  };
  const exportSpec = specOf("export");
  const datasets: DatasetEntry[] = [
    ...rowSpecs.map((spec, k) => entry(spec.id, spec.name, spec.description, spec.schemaId, [...writers[k]!.files], spec.primaryIdentityNamespace)),
    ...(source === undefined ? [entry(ids.export, exportSpec.name, exportSpec.description, PROFILE_UNION_SCHEMA_ID, [], undefined)] : source.targets),
  ];
  const manifest: SandboxManifest = {
    name: options.name,
    imsOrgId,
    sandbox: source?.manifest.sandbox ?? { sandboxId: derivedUuid(seed, "sandbox"), sandboxName: "prod", type: "production", default: true },
    referenceTime: options.referenceTime,
    datasets,
    ...(source?.manifest.conventions === undefined ? {} : { conventions: source.manifest.conventions }),
  };
  await writeJsonFile(dir, "sandbox.json", manifest, files);

  for (const w of writers) files.push(...w.files);
  files.sort();
  return {
    dir,
    persons: options.profiles,
    records: Object.fromEntries(rowSpecs.flatMap((spec, k) => (spec.kind === "record" ? [[spec.name, writers[k]!.lines] as const] : []))),
    events: rowSpecs.reduce((sum, spec, k) => sum + (spec.kind === "event" ? writers[k]!.lines : 0), 0),
    datasets: Object.fromEntries(await Promise.all(rowSpecs.map(async (spec, k) => [spec.name, { rows: writers[k]!.lines, bytes: await bytesOf(dir, writers[k]!.files) }] as const))),
    workers,
    files,
    distributions: custom.map((d, k) => {
      const rows = writers[rowSpecs.length - custom.length + k]!.lines;
      const persons = customPersons[k]!;
      const types = Object.fromEntries(Object.entries(customTypes[k]!).sort((a, b) => a[0].localeCompare(b[0])));
      return {
        name: d.config.name,
        persons,
        share: options.profiles === 0 ? 0 : persons / options.profiles,
        rowsPerPerson: persons === 0 ? 0 : rows / persons,
        ...(compiled[k]!.kind === "event" ? { eventTypes: types } : {}),
      };
    }),
    ...(target === undefined
      ? {}
      : {
          targets: target.segments.map((t, i) => ({
            segmentId: t.id,
            name: t.name,
            share: t.share,
            achieved: targetProfiles[i]! === 0 ? 0 : targetMembers[i]! / targetProfiles[i]!,
            members: targetMembers[i]!,
            profiles: targetProfiles[i]!,
          })),
        }),
  };
}
