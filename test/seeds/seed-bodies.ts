/**
 * The JSON bodies of five Adobe Experience Platform documentation pages (AdobeDocs, machine-translated into
 * French and Portuguese; the "seeds", not part of this repo), one fixture file each under fixtures/. This table
 * is where each fixture came from: the seed file, the line of the code fence that opens the block, and the doc
 * section it sits in. Tests read only the fixtures. The maintainer script `extract-fixtures.ts`, given the
 * folder of the documents, rewrites the fixtures from this table or (`--check`) verifies that they still equal
 * the documents' text and that every body-carrying block of the documents is listed here.
 *
 * Blocks that carry no body (```http API formats, curl GET/DELETE requests without `-d`) are not fixtures.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES_DIR = join(import.meta.dirname, "fixtures");

/** The seed documents' file names (in the folder given to extract-fixtures.ts). */
export const SEED_FILES = {
  "000": "000_dff55d1a7e408a25.txt",
  "001": "001_c58cecacf82d6c7e.txt",
  "002": "002_5145498ac3c0bc72.txt",
  "003": "003_e407786ddc20e907.txt",
  "004": "004_d99eba5d826c95dd.txt",
} as const;
export type SeedId = keyof typeof SEED_FILES;

/**
 * - `request` / `response`: a whole body;
 * - `fragment`: a `"key": value` excerpt of a response, stored wrapped in `{…}`;
 * - `example`: a data example that is neither (the `segmentMembership` attribute of a profile record).
 */
export type BodyKind = "request" | "response" | "fragment" | "example";

export interface SeedBody {
  readonly fixture: string;
  readonly seed: SeedId;
  /** 1-based line of the opening ``` fence in the seed file. */
  readonly line: number;
  readonly section: string;
  readonly call: string;
  readonly kind: BodyKind;
  /** The doc's text is not valid JSON; `fix` turns it into the body the doc means (the raw text is kept too). */
  readonly fix?: { readonly rawFixture: string; readonly what: string; readonly apply: (text: string) => string };
}

/** 000 and 002 both drop the comma between `additionalFields` and `destination` in the create-export-job request. */
const MISSING_COMMA = {
  what: 'missing "," between the "additionalFields" object and "destination"',
  apply: (text: string) => text.replace(/\}(\s*)"destination"/, '},$1"destination"'),
};

/** Profile API export jobs (000, French) and its newer Portuguese version (002): the same calls. */
function profileApiExportDoc(seed: "000" | "002", lines: readonly number[]): SeedBody[] {
  const [dsReq, dsRes, expReq, expRes, list, get, profileOnly, eventsOnly] = lines as [number, number, number, number, number, number, number, number];
  return [
    { fixture: `${seed}-create-dataset.request.json`, seed, line: dsReq, section: "Create a target dataset", call: "POST /dataSets", kind: "request" },
    { fixture: `${seed}-create-dataset.response.json`, seed, line: dsRes, section: "Create a target dataset", call: "POST /dataSets", kind: "response" },
    {
      fixture: `${seed}-create-export-job.request.json`, seed, line: expReq, section: "Initiate an export job", call: "POST /export/jobs", kind: "request",
      fix: { ...MISSING_COMMA, rawFixture: `${seed}-create-export-job.request.uncorrected.txt` },
    },
    { fixture: `${seed}-create-export-job.response.json`, seed, line: expRes, section: "Initiate an export job", call: "POST /export/jobs", kind: "response" },
    { fixture: `${seed}-list-export-jobs.response.json`, seed, line: list, section: "List all export jobs", call: "GET /export/jobs", kind: "response" },
    { fixture: `${seed}-get-export-job.response.json`, seed, line: get, section: "Monitor export progress", call: "GET /export/jobs/{EXPORT_JOB_ID}", kind: "response" },
    { fixture: `${seed}-create-export-job-profile-only.request.json`, seed, line: profileOnly, section: "Appendix: additional export payload examples (profile data only)", call: "POST /export/jobs", kind: "request" },
    { fixture: `${seed}-create-export-job-events-only.request.json`, seed, line: eventsOnly, section: "Appendix: additional export payload examples (event data only)", call: "POST /export/jobs", kind: "request" },
  ];
}

