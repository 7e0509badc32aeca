/**
 * The data fuzz suite (issue 17): mutated JSON Lines lines and files, JSON documents (records and schemas) and
 * Parquet files through the readers and the validator the jobs and `check --data` use. For every input it
 * asserts that nothing but a coded ProfileLabError escapes and that `check --data`'s list of a row's problems
 * starts with the one that stops a job (one validator); it times each input against the per-input budget, in CPU
 * time of this process (decoding threads included), so that a busy machine does not make an input look slow.
 * Mutations: byte flips, truncation, deep nesting, values of the wrong type or out of range, huge strings,
 * spliced and repeated pieces; schemas get random constraints (enums, bounds, lengths, hostile patterns).
 *
 * Seeded and small in CI. Longer runs (the Parquet and file inputs are a fixed fraction of the lines):
 *   PROFILE_LAB_FUZZ_RUNS=100000 npx vitest run test/fuzz/data.fuzz.test.ts
 * The environment variables are harness.ts's.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFragment } from "../../src/engine/load-data.js";
import { openSandbox, type Dataset } from "../../src/engine/sandbox.js";
import { parseJson } from "../../src/io/json-file.js";
import { linesOf } from "../../src/io/jsonl.js";
import { readParquetRows } from "../../src/io/parquet-reader.js";
import { ParquetFileWriter } from "../../src/io/parquet-writer.js";
import { ProfileLabError } from "../../src/xdm/errors.js";
import { schemaFromJson } from "../../src/xdm/schema.js";
import type { JsonObject } from "../../src/xdm/types.js";
import { recordIssues, validateRecord } from "../../src/xdm/validate.js";
import { object, scalar, type XdmObject } from "../../src/xdm/xdm-type.js";
import { SAMPLE } from "../helpers/cli.js";
import { rng } from "../pql/fixtures.js";
import { clip, fuzz, fuzzAsync, fuzzRuns, int, logInt, pick, report, SEED, type CheckedOutcome, type Outcome, type Rand } from "./harness.js";

const LINE_RUNS = fuzzRuns(600);
const DOCUMENT_RUNS = Math.max(60, Math.round(LINE_RUNS / 5));
const FILE_RUNS = Math.max(30, Math.round(LINE_RUNS / 25));
const PARQUET_RUNS = Math.max(20, Math.round(LINE_RUNS / 100));
const TIMEOUT_MS = Math.max(120_000, LINE_RUNS * 20);

// ------------------------------------------------------------------------------------------ the seeds

const sandbox = openSandbox(SAMPLE, { segments: false });
const datasets = sandbox.datasets.filter((d) => d.kind !== "union");

/** The first lines of each sample dataset, with the dataset they belong to. */
const SEEDS: readonly { readonly dataset: Dataset; readonly text: string }[] = datasets.flatMap((dataset) =>
  readFileSync(join(SAMPLE, dataset.entry.files![0]!), "utf8")
    .split("\n")
    .slice(0, 40)
    .map((text) => ({ dataset, text })),
);

const SCHEMA_DOCS: readonly unknown[] = datasets.map((d) => JSON.parse(readFileSync(d.schema!.file, "utf8")) as unknown);

// ------------------------------------------------------------------------------------------ mutations

/** A value nested `levels` deep, as JSON text (JSON.stringify cannot write one this deep). */
function deepText(r: Rand, levels: number): string {
  const open = pick(r, ['{"a":', "[", '{"person":']);
  const close = open === "[" ? "]" : "}";
  return `${open.repeat(levels)}${pick(r, ["1", '"x"', "{}", "[]", "null"])}${close.repeat(levels)}`;
}

/** Flips one random bit of `bytes`. */
function flip(r: Rand, bytes: Buffer, at = int(r, bytes.length)): void {
  bytes[at] = bytes[at]! ^ (1 << int(r, 8));
}

