/** Writes small hand-made sandboxes for scenario tests that go through the engine. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** identityMap in the XDM JSON Schema dialect the loader reads. */
export const IDENTITY_MAP_SCHEMA = {
  type: "object",
  "meta:xdmType": "map",
  additionalProperties: {
    type: "array",
    items: { type: "object", properties: { id: { type: "string" }, authenticatedState: { type: "string" }, primary: { type: "boolean" } } },
  },
};

const PROFILE_SCHEMA = {
  $id: "https://example.com/schemas/profile",
  title: "Test profile",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/profile",
  properties: {
    _id: { type: "string" },
    identityMap: IDENTITY_MAP_SCHEMA,
    person: { type: "object", properties: { name: { type: "object", properties: { firstName: { type: "string" } } } } },
    homeAddress: { type: "object", properties: { state: { type: "string" }, countryCode: { type: "string" } } },
    loyalty: { type: "object", properties: { tier: { type: "string" } } },
    extSourceSystemAudit: { type: "object", properties: { lastUpdatedDate: { type: "string", format: "date-time" } } },
  },
};

export const EVENT_SCHEMA = {
  $id: "https://example.com/schemas/event",
  title: "Test event",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/experienceevent",
  properties: { _id: { type: "string" }, timestamp: { type: "string", format: "date-time" }, eventType: { type: "string" }, identityMap: IDENTITY_MAP_SCHEMA },
};

export interface TestSandboxSpec {
  /** Dataset id → data lines (records or events; `_acp_system_metadata` is added from `ingest` when absent). */
  readonly profiles?: Record<string, object[]>;
  readonly events?: object[];
  readonly policies?: object[];
  readonly segments?: { id: string; pql: string; name?: string; mergePolicyId?: string }[];
  readonly conventions?: Record<string, string>;
}

const INGEST = "2024-05-01T00:00:00Z";

function lines(rows: object[]): string {
  return rows.map((r) => JSON.stringify({ _acp_system_metadata: { ingestTime: INGEST }, ...r })).join("\n") + "\n";
}

/** Writes the sandbox into a fresh scratch folder and returns its path. */
export function writeSandbox(spec: TestSandboxSpec): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-test-")), "sandbox");
  for (const sub of ["schemas", "datasets", "merge-policies", "segments"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "schemas/profile.schema.json"), JSON.stringify(PROFILE_SCHEMA));
  writeFileSync(join(dir, "schemas/event.schema.json"), JSON.stringify(EVENT_SCHEMA));
  const datasets: object[] = [];
  for (const [id, rows] of Object.entries(spec.profiles ?? {})) {
    writeFileSync(join(dir, `datasets/${id}.jsonl`), lines(rows));
    datasets.push({ id, name: id, schemaRef: { id: PROFILE_SCHEMA.$id }, files: [`datasets/${id}.jsonl`] });
  }
  writeFileSync(join(dir, "datasets/ds_events.jsonl"), lines(spec.events ?? []));
  datasets.push({ id: "ds_events", name: "events", schemaRef: { id: EVENT_SCHEMA.$id }, files: ["datasets/ds_events.jsonl"] });
  datasets.push({ id: "ds_export", name: "export", schemaRef: { id: "https://ns.adobe.com/xdm/context/profile__union" } });
  writeFileSync(
    join(dir, "sandbox.json"),
    JSON.stringify({ name: "test", imsOrgId: "TEST@AdobeOrg", datasets, ...(spec.conventions ? { conventions: spec.conventions } : {}) }),
  );
  (spec.policies ?? []).forEach((p, i) => writeFileSync(join(dir, `merge-policies/p${i}.json`), JSON.stringify(p)));
  for (const s of spec.segments ?? []) {
    writeFileSync(
      join(dir, `segments/${s.id}.json`),
      JSON.stringify({ id: s.id, name: s.name ?? s.id, schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/text", value: s.pql }, ...(s.mergePolicyId ? { mergePolicyId: s.mergePolicyId } : {}) }),
    );
  }
  return dir;
}

/** Appends data lines to a dataset of a sandbox written by writeSandbox. */
export function appendLines(dir: string, datasetId: string, rows: object[]): void {
  writeFileSync(join(dir, `datasets/${datasetId}.jsonl`), lines(rows), { flag: "a" });
}

export const ids = (ns: string, id: string, extra: Record<string, { id: string }[]> = {}) => ({ identityMap: { [ns]: [{ id, primary: true }], ...extra } });
