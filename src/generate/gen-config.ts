/**
 * Generator configs (`generate --config gen.yaml|json`): read with positions, validated against
 * GENERATOR_CONFIG_SCHEMA, then against the datasets' own XDM schemas (every field rule names a declared field
 * of a fitting type, event datasets have what events need) — every problem with file, line, column and JSON
 * path. The result is plain data the block plan carries to the worker threads.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkReadable, MAX_JSON_TEXT_BYTES } from "../io/sandbox-path.js";
import { parseLocatedDocument, type DocumentKind, type LocatedDocument } from "../requests/yaml-document.js";
import { ProfileLabError } from "../xdm/errors.js";
import { SchemaError, schemaFromJson, unionOf, type XdmSchema } from "../xdm/schema.js";
import { object, type XdmObject } from "../xdm/xdm-type.js";
import { BUILTIN_FILES, DATASETS } from "./builtin-datasets.js";
import { SEGMENT_SPECS, slugOf } from "./config.js";
import { compileDataset, type CustomDatasetPlan } from "./custom-datasets.js";
import type { SandboxSource } from "./from-sandbox.js";
import { GENERATOR_CONFIG_SCHEMA, type GeneratorConfig, type SegmentConfig } from "./gen-config-schema.js";
import { GenerateError } from "./generate-error.js";
import { buildSchemas } from "./schemas.js";
import { BUILTIN_SHAPE, type BuiltinShape } from "./model.js";

/** A config dataset before the seed gives it an id (one read off a sandbox keeps its own). */
export type ConfigDataset = Omit<CustomDatasetPlan, "id"> & { readonly id?: string };

/** A generator config, checked: what `generateSandbox` takes as `options.config`. */
export interface ResolvedConfig {
  /** Write the built-in shape (datasets, policies, segments, export requests). */
  readonly builtin: boolean;
  /** Its rates (the default ones unless the config's `builtin:` gives others). */
  readonly shape: BuiltinShape;
  readonly datasets: readonly ConfigDataset[];
  readonly segments: readonly SegmentConfig[];
  /** Read off a sandbox (`configFromSandbox`): its definitions are copied, its export targets kept. */
  readonly source?: SandboxSource;
}

/** The config that gives the built-in shape alone (today's `generate` without `--config`). */
export const BUILTIN_CONFIG: ResolvedConfig = { builtin: true, shape: BUILTIN_SHAPE, datasets: [], segments: [] };

/** The default config as a file users can copy (`generate --print-config`); it reads as BUILTIN_CONFIG. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL("../../sample-data/generator/default.yaml", import.meta.url));


const CONFIG_KIND: DocumentKind<GenerateError> = {
  schema: GENERATOR_CONFIG_SCHEMA,
  syntaxCode: "GEN-C001",
  shapeCode: "GEN-C002",
  rootMessage: "a generator config is an object: builtin, datasets, segments",
  makeError: (code, message, location, detail, jsonPath) => new GenerateError(code, message, { ...location, jsonPath }, detail),
};

/** Reads a schema file named by the config (relative to the config's folder). */
function readSchema(doc: LocatedDocument<GeneratorConfig, GenerateError>, dir: string, file: string, at: readonly (string | number)[]): unknown {
  const path = resolve(dir, file);
  try {
    checkReadable(path, { maxBytes: MAX_JSON_TEXT_BYTES, reader: "a schema file" });
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    const why = e instanceof ProfileLabError ? e.message : e instanceof Error ? e.message : String(e);
    throw doc.error("GEN-C003", `cannot read the schema ${file}: ${why}`, at);
  }
}

/** Adds a schema to its class's union (a SchemaError when a field's types disagree). */
function addToUnion(unions: Map<string, XdmObject>, schema: XdmSchema): void {
  unions.set(schema.xdmClass, unionOf([unions.get(schema.xdmClass) ?? object([]), schema.type]));
}