function hugeString(r: Rand): string {
  return pick(r, ["x", "é", "😀", "\\u0000", "\\\"", "%", "a@b.", " "]).repeat(logInt(r, 1, 1_000_000));
}

const ODD_VALUES: readonly string[] = [
  "null", "0", "-1", "1.5", "3000000000", "-2147483649", "9007199254740993", "1e308", "-1e-308", "true", "[]", "{}", '""', '"robot"',
  '"2026-13-45T00:00:00Z"', '"2026-02-29"', '"not an email"', '"-0"', "[null]", '{"":""}', '{"__proto__":{"x":1}}', '"\\ud800"', "[[[[]]]]",
];

/** The JSON text of a value somewhere in `text` (a string, number or literal), or undefined. */
function someValueSpan(r: Rand, text: string): { start: number; end: number } | undefined {
  const spans: { start: number; end: number }[] = [];
  const re = /:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/g;
  for (let m = re.exec(text); m !== null && spans.length < 200; m = re.exec(text)) spans.push({ start: m.index + m[0].length - m[1]!.length, end: m.index + m[0].length });
  return spans.length === 0 ? undefined : pick(r, spans);
}

/** One mutation of JSON text: a value replaced (wrong type, out of range, deep, huge), bytes flipped, cut, spliced. */
function mutateText(r: Rand, text: string): string {
  const at = int(r, text.length + 1);
  switch (int(r, 9)) {
    case 0:
    case 1:
    case 2: {
      const span = someValueSpan(r, text);
      if (span === undefined) return text.slice(0, at);
      const kind = int(r, 4);
      const value = kind === 0 ? deepText(r, logInt(r, 1, 120_000)) : kind === 1 ? `"${hugeString(r)}"` : pick(r, ODD_VALUES);
      return text.slice(0, span.start) + value + text.slice(span.end);
    }
    case 3: {
      const bytes = Buffer.from(text, "utf8");
      for (let k = 0, n = logInt(r, 1, 16); k < n && bytes.length > 0; k++) flip(r, bytes);
      return bytes.toString("utf8");
    }
    case 4:
      return text.slice(0, at);
    case 5:
      return `${text.slice(0, at)}${pick(r, [",", "}", "]", '"', ":", "\\", "{", "[", '"x":1,', "\u0000", "\r", "\n", " ", "NaN", "Infinity", "'"])}${text.slice(at)}`;
    case 6: {
      const b = int(r, text.length + 1);
      return text.slice(0, Math.min(at, b)) + text.slice(Math.min(at, b), Math.max(at, b)).repeat(2) + text.slice(Math.max(at, b));
    }
    case 7:
      return text.replace(/^\{/, `{${deepText(r, logInt(r, 1, 120_000)).replace(/^\{/, "").replace(/\}$/, "")},`);
    default:
      return `${text.slice(0, at)}${text.slice(at + 1 + int(r, 20))}`;
  }
}

function mutated(r: Rand, text: string): string {
  let t = text;
  for (let k = 0, n = 1 + int(r, 3); k < n; k++) t = mutateText(r, t);
  return t;
}

// ------------------------------------------------------------------------------------------ the pipelines

const FILE = "fuzz.jsonl";

/** An exception that is not one of our coded errors, as a failure. */
const uncoded = (where: string, e: unknown): Outcome => ({ failure: `${where} threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });

/**
 * A parsed row as a job takes it (toFragment) and as `check --data` lists it (recordIssues): only coded errors, and
 * the list starts with the validator's first problem.
 */
function rowCase(dataset: Dataset, value: unknown, line: number): CheckedOutcome {
  let code: string | undefined;
  try {
    toFragment(dataset, value, FILE, line, 0);
  } catch (e) {
    if (!(e instanceof ProfileLabError)) return uncoded("toFragment", e);
    code = e.code;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return code === undefined ? {} : { code };
  try {
    const { _acp_system_metadata: _, ...data } = value as JsonObject;
    const first = validateRecord(data, dataset.schema!.type);
    const all = recordIssues(data, dataset.schema!.type);
    if (first === undefined ? all.length > 0 : JSON.stringify(all[0]) !== JSON.stringify(first)) {
      return { failure: `check --data's first problem ${JSON.stringify(all[0])} is not the job's ${JSON.stringify(first)}` };
    }
  } catch (e) {
    return uncoded("the validator", e);
  }
  return code === undefined ? {} : { code };
}

interface LineInput {
  readonly dataset: Dataset;
  readonly text: string;
}

function lineInput(i: number): LineInput {
  const r = rng(SEED * 1_000_003 + i);
  const seed = pick(r, SEEDS);
  return { dataset: seed.dataset, text: mutated(r, seed.text) };
}

function lineCase({ dataset, text }: LineInput): CheckedOutcome {
  let value: unknown;
  try {
    value = parseJson(text, FILE, 0);
  } catch (e) {
    return e instanceof ProfileLabError ? { code: e.code } : uncoded("parseJson", e);
  }
  return rowCase(dataset, value, 1);
}

/** A JSON document: a record pretty-printed (positions over several lines), or a schema with random constraints. */
type DocumentInput = { readonly kind: "record"; readonly dataset: Dataset; readonly text: string } | { readonly kind: "schema"; readonly text: string; readonly rows: readonly string[] };

const HOSTILE_PATTERNS = ["(a+)+b", "^(a|aa)*$", "(.*a){25}", "(a)\\1", "(?=a)", "\\p{L}+", "[", "(?i)^[a-z]+$", "x{1000}{1000}", "a".repeat(2000), "\\d{4}-\\d{2}"];

/** Random constraint keywords on every string and number leaf of a schema document. */
function constrain(r: Rand, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => constrain(r, n));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = constrain(r, v);
  if ((out["type"] === "string" || out["type"] === "integer" || out["type"] === "number") && r() < 0.5) {
    const keyword = pick(r, ["enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "format", "meta:xdmType"]);
    out[keyword] = {
      enum: pick(r, [["male", "female"], [1, 2], [], "x", [{}]]),
      minimum: pick(r, [0, -1, 1e308, "1", 1.5]),
      maximum: pick(r, [0, 100, -1e308, null]),
      minLength: pick(r, [0, 3, -1, 1.5]),
      maxLength: pick(r, [0, 10, 1e9]),
      pattern: pick(r, HOSTILE_PATTERNS),
      format: pick(r, ["email", "uri", "uri-reference", "date", "hostname", 7]),
      "meta:xdmType": pick(r, ["byte", "short", "int", "long", "map"]),
    }[keyword];
  }
  return out;
}

function documentInput(i: number): DocumentInput {
  const r = rng(SEED * 7_000_003 + i);
  if (r() < 0.5) {
    const seed = pick(r, SEEDS);
    return { kind: "record", dataset: seed.dataset, text: mutated(r, JSON.stringify(JSON.parse(seed.text), null, 2)) };
  }
  const text = JSON.stringify(constrain(r, pick(r, SCHEMA_DOCS)), null, 2);
  return { kind: "schema", text: r() < 0.5 ? mutated(r, text) : text, rows: Array.from({ length: 3 }, () => mutated(r, pick(r, SEEDS).text)) };
}

function documentCase(input: DocumentInput): CheckedOutcome {
  let doc: unknown;
  try {
    doc = parseJson(input.text, "fuzz.json");
  } catch (e) {
    return e instanceof ProfileLabError ? { code: e.code } : uncoded("parseJson", e);
  }
  if (input.kind === "record") return rowCase(input.dataset, doc, 1);
  let type: XdmObject;
  try {
    type = schemaFromJson(doc, "fuzz.schema.json").type;
  } catch (e) {
    return e instanceof ProfileLabError ? { code: e.code } : uncoded("schemaFromJson", e);
  }
  const dataset: Dataset = { ...datasets[0]!, schema: { id: "fuzz", title: "fuzz", xdmClass: "", type, file: "fuzz.schema.json" } };
  let last: CheckedOutcome = {};
  for (const row of input.rows) {
    try {
      last = rowCase(dataset, JSON.parse(row), 1);
    } catch {
      continue;
    }
    if (last.failure !== undefined) return last;
  }
  return last;
}

let dir: string;

/** A JSON Lines file: mutated lines of one dataset, joined by LF, CRLF or CR, maybe without its last newline. */
function fileInput(i: number): { readonly dataset: Dataset; readonly text: string } {
  const r = rng(SEED * 13_000_003 + i);
  const dataset = pick(r, datasets);
  const own = SEEDS.filter((s) => s.dataset === dataset);
  const lines = Array.from({ length: 1 + int(r, 8) }, () => (r() < 0.5 ? pick(r, own).text : mutated(r, pick(r, own).text)));
  return { dataset, text: lines.join(pick(r, ["\n", "\r\n", "\n\n", "\r"])) + pick(r, ["\n", "", "\r\n"]) };
}

function fileCase({ dataset, text }: { readonly dataset: Dataset; readonly text: string }): CheckedOutcome {
  const path = join(dir, FILE);
  writeFileSync(path, text);
  let last: CheckedOutcome = {};
  try {
    for (const { line, text: lineText } of linesOf(path)) {
      let value: unknown;
      try {
        value = parseJson(lineText, path, line - 1);
      } catch (e) {
        if (!(e instanceof ProfileLabError)) return uncoded("parseJson", e);
        if (e.location.line !== line) return { failure: `IO-J001 at line ${e.location.line} for a fault on line ${line}` };
        last = { code: e.code };
        continue;
      }
      last = rowCase(dataset, value, line);
      if (last.failure !== undefined) return last;
    }
  } catch (e) {
    return e instanceof ProfileLabError ? { code: e.code } : uncoded("linesOf", e);
  }
  return last;
}

// ------------------------------------------------------------------------------------------ Parquet

/** Seed Parquet files: the sample's CRM and event rows under each codec. */
const PARQUET_SEEDS: Buffer[] = [];

async function writeSeedParquet(dataset: Dataset, compression: "zstd" | "snappy" | "uncompressed"): Promise<Buffer> {
  const type = object([...dataset.schema!.type.fields, ["_acp_system_metadata", object([["ingestTime", scalar("date-time")]])]]);
  const path = join(dir, `seed-${PARQUET_SEEDS.length}.parquet`);
  const writer = await ParquetFileWriter.open(path, type, { compression, rowGroupSize: 15 });
  await writer.write(SEEDS.filter((s) => s.dataset === dataset).map((s) => JSON.parse(s.text) as JsonObject));
  await writer.close();
  return readFileSync(path);
}

interface ParquetInput {
  readonly seed: number;
  readonly bytes: Buffer;
  /** What was done to the seed, for the report. */
  readonly what: string;
}

/** Parquet bytes mutated: bits flipped, a block of garbage, cut short, the footer length or magic changed. */
function parquetInput(i: number): ParquetInput {
  const r = rng(SEED * 19_000_003 + i);
  const seed = int(r, PARQUET_SEEDS.length);
  const bytes = Buffer.from(PARQUET_SEEDS[seed]!);
  const at = int(r, bytes.length);
  const input = (what: string, mutated = bytes): ParquetInput => ({ seed, bytes: mutated, what: `input #${i}: seed ${seed} (${bytes.length} bytes), ${what}` });
  switch (int(r, 5)) {
    case 0: {
      const n = logInt(r, 1, 64);
      for (let k = 0; k < n; k++) flip(r, bytes);
      return input(`${n} bits flipped`);
    }
    case 1: {
      const n = logInt(r, 1, 4096);
      for (let k = 0; k < n && at + k < bytes.length; k++) bytes[at + k] = int(r, 256);
      return input(`${n} bytes of garbage at ${at}`);
    }
    case 2:
      return input(`cut at ${at}`, bytes.subarray(0, at));
    case 3:
      bytes.writeUInt32LE(int(r, 2) === 0 ? int(r, 2 ** 32) : int(r, bytes.length), bytes.length - 8);
      return input(`footer length ${bytes.readUInt32LE(bytes.length - 8)}`);
    default: {
      // Bits flipped inside the footer (the metadata parquet-wasm decodes first).
      const footer = bytes.readUInt32LE(bytes.length - 8);
      const n = logInt(r, 1, 8);
      for (let k = 0; k < n; k++) flip(r, bytes, Math.max(0, bytes.length - 9 - int(r, Math.max(1, footer))));
      return input(`${n} bits flipped in the footer`);
    }
  }
}

async function parquetCase(input: ParquetInput): Promise<CheckedOutcome> {
  const path = join(dir, "fuzz.parquet");
  writeFileSync(path, input.bytes);
  const dataset = PARQUET_DATASETS[input.seed % PARQUET_DATASETS.length]!;
  let last: CheckedOutcome = {};
  try {
    for await (const { line, value } of readParquetRows(path)) {
      last = rowCase(dataset, value, line);
      if (last.failure !== undefined) return last;
    }
  } catch (e) {
    if (!(e instanceof ProfileLabError)) return uncoded("readParquetRows", e);
    if (e.location.file !== path) return { failure: `${e.code} does not name the file: ${e.format()}` };
    return { code: e.code };
  }
  return last;
}

const PARQUET_DATASETS = [datasets.find((d) => d.kind === "profile")!, datasets.find((d) => d.kind === "event")!];

// ------------------------------------------------------------------------------------------ the suite

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "profile-lab-data-fuzz-"));
  for (const compression of ["zstd", "snappy", "uncompressed"] as const) for (const dataset of PARQUET_DATASETS) PARQUET_SEEDS.push(await writeSeedParquet(dataset, compression));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const showText = (input: { readonly text: string }): string => input.text;

