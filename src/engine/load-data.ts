/**
 * The data files as fragments: every line is parsed, stamped with its ingestion time, validated against its
 * dataset's schema and given its identities. A bad line stops the job with file, line and JSON path; nothing
 * has been written at that point, so earlier results stay intact.
 */
import { IdentityGraph } from "../identity/identity-graph.js";
import { identityKeys, primaryIdentity } from "../identity/identity-key.js";
import { IoError } from "../io/io-error.js";
import { readJsonl, type JsonlLine } from "../io/jsonl.js";
import { readParquetRows } from "../io/parquet-reader.js";
import type { EventFragment, RecordFragment } from "../merge/fragment.js";
import { toEpochMs } from "../xdm/time.js";
import type { IdentityMap, JsonObject } from "../xdm/types.js";
import { preview } from "../xdm/preview.js";
import { validateRecord } from "../xdm/validate.js";
import { dataFiles, type DataFile } from "./data-files.js";
import { paced, PROGRESS_EVERY, STEP_EVERY, type Checkpoint, type ShardProgress } from "./job-progress.js";
import type { Dataset, Sandbox } from "./sandbox.js";

export interface SandboxData {
  readonly records: readonly RecordFragment[];
  readonly events: readonly EventFragment[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export type SandboxFragment = { readonly kind: "record"; readonly fragment: RecordFragment } | { readonly kind: "event"; readonly fragment: EventFragment };

/**
 * Every row of a data file parsed (JSON Lines) or decoded (Parquet). `columns` lets Parquet decode only
 * those top-level columns; JSON Lines rows are whole whatever it says.
 */
export function fileRows(file: DataFile, columns?: readonly string[]): AsyncGenerator<JsonlLine> {
  return file.rel.endsWith(".parquet") ? readParquetRows(file.path, { listed: file.listed, ...(columns ? { columns } : {}) }) : readJsonl(file.path, file.listed);
}

/** Streams every line of the sandbox's profile and event datasets as a validated fragment, in load order. */
export async function* readFragments(sandbox: Sandbox): AsyncGenerator<SandboxFragment> {
  let seq = 0;
  for (const file of dataFiles(sandbox)) {
    for await (const { line, value } of fileRows(file)) yield tagged(file.dataset, toFragment(file.dataset, value, file.rel, line, seq++));
  }
}

/** A fragment tagged with its kind (its dataset's). */
export function tagged(dataset: Dataset, fragment: RecordFragment | EventFragment): SandboxFragment {
  return dataset.kind === "event" ? { kind: "event", fragment: fragment as EventFragment } : { kind: "record", fragment };
}

/**
 * Reads every data file into memory, each fragment labelled with the component of the full identity graph
 * (all datasets) its primary identity belongs to — the key profiles are ordered by. A job's `checkpoint` is called
 * as rows are read (`reading`) and linked (`identities`).
 */
export async function loadSandboxData(
  sandbox: Sandbox,
  checkpoint?: Checkpoint<ShardProgress>,
): Promise<SandboxData> {
  const records: RecordFragment[] = [];
  const events: EventFragment[] = [];
  let rows = 0;
  for await (const f of readFragments(sandbox)) {
    if (f.kind === "event") events.push(f.fragment);
    else records.push(f.fragment);
    if (checkpoint !== undefined && ++rows % PROGRESS_EVERY === 0) await checkpoint({ stage: "reading", rows });
  }
  await paced(componentSteps(records, events), checkpoint && ((done) => checkpoint({ stage: "identities", rows: done, totalRows: 2 * (records.length + events.length) })));
  return { records, events };
}

/**
 * Labels each fragment with its component in the identity graph these fragments make (smallest identity). Steps of
 * STEP_EVERY fragments, each pass over them counted.
 */
export function* componentSteps(records: readonly RecordFragment[], events: readonly EventFragment[]): Generator<number, void> {
  const graph = new IdentityGraph();
  let done = 0;
  for (const r of records) {
    graph.observe("record", r.identities, r.primary);
    if (++done % STEP_EVERY === 0) yield done;
  }
  for (const e of events) {
    graph.observe("event", e.identities, e.primary);
    if (++done % STEP_EVERY === 0) yield done;
  }
  const canonical = graph.canonicalizer();
  for (const f of records) {
    f.component = canonical(f.primary) ?? f.primary;
    if (++done % STEP_EVERY === 0) yield done;
  }
  for (const f of events) {
    f.component = canonical(f.primary) ?? f.primary;
    if (++done % STEP_EVERY === 0) yield done;
  }
}

function failAt(file: string, line: number): (jsonPath: string, message: string) => never {
  return (jsonPath, message) => {
    throw new IoError("IO-D001", message, { file, line, jsonPath });
  };
}

const NO_PRIMARY = "no primary identity: flag one identityMap item with \"primary\": true (or set the dataset's primaryIdentityNamespace)";

/** A data line as a validated fragment; a bad line throws with file, line and JSON path. */
export function toFragment(dataset: Dataset, value: unknown, file: string, line: number, seq: number): RecordFragment | EventFragment {
  const fail = failAt(file, line);
  if (!isObject(value)) return fail("$", "each line must be a JSON object (one record or event)");
  const { _acp_system_metadata: meta, ...data } = value;
  const rawIngest = isObject(meta) ? meta["ingestTime"] : undefined;
  if (rawIngest === undefined) {
    return fail("$._acp_system_metadata.ingestTime", "missing ingestion time: add \"_acp_system_metadata\": {\"ingestTime\": \"<RFC 3339>\"}");
  }
  const ingestTime = toEpochMs(rawIngest);
  if (ingestTime === undefined) return fail("$._acp_system_metadata.ingestTime", `not a timestamp: ${preview(rawIngest)}`);
  const issue = validateRecord(data, dataset.schema!.type);
  if (issue) return fail(issue.path, `${issue.message} (dataset "${dataset.entry.name}")`);
  const identityMap = data["identityMap"] as IdentityMap | undefined;
  const primary = primaryIdentity(identityMap, dataset.entry.primaryIdentityNamespace);
  if (primary === undefined) return fail("$.identityMap", NO_PRIMARY);
  const origin = { datasetId: dataset.entry.id, seq, file, line, ingestTime, primary, component: primary, identities: identityKeys(identityMap), data };
  if (dataset.kind !== "event") return origin;
  if (typeof data["_id"] !== "string") return fail("$._id", "an ExperienceEvent needs an \"_id\"");
  const timestamp = toEpochMs(data["timestamp"]);
  if (timestamp === undefined) return fail("$.timestamp", "an ExperienceEvent needs a \"timestamp\" (RFC 3339)");
  return { ...origin, timestamp };
}