/** Parses and checks a config's text; `file` names it in errors, and schema paths are relative to its folder. */
export function parseGeneratorConfig(text: string, file: string): ResolvedConfig {
  const doc = parseLocatedDocument<GeneratorConfig, GenerateError>(text, file, CONFIG_KIND);
  const config = doc.value;
  const builtin = config.builtin !== false;
  const rates = typeof config.builtin === "object" ? config.builtin : {};
  const shape: BuiltinShape = {
    crm: { ...BUILTIN_SHAPE.crm, ...rates.crm },
    loyalty: { ...BUILTIN_SHAPE.loyalty, ...rates.loyalty },
    web: { ...BUILTIN_SHAPE.web, ...rates.web },
    events: { ...BUILTIN_SHAPE.events, ...rates.events },
  };
  if (shape.events.delayed + shape.events.late > 1) throw doc.error("GEN-C006", "events.delayed and events.late add up to more than 1", ["builtin", "events"]);
  const dir = dirname(resolve(file));
  const datasets: ConfigDataset[] = [];
  // The built-in datasets' names and files are taken when they are written.
  const names = new Set(builtin ? DATASETS.map((d) => d.name) : []);
  // The union schema of each class so far (the built-in schemas' first): a dataset whose schema gives a field
  // another type than an earlier one would make a sandbox no command can open.
  const unions = new Map<string, XdmObject>();
  if (builtin) for (const doc of Object.values(buildSchemas("config"))) addToUnion(unions, schemaFromJson(doc, "built-in"));
  const slugs = new Set(builtin ? BUILTIN_FILES : []);
  for (const [i, cfg] of (config.datasets ?? []).entries()) {
    const slug = slugOf(cfg.name);
    if (names.has(cfg.name) || slugs.has(slug)) {
      throw doc.error("GEN-C009", `another dataset${names.has(cfg.name) ? " is named" : "'s file is"} ${JSON.stringify(names.has(cfg.name) ? cfg.name : slug)}: give this one another name`, ["datasets", i, "name"]);
    }
    names.add(cfg.name);
    slugs.add(slug);
    const schema = readSchema(doc, dir, cfg.schema, ["datasets", i, "schema"]);
    const dataset: ConfigDataset = { slug, config: cfg, schema, schemaFile: basename(cfg.schema) };
    try {
      // Compiled here for its checks only (the format changes how bad rows are spoiled, not what is checked).
      compileDataset({ ...dataset, id: slug }, "parquet", (code, message, path) => {
        throw doc.error(code, message, ["datasets", i, ...path]);
      });
    } catch (e) {
      if (e instanceof SchemaError) throw doc.error("GEN-C004", `the schema ${cfg.schema} cannot be read as XDM: ${e.format()}`, ["datasets", i, "schema"]);
      throw e;
    }
    try {
      addToUnion(unions, schemaFromJson(schema, cfg.schema));
    } catch (e) {
      if (e instanceof SchemaError) throw doc.error("GEN-C004", `the schema ${cfg.schema} disagrees with an earlier dataset's (built-in ones first): ${e.message}${e.location.jsonPath === undefined ? "" : ` at ${e.location.jsonPath}`}`, ["datasets", i, "schema"]);
      throw e;
    }
    datasets.push(dataset);
  }
  const segments = config.segments ?? [];
  const segmentNames = new Set(builtin ? SEGMENT_SPECS.flatMap((s) => [s.name, s.slug]) : []);
  for (const [i, s] of segments.entries()) {
    const slug = slugOf(s.name);
    if (segmentNames.has(s.name) || segmentNames.has(slug)) throw doc.error("GEN-C009", `another segment${segmentNames.has(s.name) ? " is named" : "'s file is"} ${JSON.stringify(segmentNames.has(s.name) ? s.name : slug)}: give this one another name`, ["segments", i, "name"]);
    segmentNames.add(s.name);
    segmentNames.add(slug);
    if (s.mergePolicy === "loyaltyFirst" && !builtin) throw doc.error("GEN-C010", "the loyaltyFirst merge policy ranks the built-in datasets: it exists only with builtin: true", ["segments", i, "mergePolicy"]);
  }
  if (!builtin && datasets.length === 0) throw doc.error("GEN-C002", "with builtin: false, the config needs datasets of its own", ["builtin"]);
  return { builtin, shape, datasets, segments };
}

/** Reads and checks a config file (an unreadable file is a located error too). */
export function readGeneratorConfig(path: string): ResolvedConfig {
  let text: string;
  try {
    checkReadable(path, { maxBytes: MAX_JSON_TEXT_BYTES, reader: "a generator config" });
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof ProfileLabError) throw e;
    throw new GenerateError("GEN-C003", `cannot read the generator config: ${e instanceof Error ? e.message : String(e)}`, { file: path });
  }
  return parseGeneratorConfig(text, path);
}