describe(`data fuzz (seed ${SEED}: ${LINE_RUNS.toLocaleString("en")} lines, ${DOCUMENT_RUNS.toLocaleString("en")} documents, ${FILE_RUNS.toLocaleString("en")} JSON Lines files, ${PARQUET_RUNS.toLocaleString("en")} Parquet files)`, () => {
  it.each([
    ["JSON Lines lines", () => fuzz(lineInput, LINE_RUNS, lineCase, showText)],
    ["JSON documents", () => fuzz(documentInput, DOCUMENT_RUNS, documentCase, showText)],
    ["JSON Lines files", () => fuzz(fileInput, FILE_RUNS, fileCase, showText)],
  ] as const)(
    "%s: only coded errors escape, check --data lists first what stops a job, and no input runs over its time budget",
    (name, run) => {
      const r = run();
      report(`data: ${name} (CPU time)`, r, "valid");
      expect(r.failures.slice(0, 20)).toEqual([]);
      expect(r.over.map((o) => `${o.ms.toFixed(0)} ms: ${clip(o.input)}`)).toEqual([]);
      // Both outcomes must be exercised for the suite to mean anything.
      expect(r.count - r.accepted).toBeGreaterThan(r.count / 4);
    },
    TIMEOUT_MS,
  );

  it(
    "Parquet files: damaged bytes are coded errors naming the file (IO-P001/IO-P003), never a wasm trap, within the time budget",
    async () => {
      const r = await fuzzAsync(parquetInput, PARQUET_RUNS, parquetCase, (input) => input.what);
      report("data: Parquet files (CPU time)", r, "read to the end");
      expect(r.failures.slice(0, 20)).toEqual([]);
      expect(r.over.map((o) => `${o.ms.toFixed(0)} ms: ${o.input}`)).toEqual([]);
      expect(r.count - r.accepted).toBeGreaterThan(r.count / 4);
    },
    TIMEOUT_MS,
  );
});
