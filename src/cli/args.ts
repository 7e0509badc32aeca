/** Option values as the library takes them: each option's parsing and its usage error, in one place. */
import { readFileSync } from "node:fs";
import { parseMemorySize } from "../engine/memory-budget.js";
import { JOB_ENGINES, type JobEngine } from "../engine/job-engine.js";
import { openSandbox, type Sandbox } from "../engine/sandbox.js";
import type { StatusModel } from "../segment/membership.js";
import { IoError } from "../io/io-error.js";
import { parseJson, readJsonFile } from "../io/json-file.js";
import { MAX_JSON_TEXT_BYTES } from "../io/sandbox-path.js";
import { parseDateTime } from "../xdm/time.js";
import { requireString, UsageError, type ParsedArgs } from "./command.js";

export function formatOf(args: ParsedArgs): "jsonl" | "parquet" {
  const v = args.values["format"];
  if (v !== "jsonl" && v !== "parquet") throw new UsageError(`--format must be jsonl or parquet, not "${String(v)}"`);
  return v;
}

export function workersOf(args: ParsedArgs): { workers?: number } {
  const raw = args.values["workers"];
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers must be a whole number from 1 to 256, not "${String(raw)}"`);
  return { workers: n };
}

export function memoryOf(args: ParsedArgs): number {
  const raw = String(args.values["memory"]);
  const bytes = parseMemorySize(raw);
  if (bytes === undefined) throw new UsageError(`--memory must look like 512m or 4g, not "${raw}"`);
  return bytes;
}

/** An RFC 3339 option as epoch ms; `fallback` when absent (a UsageError when there is none). */
export function timeOption(args: ParsedArgs, name: string, fallback: number | undefined): number {
  const raw = args.values[name];
  if (typeof raw !== "string") {
    if (fallback === undefined) throw new UsageError(`missing --${name}`);
    return fallback;
  }
  const t = parseDateTime(raw);
  if (t === undefined) throw new UsageError(`--${name}: "${raw}" is not an RFC 3339 timestamp with an offset (e.g. 2026-11-01T00:00:00Z)`);
  return t;
}

/** --as-of, else the given RFC 3339 time (a sandbox's referenceTime), else now. */
export function asOfOf(args: ParsedArgs, fallback: string | undefined): number {
  return timeOption(args, "as-of", (fallback !== undefined ? parseDateTime(fallback) : undefined) ?? Date.now());
}

export function statusModelOf(args: ParsedArgs): StatusModel {
  const v = args.values["status-model"];
  if (v !== "legacy" && v !== "current") throw new UsageError(`--status-model must be "legacy" or "current", not "${String(v)}"`);
  return v;
}

/** `--engine`, or undefined when not given: the job chooses (DuckDB, unless it refuses a segment). */
export function engineOf(args: ParsedArgs): JobEngine | undefined {
  const v = args.values["engine"];
  if (v === undefined) return undefined;
  if (!JOB_ENGINES.includes(v as JobEngine)) throw new UsageError(`--engine must be ${JOB_ENGINES.map((e) => `"${e}"`).join(" or ")}, not "${String(v)}"`);
  return v as JobEngine;
}

export function intOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not "${String(v)}"`);
  return n;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * `--sort <field>:<asc|desc>`, the one sort syntax of every list; `fields` are the ones the list sorts by.
 * Returns undefined when the option is absent.
 */
export function sortOf(args: ParsedArgs, fields: readonly string[]): { field: string; direction: "asc" | "desc" } | undefined {
  const raw = stringOption(args, "sort");
  if (raw === undefined) return undefined;
  const [field = "", direction = "asc", ...rest] = raw.split(":");
  if (!fields.includes(field) || (direction !== "asc" && direction !== "desc") || rest.length > 0) {
    throw new UsageError(`--sort must be <field>:asc or <field>:desc with a field among ${fields.join(", ")}, not "${raw}"`);
  }
  return { field, direction };
}

export function sandboxOf(args: ParsedArgs): Sandbox {
  return openSandbox(args.values["sandbox"] as string);
}

/** The n-th argument, or a UsageError that shows the command line it belongs to. */
export function positional(value: string | undefined, usageText: string): string {
  if (value === undefined) throw new UsageError(`missing an argument: profile-lab ${usageText}`);
  return value;
}

/** Calls `use` with the body `--request` names (required) and the name errors give it. */
export function withRequest<T>(args: ParsedArgs, use: (body: unknown, file: string) => T): T {
  const { body, file } = requestOf(requireString(args, "request"));
  return use(body, file);
}

/** What errors call standard input when `--request -` reads the body from it. */
export const STDIN = "<stdin>";

/** A `--request` body: the JSON file it names, or standard input for `-`; `file` is what errors name. */
export function requestOf(path: string): { readonly file: string; readonly body: unknown } {
  if (path !== "-") return { file: path, body: readJsonFile(path) };
  const bytes = readFileSync(0);
  if (bytes.length > MAX_JSON_TEXT_BYTES) throw new IoError("IO-F004", `the request on standard input is larger than ${MAX_JSON_TEXT_BYTES} bytes`, { file: STDIN });
  return { file: STDIN, body: parseJson(bytes.toString("utf8"), STDIN) };
}
