/**
 * The fixture sandbox the seed bodies run against: the datasets, segments and merge policies their ids name,
 * a few profiles and events, and a membership snapshot so that segment-filtered exports have members without
 * a segment job having run first.
 *
 * - union export datasets `5b020a27e7040801dedba61b` (000, 002, 003, 004) and `5b7c86968f7b6501e21ba9df` (001);
 * - merge policies `0bf16e61-…` (the default, the id the seeds' responses show; `timestampOrdered-none-mp`
 *   in 001 is the library's alias of the default) and `e5bc94de-…` (000, 002, 003, 004);
 * - segments `52c26d0d-…` (001), `4edc8488-…` and `1rfe8422-…` (003/004; not uuids, the docs' own ids),
 *   `42f49f2d-…` and `54a20f19-…` (003's segment job).
 *
 * The schemas deliberately lack `identities.id` (a field of the deprecated `identities` array) and
 * `environment.browserDetails.version`, which the seeds' `fields` lists name: the export must warn about
 * them, not fail.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SandboxState } from "../../../src/store/sandbox-state.js";
import { replaceMemberships } from "../../../src/store/membership-part.js";
import { IDENTITY_MAP_SCHEMA } from "../../helpers/sandbox.js";
import type { MembershipSnapshot } from "../../../src/store/membership-store.js";

export const UNION_DATASET = "5b020a27e7040801dedba61b";
export const UNION_DATASET_001 = "5b7c86968f7b6501e21ba9df";
export const CRM_DATASET = "5c8c3c555033b814b69f947f";
export const EVENT_DATASET = "5c8c3c555033b814b69f9480";

export const DEFAULT_POLICY = "0bf16e61-90e9-4204-b8fa-ad250360957b";
export const SEED_POLICY = "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2";

export const SEGMENT_001 = "52c26d0d-45f2-47a2-ab30-ed06abc981ff";
export const SEGMENT_AAM = "4edc8488-2c35-4f6d-b4c6-9075c68d2df4";
export const SEGMENT_UPS_EXITED = "1rfe8422-334d-12f4-3sd4-12cf6g990g51";
export const SEGMENT_JOB_A = "42f49f2d-edb0-474f-b29d-2799d89cd5a6";
export const SEGMENT_JOB_B = "54a20f19-9a0w-293a-9b82-409b1p3v0192";


const PROFILE_SCHEMA = {
  $id: "https://example.com/schemas/seed-profile",
  title: "Seed profile",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/profile",
  properties: {
    _id: { type: "string" },
    identityMap: IDENTITY_MAP_SCHEMA,
    person: { type: "object", properties: { name: { type: "object", properties: { firstName: { type: "string" } } } } },
    personalEmail: { type: "object", properties: { address: { type: "string" } } },
    homeAddress: { type: "object", properties: { country: { type: "string" } } },
  },
};

const EVENT_SCHEMA = {
  $id: "https://example.com/schemas/seed-event",
  title: "Seed event",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/experienceevent",
  properties: {
    _id: { type: "string" },
    timestamp: { type: "string", format: "date-time" },
    eventType: { type: "string" },
    identityMap: IDENTITY_MAP_SCHEMA,
    environment: { type: "object", properties: { browserDetails: { type: "object", properties: { name: { type: "string" } } } } },
  },
};

const policy = (id: string, graph: "none" | "pdg", isDefault: boolean) => ({
  id,
  name: id,
  imsOrgId: "SEED@AdobeOrg",
  schema: { name: "_xdm.context.profile" },
  version: 1,
  identityGraph: { type: graph },
  attributeMerge: { type: "timestampOrdered" },
  isActiveOnEdge: false,
  default: isDefault,
});

const segment = (id: string, pql: string, mergePolicyId?: string) => ({
  id,
  name: `seed segment ${id}`,
  schema: { name: "_xdm.context.profile" },
  expression: { type: "PQL", format: "pql/text", value: pql },
  ...(mergePolicyId ? { mergePolicyId } : {}),
});

const email = (address: string) => ({ identityMap: { email: [{ id: address, primary: true }] } });
const meta = (ingestTime: string) => ({ _acp_system_metadata: { ingestTime } });

const PROFILES = [
  { _id: "r1", ...email("jane@example.com"), person: { name: { firstName: "Jane" } }, personalEmail: { address: "jane@example.com" }, homeAddress: { country: "US" }, ...meta("2024-05-01T09:00:00Z") },
  { _id: "r2", ...email("bob@example.com"), person: { name: { firstName: "Bob" } }, personalEmail: { address: "bob@example.com" }, homeAddress: { country: "CA" }, ...meta("2024-05-02T09:00:00Z") },
  { _id: "r3", ...email("ann@example.com"), person: { name: { firstName: "Ann" } }, personalEmail: { address: "ann@example.com" }, homeAddress: { country: "US" }, ...meta("2024-05-03T09:00:00Z") },
];

const EVENTS = [
  { _id: "e1", timestamp: "2024-05-01T10:00:00Z", eventType: "web.webpagedetails.pageViews", ...email("jane@example.com"), environment: { browserDetails: { name: "Firefox" } }, ...meta("2024-05-01T10:05:00Z") },
  { _id: "e2", timestamp: "2018-10-20T10:00:00Z", eventType: "web.webpagedetails.pageViews", ...email("jane@example.com"), environment: { browserDetails: { name: "Chrome" } }, ...meta("2018-10-20T10:05:00Z") },
  // An event-only ("empty") profile: exported only with filter.emptyProfiles true.
  { _id: "e3", timestamp: "2024-05-04T10:00:00Z", eventType: "web.webpagedetails.pageViews", ...email("dan@example.com"), environment: { browserDetails: { name: "Safari" } }, ...meta("2024-05-04T10:05:00Z") },
];

/** Memberships as a previous segment job would have left them, inside the seeds' qualification windows. */
function snapshot(): MembershipSnapshot {
  const entry = (status: "realized" | "existing" | "exited", lastQualificationTime: string) => ({ status, lastQualificationTime, version: "1" });
  return new Map([
    ["email:jane@example.com", new Map([[SEGMENT_001, entry("realized", "2018-01-15T00:00:00.000Z")], [SEGMENT_JOB_A, entry("realized", "2019-09-01T06:00:00.000Z")]])],
    ["email:bob@example.com", new Map([[SEGMENT_UPS_EXITED, entry("exited", "2019-09-01T12:00:00.000Z")]])],
  ]);
}

