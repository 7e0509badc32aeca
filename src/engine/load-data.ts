/**
 * The data files as fragments: every line is parsed, stamped with its ingestion time, validated against its
 * dataset's schema and given its identities. A bad line stops the job with file, line and JSON path; nothing
 * has been written at that point, so earlier results stay intact.
 */
import { join } from "node:path";
import { IdentityGraph } from "../identity/identity-graph.js";
import { identityKeys, primaryIdentity } from "../identity/identity-key.js";
import { IoError } from "../io/io-error.js";
import { readJsonl } from "../io/jsonl.js";
import { readParquetRows } from "../io/parquet-reader.js";
import type { EventFragment, RecordFragment } from "../merge/fragment.js";
import { toEpochMs } from "../xdm/time.js";
import type { IdentityMap, JsonObject } from "../xdm/types.js";
import { validateRecord } from "../xdm/validate.js";
import type { Dataset, Sandbox } from "./sandbox.js";

export interface SandboxData {
  readonly records: readonly RecordFragment[];
  readonly events: readonly EventFragment[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export type SandboxFragment = { readonly kind: "record"; readonly fragment: RecordFragment } | { readonly kind: "event"; readonly fragment: EventFragment };

/** Streams every line of the sandbox's profile and event datasets as a validated fragment, in load order. */
export async function* readFragments(sandbox: Sandbox): AsyncGenerator<SandboxFragment> {
  let seq = 0;
  for (const dataset of sandbox.datasets) {
    if (dataset.kind === "union") continue;
    for (const rel of dataset.entry.files ?? []) {
      const path = join(sandbox.dir, rel);
      for await (const { line, value } of rel.endsWith(".parquet") ? readParquetRows(path) : readJsonl(path)) {
        const fragment = toFragment(dataset, value, rel, line, seq++);
        if (dataset.kind === "event") yield { kind: "event", fragment: fragment as EventFragment };
        else yield { kind: "record", fragment };
      }
    }
  }
}

/**
 * Reads every data file into memory, each fragment labelled with the component of the full identity graph
 * (all datasets) its primary identity belongs to — the key shards are cut by.
 */
export async function loadSandboxData(sandbox: Sandbox): Promise<SandboxData> {
  const records: RecordFragment[] = [];
  const events: EventFragment[] = [];
  const graph = new IdentityGraph();
  for await (const f of readFragments(sandbox)) {
    graph.observe(f.kind, f.fragment.identities, f.fragment.primary);
    if (f.kind === "event") events.push(f.fragment);
    else records.push(f.fragment);
  }
  const canonical = graph.canonicalizer();
  for (const f of records) f.component = canonical(f.primary) ?? f.primary;
  for (const f of events) f.component = canonical(f.primary) ?? f.primary;
  return { records, events };
}

function toFragment(dataset: Dataset, value: unknown, file: string, line: number, seq: number): RecordFragment | EventFragment {
  const fail = (jsonPath: string, message: string): never => {
    throw new IoError("IO-D001", message, { file, line, jsonPath });
  };
  if (!isObject(value)) return fail("$", "each line must be a JSON object (one record or event)");
  const { _acp_system_metadata: meta, ...data } = value;
  const rawIngest = isObject(meta) ? meta["ingestTime"] : undefined;
  if (rawIngest === undefined) {
    return fail("$._acp_system_metadata.ingestTime", "missing ingestion time: add \"_acp_system_metadata\": {\"ingestTime\": \"<RFC 3339>\"}");
  }
  const ingestTime = toEpochMs(rawIngest);
  if (ingestTime === undefined) return fail("$._acp_system_metadata.ingestTime", `not a timestamp: ${JSON.stringify(rawIngest)}`);
  const issue = validateRecord(data, dataset.schema!.type);
  if (issue) return fail(issue.path, `${issue.message} (dataset "${dataset.entry.name}")`);
  const identityMap = data["identityMap"] as IdentityMap | undefined;
  const primary = primaryIdentity(identityMap, dataset.entry.primaryIdentityNamespace);
  if (primary === undefined) {
    return fail("$.identityMap", "no primary identity: flag one identityMap item with \"primary\": true (or set the dataset's primaryIdentityNamespace)");
  }
  const origin = { datasetId: dataset.entry.id, seq, file, line, ingestTime, primary, component: primary, identities: identityKeys(identityMap), data };
  if (dataset.kind !== "event") return origin;
  if (typeof data["_id"] !== "string") return fail("$._id", "an ExperienceEvent needs an \"_id\"");
  const timestamp = toEpochMs(data["timestamp"]);
  if (timestamp === undefined) return fail("$.timestamp", "an ExperienceEvent needs a \"timestamp\" (RFC 3339)");
  return { ...origin, timestamp };
}
