/**
 * Reads a sandbox directory's definition files (manifest, schemas, merge policies, segments, export
 * requests), each confined to the sandbox (sandbox-path.ts). Data files are streamed later by the engine;
 * nothing here reads them, but their sandbox.json entries are checked here: relative, inside the folder.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { schemaFromJson, type XdmSchema } from "../xdm/schema.js";
import { IoError } from "./io-error.js";
import { readJsonFile } from "./json-file.js";
import { checkIdentifier, confined, entryPath } from "./sandbox-path.js";
import type { DatasetEntry, SandboxManifest } from "./sandbox-manifest.js";

/** A JSON document and the file it came from, for error locations. */
export interface JsonDocument {
  readonly file: string;
  readonly value: unknown;
}

export interface SandboxFiles {
  readonly dir: string;
  readonly manifest: SandboxManifest;
  /** Schemas by `$id`. */
  readonly schemas: ReadonlyMap<string, XdmSchema>;
  readonly mergePolicies: readonly JsonDocument[];
  readonly segments: readonly JsonDocument[];
  readonly exportRequests: readonly JsonDocument[];
  /** External audiences (`audiences/*.json`). */
  readonly audiences: readonly JsonDocument[];
}

export const MANIFEST_FILE = "sandbox.json";
/** Where the engine keeps its state inside a sandbox. */
export const STATE_DIR = ".profile-lab";

function jsonFilesIn(sandboxDir: string, sub: string, suffix = ".json"): string[] {
  const dir = join(sandboxDir, sub);
  if (!existsSync(confined(sandboxDir, dir))) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => join(dir, name));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readManifest(dir: string): SandboxManifest {
  const file = join(dir, MANIFEST_FILE);
  const doc = readJsonFile(file, dir);
  const fail = (jsonPath: string, message: string): never => {
    throw new IoError("IO-M001", message, { file, jsonPath });
  };
  if (!isObject(doc)) return fail("$", "the manifest must be a JSON object");
  if (typeof doc["name"] !== "string" || doc["name"] === "") fail("$.name", "the sandbox needs a \"name\"");
  if (!Array.isArray(doc["datasets"])) return fail("$.datasets", "\"datasets\" must be an array");
  const seen = new Set<string>();
  doc["datasets"].forEach((d: unknown, i: number) => {
    const at = `$.datasets[${i}]`;
    if (!isObject(d)) return fail(at, "a dataset must be an object");
    if (typeof d["id"] !== "string" || d["id"] === "") fail(`${at}.id`, "a dataset needs an \"id\"");
    // An export writes a union dataset's batches under its id: the id becomes a folder name.
    checkIdentifier(d["id"] as string, "dataset id", { file, jsonPath: `${at}.id` });
    if (seen.has(d["id"] as string)) fail(`${at}.id`, `duplicate dataset id "${String(d["id"])}"`);
    seen.add(d["id"] as string);
    if (typeof d["name"] !== "string") fail(`${at}.name`, "a dataset needs a \"name\"");
    if (!isObject(d["schemaRef"]) || typeof d["schemaRef"]["id"] !== "string") fail(`${at}.schemaRef.id`, "a dataset needs \"schemaRef\": {\"id\": …}");
    if (d["files"] !== undefined && !(Array.isArray(d["files"]) && d["files"].every((f) => typeof f === "string")))
      fail(`${at}.files`, "\"files\" must be an array of paths");
    (d["files"] as string[] | undefined)?.forEach((f, j) => entryPath(dir, f, { file, jsonPath: `${at}.files[${j}]` }));
  });
  const sandbox = isObject(doc["sandbox"]) ? doc["sandbox"] : {};
  return {
    name: doc["name"] as string,
    imsOrgId: typeof doc["imsOrgId"] === "string" ? doc["imsOrgId"] : "profile-lab@AdobeOrg",
    sandbox: {
      sandboxId: typeof sandbox["sandboxId"] === "string" ? sandbox["sandboxId"] : (doc["name"] as string),
      sandboxName: typeof sandbox["sandboxName"] === "string" ? sandbox["sandboxName"] : (doc["name"] as string),
      type: sandbox["type"] === "production" ? "production" : "development",
      default: sandbox["default"] === true,
    },
    datasets: doc["datasets"] as DatasetEntry[],
    ...(typeof doc["referenceTime"] === "string" ? { referenceTime: doc["referenceTime"] } : {}),
    ...(doc["conventions"] !== undefined ? { conventions: doc["conventions"] as Record<string, unknown> } : {}),
  };
}

/** Reads everything that defines a sandbox; throws IoError/SchemaError naming the file and JSON path. */
export function readSandboxFiles(dir: string): SandboxFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new IoError("IO-S001", "sandbox directory not found", { file: dir });
  }
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    throw new IoError("IO-S002", `not a sandbox: no ${MANIFEST_FILE} (create one with \`profile-lab generate\`)`, { file: dir });
  }
  const manifest = readManifest(dir);
  const schemas = new Map<string, XdmSchema>();
  for (const file of jsonFilesIn(dir, "schemas", ".schema.json")) {
    const schema = schemaFromJson(readJsonFile(file, dir), relative(process.cwd(), file));
    const prev = schemas.get(schema.id);
    if (prev) throw new IoError("IO-S003", `schema $id "${schema.id}" is also defined in ${prev.file}`, { file, jsonPath: "$.$id" });
    schemas.set(schema.id, schema);
  }
  const docs = (sub: string): JsonDocument[] =>
    jsonFilesIn(dir, sub).map((file) => ({ file: relative(process.cwd(), file) || file, value: readJsonFile(file, dir) }));
  return {
    dir,
    manifest,
    schemas,
    mergePolicies: docs("merge-policies"),
    segments: docs("segments"),
    exportRequests: docs("export-jobs"),
    audiences: docs("audiences"),
  };
}
