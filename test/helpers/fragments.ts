/** Builders for hand-written fragments in scenario tests. */
import { identityKeys, primaryIdentity } from "../../src/identity/identity-key.js";
import type { EventFragment, RecordFragment } from "../../src/merge/fragment.js";
import { parseDateTime } from "../../src/xdm/time.js";
import type { IdentityMap, JsonObject, MergePolicy } from "../../src/xdm/types.js";

let seq = 0;

function ms(time: string): number {
  const t = parseDateTime(time);
  if (t === undefined) throw new Error(`bad time in test: ${time}`);
  return t;
}

/** A record fragment of `datasetId` ingested at `ingested`, whose identityMap is `identities`. */
export function record(datasetId: string, ingested: string, identities: IdentityMap, data: JsonObject = {}): RecordFragment {
  const withIds: JsonObject = { ...data, identityMap: identities as unknown as JsonObject };
  return {
    datasetId,
    seq: seq++,
    file: `${datasetId}.jsonl`,
    line: seq,
    ingestTime: ms(ingested),
    primary: primaryIdentity(identities)!,
    component: primaryIdentity(identities)!,
    identities: identityKeys(identities),
    data: withIds,
  };
}

export function event(datasetId: string, ingested: string, timestamp: string, identities: IdentityMap, data: JsonObject = {}): EventFragment {
  const r = record(datasetId, ingested, identities, { _id: `ev-${seq}`, timestamp, ...data });
  return { ...r, timestamp: ms(timestamp) };
}

/** `{ CRMID: [{ id, primary: true }] }` and friends. */
export const crm = (id: string, extra: IdentityMap = {}): IdentityMap => ({ CRMID: [{ id, primary: true }], ...extra });
export const email = (id: string, extra: IdentityMap = {}): IdentityMap => ({ Email: [{ id, primary: true }], ...extra });

export function policy(id: string, graph: "none" | "pdg", merge: "timestampOrdered" | "dataSetPrecedence", order?: string[]): MergePolicy {
  return {
    id,
    name: id,
    schema: { name: "_xdm.context.profile" },
    version: 1,
    identityGraph: { type: graph },
    attributeMerge: order ? { type: merge, order } : { type: merge },
    default: false,
  };
}

/** The shared fixtures' policies (scenarios.md). */
export const TS_NONE = policy("timestampOrdered-none-mp", "none", "timestampOrdered");
export const TS_PDG = policy("mp_ts_pdg", "pdg", "timestampOrdered");
export const DSP = policy("mp_dsp", "pdg", "dataSetPrecedence", ["ds_loyalty", "ds_crm"]);
export const LOYALTY_ONLY = policy("mp_loyalty_only", "none", "dataSetPrecedence", ["ds_loyalty"]);

/** The entity without its identityMap, for comparing attributes. */
export function attributes(entity: JsonObject): JsonObject {
  const { identityMap: _ignored, ...rest } = entity;
  return rest;
}