export const SEED_BODIES: readonly SeedBody[] = [
  ...profileApiExportDoc("000", [56, 86, 106, 156, 220, 360, 459, 478]),
  // 001: Segmentation API export jobs.
  { fixture: "001-list-export-jobs.response.json", seed: "001", line: 64, section: "Retrieve a list of export jobs", call: "GET /export/jobs?status=SUCCEEDED", kind: "response" },
  { fixture: "001-create-export-job.request.json", seed: "001", line: 176, section: "Create a new export job", call: "POST /export/jobs", kind: "request" },
  { fixture: "001-create-export-job.response.json", seed: "001", line: 242, section: "Create a new export job", call: "POST /export/jobs", kind: "response" },
  { fixture: "001-get-export-job.response.json", seed: "001", line: 355, section: "Retrieve a specific export job", call: "GET /export/jobs/{EXPORT_JOB_ID}", kind: "response" },
  { fixture: "001-delete-export-job.response.json", seed: "001", line: 468, section: "Cancel or delete a specific export job", call: "DELETE /export/jobs/{EXPORT_JOB_ID}", kind: "response" },
  ...profileApiExportDoc("002", [54, 80, 100, 150, 214, 354, 453, 472]),
  // 003: evaluate segments and access their results.
  { fixture: "003-create-schedule.request.json", seed: "003", line: 74, section: "Scheduled evaluation: create a schedule", call: "POST /config/schedules", kind: "request" },
  { fixture: "003-create-schedule.response.json", seed: "003", line: 106, section: "Scheduled evaluation: create a schedule", call: "POST /config/schedules", kind: "response" },
  { fixture: "003-patch-schedule-state.request.json", seed: "003", line: 144, section: "Enable a schedule", call: "PATCH /config/schedules/{SCHEDULE_ID}", kind: "request" },
  { fixture: "003-patch-schedule-time.request.json", seed: "003", line: 181, section: "Update the schedule time", call: "PATCH /config/schedules/{SCHEDULE_ID}", kind: "request" },
  { fixture: "003-create-segment-job.request.json", seed: "003", line: 222, section: "On-demand evaluation: create a segment job", call: "POST /segment/jobs", kind: "request" },
  { fixture: "003-create-segment-job.response.json", seed: "003", line: 248, section: "On-demand evaluation: create a segment job", call: "POST /segment/jobs", kind: "response" },
  { fixture: "003-get-segment-job.response.json", seed: "003", line: 339, section: "Look up segment job status", call: "GET /segment/jobs/{SEGMENT_JOB_ID}", kind: "response" },
  { fixture: "003-segment-membership.example.json", seed: "003", line: 420, section: "Interpreting segment results", call: "profile record attribute segmentMembership", kind: "example" },
  { fixture: "003-create-dataset.request.json", seed: "003", line: 492, section: "Export a segment: create a target dataset", call: "POST /dataSets", kind: "request" },
  { fixture: "003-create-dataset.response.json", seed: "003", line: 524, section: "Export a segment: create a target dataset", call: "POST /dataSets", kind: "response" },
  { fixture: "003-create-export-job.request.json", seed: "003", line: 544, section: "Generate profiles for audience members", call: "POST /export/jobs", kind: "request" },
  { fixture: "003-create-export-job.response.json", seed: "003", line: 627, section: "Generate profiles for audience members", call: "POST /export/jobs", kind: "response" },
  { fixture: "003-create-export-job-single-batch.fragment.json", seed: "003", line: 687, section: "Generate profiles for audience members (segmentPerBatch false)", call: "POST /export/jobs", kind: "fragment" },
  { fixture: "003-list-export-jobs.response.json", seed: "003", line: 728, section: "List all export jobs", call: "GET /export/jobs", kind: "response" },
  { fixture: "003-get-export-job.response.json", seed: "003", line: 875, section: "Monitor export progress", call: "GET /export/jobs/{EXPORT_JOB_ID}", kind: "response" },
  // 004: export tutorial.
  { fixture: "004-create-dataset.request.json", seed: "004", line: 72, section: "Create a target dataset", call: "POST /dataSets", kind: "request" },
  { fixture: "004-create-dataset.response.json", seed: "004", line: 105, section: "Create a target dataset", call: "POST /dataSets", kind: "response" },
  { fixture: "004-create-export-job.request.json", seed: "004", line: 125, section: "Initiate an export job", call: "POST /export/jobs", kind: "request" },
  { fixture: "004-create-export-job.response.json", seed: "004", line: 200, section: "Initiate an export job", call: "POST /export/jobs", kind: "response" },
  { fixture: "004-create-export-job-single-batch.fragment.json", seed: "004", line: 260, section: "Initiate an export job (segmentPerBatch false)", call: "POST /export/jobs", kind: "fragment" },
  { fixture: "004-list-export-jobs.response.json", seed: "004", line: 300, section: "List all export jobs", call: "GET /export/jobs", kind: "response" },
  { fixture: "004-get-export-job.response.json", seed: "004", line: 447, section: "Monitor export progress", call: "GET /export/jobs/{EXPORT_JOB_ID}", kind: "response" },
];

/** The fixture's JSON text for a block's body (fragments wrapped in braces; doc bugs fixed when the table says so). */
export function fixtureTextOf(body: SeedBody, raw: string): string {
  const text = body.fix ? body.fix.apply(raw) : raw;
  const json = body.kind === "fragment" ? `{${text}}` : text;
  return JSON.stringify(JSON.parse(json), null, 2) + "\n";
}

/** The body of a seed, as checked in under fixtures/. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name), "utf8")) as T;
}

export function bodyOf(name: string): SeedBody {
  const b = SEED_BODIES.find((x) => x.fixture === name);
  if (b === undefined) throw new Error(`no seed body "${name}"`);
  return b;
}