const lines = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** Writes the seed sandbox into a fresh scratch folder and returns its path. */
export function writeSeedSandbox(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-seeds-")), "sandbox");
  for (const sub of ["schemas", "datasets", "merge-policies", "segments"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "schemas/profile.schema.json"), JSON.stringify(PROFILE_SCHEMA));
  writeFileSync(join(dir, "schemas/event.schema.json"), JSON.stringify(EVENT_SCHEMA));
  writeFileSync(join(dir, "datasets/crm.jsonl"), lines(PROFILES));
  writeFileSync(join(dir, "datasets/events.jsonl"), lines(EVENTS));
  const union = { id: "https://ns.adobe.com/xdm/context/profile__union", contentType: "application/vnd.adobe.xed+json;version=1" };
  const manifest = {
    name: "seeds",
    imsOrgId: "SEED@AdobeOrg",
    sandbox: { sandboxId: "e7e17720-c5bb-11e9-aafb-87c71c35cac8", sandboxName: "prod", type: "production", default: true },
    datasets: [
      { id: CRM_DATASET, name: "CRM", schemaRef: { id: PROFILE_SCHEMA.$id }, files: ["datasets/crm.jsonl"] },
      { id: EVENT_DATASET, name: "Web events", schemaRef: { id: EVENT_SCHEMA.$id }, files: ["datasets/events.jsonl"] },
      { id: UNION_DATASET, name: "Profile Data Export", schemaRef: union },
      { id: UNION_DATASET_001, name: "Segment Export", schemaRef: union },
    ],
  };
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, "merge-policies/default.json"), JSON.stringify(policy(DEFAULT_POLICY, "none", true)));
  writeFileSync(join(dir, "merge-policies/seed.json"), JSON.stringify(policy(SEED_POLICY, "pdg", false)));
  const segments = [
    segment(SEGMENT_001, 'homeAddress.country = "US"'),
    segment(SEGMENT_AAM, 'homeAddress.country = "US"', SEED_POLICY),
    segment(SEGMENT_UPS_EXITED, 'person.name.firstName = "Bob"', SEED_POLICY),
    // The two segments of 003's segment job, with the PQL its response shows.
    segment(SEGMENT_JOB_A, 'homeAddress.country = "US"', SEED_POLICY),
    segment(SEGMENT_JOB_B, 'homeAddress.country = "US"'),
  ];
  for (const s of segments) writeFileSync(join(dir, `segments/${s.id}.json`), JSON.stringify(s));
  const state = new SandboxState(dir);
  mkdirSync(state.root, { recursive: true });
  replaceMemberships(state.membership, snapshot());
  return dir;
}
