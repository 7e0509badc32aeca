/**
 * Issue 5, export jobs: every create-export-job request of the seeds runs through `runExportJob` against the
 * seed sandbox, and every export-job response the seeds show (create, get, list, cancel) has our shape, and our
 * responses validate against segmentation.yaml.
 *
 * Which of our records a seed response is compared with: a seed showing `"status": "NEW"` (the create
 * responses of 000, 002, 003, 004) is compared with the job as first stored where the library lets us see it —
 * at the first progress callback, when it is already `PROCESSING` (runExportJob stores `NEW` and moves to
 * `PROCESSING` synchronously, so `NEW` is not observable; we check that `NEW` is in our status set instead).
 * A seed showing `SUCCEEDED` is compared with the final record.
 *
 * Keys only ours has (allowed; the last test checks this list): on finished jobs
 * `metrics.totalExportedProfileCounter` and `metrics.exportedProfileByNamespaceCounter` (documented in
 * profile-semantics.md §5.3, absent from the seeds' samples); `fields`, `filter` (and inside it `emptyProfiles`,
 * `fromIngestTimestamp`, `segmentQualificationTime`, `segments[].segmentNs`/`status`) and `additionalFields`
 * echoed from the request where the seed's sample omits them; `destination.segmentPerBatch` where the list
 * samples omit it; `computeGatewayJobId.exportJob` in the first-stored record (the seed's `NEW` sample has `{}`);
 * `asOf`, the job's evaluation clock (not a platform field: see ExportJob.asOf).
 *
 * 001's request names no event field in `additionalFields.eventList.fields` (`"string"`): the job succeeds, warns
 * that no timeSeriesEvents are exported, and its Parquet has no `timeSeriesEvents` column; its responses are
 * compared using that request as the seed gives it.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runExportJob } from "../../src/engine/run-export-job.js";
import { ExportError } from "../../src/export/export-request.js";
import { openSandbox, type Sandbox } from "../../src/engine/sandbox.js";
import type { ExportJob, ExportJobStatus } from "../../src/export/export-job.js";
import { listExportJobs, type ExportJobList } from "../../src/export/export-job-list.js";
import type { BatchRecord } from "../../src/store/catalog-types.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { cli } from "../helpers/cli.js";
import { batchGlob, columns, query } from "../helpers/parquet.js";
import { batchesAsArray, DATASET_ID_SPELLING, oursOnly, shapeMismatches } from "./helpers/compare.js";
import { responseValidator } from "./helpers/openapi.js";
import { DEFAULT_POLICY, SEGMENT_001, writeSeedSandbox } from "./helpers/seed-sandbox.js";
import { fixture } from "./seed-bodies.js";

const OPTIONS = { asOf: Date.parse("2024-06-01T00:00:00Z"), statusModel: "current" as const };
/** The export-job statuses of the spec's enum and profile-semantics.md §5.3. */
const DOCUMENTED_STATUSES: readonly ExportJobStatus[] = ["NEW", "PROCESSING", "SUCCEEDED", "FAILED"];

const W_IDENTITIES = /^fields: "identities(\.id)?" is not in the profile union schema; ignored$/;
const W_BROWSER_VERSION = /^additionalFields\.eventList\.fields: "environment\.browserDetails\.version" is not in the event union schema; ignored$/;
const W_STRING = /^additionalFields\.eventList\.fields: "string" is not in the event union schema; ignored$/;
const W_NO_EVENT_FIELDS = /^additionalFields\.eventList\.fields names no field of the event union schema; no timeSeriesEvents are exported$/;

interface RequestCase {
  readonly request: string;
  /** The warnings for the `fields` paths the fixture schemas do not have (reported, not errors). */
  readonly warnings: readonly RegExp[];
  /** Rows per batch, in destination order. */
  readonly rows: readonly number[];
}

const REQUESTS: readonly RequestCase[] = [
  // No segment filter: every profile with records (Jane, Bob, Ann; Dan is event-only).
  { request: "000-create-export-job.request.json", warnings: [W_IDENTITIES, W_BROWSER_VERSION], rows: [3] },
  { request: "000-create-export-job-profile-only.request.json", warnings: [W_IDENTITIES], rows: [3] },
  { request: "000-create-export-job-events-only.request.json", warnings: [W_BROWSER_VERSION], rows: [3] },
  // Jane is `realized` in 52c26d0d… since 2018-01-15, inside the request's qualification window.
  // eventList.fields "string" names no event field: warned about, and no timeSeriesEvents are exported.
  { request: "001-create-export-job.request.json", warnings: [W_IDENTITIES, W_STRING, W_NO_EVENT_FIELDS], rows: [1] },
  { request: "002-create-export-job.request.json", warnings: [W_IDENTITIES, W_BROWSER_VERSION], rows: [3] },
  { request: "002-create-export-job-profile-only.request.json", warnings: [W_IDENTITIES], rows: [3] },
  { request: "002-create-export-job-events-only.request.json", warnings: [W_BROWSER_VERSION], rows: [3] },
  // segmentPerBatch: one batch per filter entry. AAM memberships are not computed here (empty batch); Bob
  // exited 1rfe8422… on 2019-09-01T12:00Z, inside the window.
  { request: "003-create-export-job.request.json", warnings: [W_IDENTITIES, W_BROWSER_VERSION], rows: [0, 1] },
  { request: "004-create-export-job.request.json", warnings: [W_IDENTITIES, W_BROWSER_VERSION], rows: [0, 1] },
];

interface Run {
  readonly job?: ExportJob;
  /** The job as stored at the first progress callback. */
  readonly firstStored?: ExportJob;
  readonly batches?: readonly BatchRecord[];
  readonly warnings?: readonly string[];
  readonly error?: unknown;
  /** The stored record after the run (also for a failed one). */
  readonly stored?: ExportJob;
}

async function run(sandbox: Sandbox, body: unknown, onFirstProgress?: (jobId: string | number) => void): Promise<Run> {
  const jobs = new SandboxState(sandbox.dir).records<ExportJob>("export-jobs");
  let firstStored: ExportJob | undefined;
  let jobId: string | number | undefined;
  const options = {
    ...OPTIONS,
    onProgress: (p: { jobId: string | number }) => {
      if (firstStored !== undefined) return;
      jobId = p.jobId;
      firstStored = jobs.get(p.jobId);
      onFirstProgress?.(p.jobId);
    },
  };
  try {
    const r = await runExportJob(sandbox, body, options);
    return { job: r.job, firstStored, batches: r.batches, warnings: r.warnings, stored: jobs.get(r.job.id) };
  } catch (error) {
    // A job that fails before its first checkpoint: the newest record is ours (jobs run one at a time here).
    const newest = jobs.all().sort((a, b) => b.id - a.id)[0];
    return { error, firstStored, ...(jobId !== undefined ? { stored: jobs.get(jobId) } : newest ? { stored: newest } : {}) };
  }
}

const runs = new Map<string, Run>();
/** 003's request with `destination.segmentPerBatch: false`, the variant of the docs' single-batch fragment. */
const REQUEST_003_SINGLE_BATCH = "003-create-export-job.request.json (segmentPerBatch: false)";
let failed: Run;
let cancelled: Run;
let cancelBody: unknown;
let allJobs: ExportJob[];
/** The sandbox the REQUESTS ran in (its lake holds their batches). */
let seedSandbox: Sandbox;

beforeAll(async () => {
  // A job that fails while it runs: a data line that is not JSON, appended after the sandbox was opened. It
  // runs first, so that in a list with the jobs below it is the older one, as in the seeds' lists.
  const broken = openSandbox(writeSeedSandbox());
  appendFileSync(join(broken.dir, "datasets/crm.jsonl"), "{not json\n");
  failed = await run(broken, { ...fixture<object>("000-create-export-job-profile-only.request.json"), filter: { segments: [{ segmentId: SEGMENT_001 }] } });

  const sandbox = openSandbox(writeSeedSandbox());
  seedSandbox = sandbox;
  for (const c of REQUESTS) runs.set(c.request, await run(sandbox, fixture(c.request)));
  // The same request as 003's (and 004's) without segmentPerBatch: the single-batch variant the docs show next to it.
  const single = fixture<{ destination: { segmentPerBatch?: boolean } }>("003-create-export-job.request.json");
  single.destination.segmentPerBatch = false;
  runs.set(REQUEST_003_SINGLE_BATCH, await run(sandbox, single));
  allJobs = new SandboxState(sandbox.dir).records<ExportJob>("export-jobs").all();

  // DELETE /export/jobs/{id}: cancel a running job through the CLI (`jobs cancel`), at its first checkpoint.
  const running = openSandbox(writeSeedSandbox());
  cancelled = await run(running, fixture("000-create-export-job-profile-only.request.json"), (jobId) => {
    const r = cli("jobs", "cancel", String(jobId), "--sandbox", running.dir);
    cancelBody = r.status === 0 ? JSON.parse(r.stdout) : { exit: r.status, stderr: r.stderr };
  });
});

const okRun = (name: string): Run & { job: ExportJob; firstStored: ExportJob; stored: ExportJob } => {
  const r = runs.get(name);
  if (r?.job === undefined || r.firstStored === undefined || r.stored === undefined) throw new Error(`${name} did not succeed: ${String(r?.error)}`);
  return r as Run & { job: ExportJob; firstStored: ExportJob; stored: ExportJob };
};

function expectAccepted(c: RequestCase): void {
  const r = runs.get(c.request)!;
  expect(r.error, String(r.error)).toBeUndefined();
  expect(r.job!.status).toBe("SUCCEEDED");
  expect(r.warnings!.length).toBe(c.warnings.length);
  c.warnings.forEach((w, i) => expect(r.warnings![i]).toMatch(w));
  expect(r.batches!.map((b) => b.recordCount)).toEqual(c.rows);
}

describe("the seeds' create-export-job requests", () => {
  for (const c of REQUESTS) {
    it(`the seed's ${c.request.replace(".request.json", "")} request is accepted, warns about the fields the sandbox lacks and exports rows`, () => expectAccepted(c));
  }

  it("the seed's 001 request (eventList.fields names no event field) writes no timeSeriesEvents column; 000's, whose eventList names one, does", async () => {
    const r001 = okRun("001-create-export-job.request.json");
    const glob001 = batchGlob(seedSandbox.dir, r001.job, r001.job.destination.batchId!);
    const cols001 = await columns(glob001);
    expect(cols001).toContain("personalEmail");
    expect(cols001).not.toContain("timeSeriesEvents");
    // The one exported profile is Jane, the member of 52c26d0d… (with `fields`, only personalEmail.address).
    expect(await query(`SELECT personalEmail.address AS email FROM read_parquet('${glob001}')`)).toEqual([{ email: "jane@example.com" }]);
    const r000 = okRun("000-create-export-job.request.json");
    expect(await columns(batchGlob(seedSandbox.dir, r000.job, r000.job.destination.batchId!))).toContain("timeSeriesEvents");
  });

  it("a request whose fields name no profile field at all is rejected (EXP-R005 at $.fields), before any job is stored", async () => {
    const sandbox = openSandbox(writeSeedSandbox());
    const body = { ...fixture<object>("001-create-export-job.request.json"), fields: "identities.id,nothing.here" };
    const error = await runExportJob(sandbox, body, OPTIONS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect(error).toMatchObject({ code: "EXP-R005", location: { jsonPath: "$.fields" }, message: expect.stringMatching(/names no field of the profile union schema/) });
    expect(new SandboxState(sandbox.dir).records<ExportJob>("export-jobs").all()).toEqual([]);
  });

  it("the seeds' merge policy alias timestampOrdered-none-mp (001) runs under the sandbox's default policy", () => {
    expect(okRun("001-create-export-job.request.json").job.mergePolicy).toEqual({ id: DEFAULT_POLICY, version: 1 });
  });

  it("the seeds' datasetId 5b020a27e7040801dedba61b is the job's destination", () => {
    expect(okRun("000-create-export-job.request.json").job.destination.datasetId).toBe("5b020a27e7040801dedba61b");
  });
});

/** A seed response and the body of ours it is compared with. */
interface ShapeCase {
  readonly seed: string;
  readonly what: string;
  readonly seedBody: () => unknown;
  readonly ours: () => unknown;
  readonly renames?: Readonly<Record<string, string>>;
  /** Mismatches we expect, each with its reason: a sample artefact the docs explain, or where our run differs from the sample's. */
  readonly expected?: Readonly<Record<string, string>>;
}

/** The record the seed's status calls for: `NEW` → first stored; otherwise the final one. */
function recordFor(seedBody: { status?: string }, r: { firstStored: ExportJob; stored: ExportJob }): ExportJob {
  return seedBody.status === "NEW" ? r.firstStored : r.stored;
}

const SAMPLE_001 = {
  // 001's samples are a catalogue of every field of the spec (values like "string"): a SUCCEEDED job with
  // `errors`, and `destination.batches` next to `segmentPerBatch: false`. 003's text says a job with
  // segmentPerBatch false has no `batches` but one `batchId`, and errors belong to failed jobs (their shape is
  // compared with our failed job below).
  "missing $.destination.batches": "sample artefact: batches only with segmentPerBatch true (003 text)",
  "missing $.errors": "sample artefact: errors only on failed jobs",
};
const prefixed = (prefix: string, m: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.replace("$.", `$.${prefix}.`), v]));

/**
 * Our list answer for the jobs a seed's list shows: a job like its first record, newest, then a failed one (the
 * second record is compared with our failed job on its own).
 */
const listOf = (job: () => ExportJob, query = {}) => (): ExportJobList => listExportJobs([job(), failed.stored!], query);

function docCases(seed: "000" | "002" | "003" | "004"): ShapeCase[] {
  const request = `${seed}-create-export-job.request.json`;
  const create = `${seed}-create-export-job.response.json`;
  const get = `${seed}-get-export-job.response.json`;
  const list = `${seed}-list-export-jobs.response.json`;
  const cases: ShapeCase[] = [
    { seed: create, what: "create-export-job response", seedBody: () => fixture(create), ours: () => recordFor(fixture(create), okRun(request)), renames: DATASET_ID_SPELLING },
    { seed: get, what: "get-export-job response", seedBody: () => fixture(get), ours: () => recordFor(fixture(get), okRun(request)), renames: DATASET_ID_SPELLING },
    {
      seed: list,
      what: "list-export-jobs response",
      seedBody: () => fixture(list),
      // 000/002 list a job without filter (as 000's request makes), 003/004 one with filter.segments and a single batch.
      ours: listOf(() => okRun(seed === "000" || seed === "002" ? request : REQUEST_003_SINGLE_BATCH).stored, { limit: 2 }),
      renames: DATASET_ID_SPELLING,
    },
    {
      seed: list,
      what: "list-export-jobs response's failed job (records[1])",
      seedBody: () => fixture<{ records: unknown[] }>(list).records[1],
      ours: () => failed.stored,
      expected: {
        // Ours failed reading its data, before the profile-export phase; the seed's failed while writing.
        "missing $.metrics.profileExportTime": "our failed job never reached the export phase",
      },
    },
  ];
  if (seed === "003" || seed === "004") {
    const fragment = `${seed}-create-export-job-single-batch.fragment.json`;
    // The doc's `destination` of the same request without segmentPerBatch.
    cases.push({ seed: fragment, what: "single-batch destination", seedBody: () => fixture(fragment), ours: () => ({ destination: okRun(REQUEST_003_SINGLE_BATCH).stored.destination }) });
  }
  return cases;
}

const SHAPE_CASES: readonly ShapeCase[] = [
  ...docCases("000"),
  { seed: "001-create-export-job.response.json", what: "create-export-job response", seedBody: () => fixture("001-create-export-job.response.json"), ours: () => recordFor(fixture("001-create-export-job.response.json"), okRun("001-create-export-job.request.json")), expected: SAMPLE_001 },
  { seed: "001-get-export-job.response.json", what: "get-export-job response", seedBody: () => fixture("001-get-export-job.response.json"), ours: () => recordFor(fixture("001-get-export-job.response.json"), okRun("001-create-export-job.request.json")), expected: SAMPLE_001 },
  {
    seed: "001-list-export-jobs.response.json",
    what: "list-export-jobs response (status=SUCCEEDED)",
    seedBody: () => fixture("001-list-export-jobs.response.json"),
    ours: listOf(() => okRun("001-create-export-job.request.json").stored, { status: "SUCCEEDED" }),
    expected: prefixed("records[0]", SAMPLE_001),
  },
  { seed: "001-delete-export-job.response.json", what: "delete-export-job response", seedBody: () => fixture("001-delete-export-job.response.json"), ours: () => cancelBody },
  ...docCases("002"),
  ...docCases("003"),
  ...docCases("004"),
];

describe("the seeds' export-job responses", () => {
  it.each(SHAPE_CASES.map((c) => [c.seed, c.what, c] as const))("the seed's %s (%s) has our shape", (_seed, _what, c) => {
    const mismatches = shapeMismatches(c.seedBody(), c.ours(), { renames: c.renames ?? {} });
    expect(mismatches).toEqual(Object.keys(c.expected ?? {}).sort());
  });

  it("the statuses the seeds' export jobs show are in our documented status set, and ours pass through PROCESSING to SUCCEEDED", () => {
    const seedStatuses = SHAPE_CASES.flatMap((c) => {
      const body = c.seedBody() as { status?: unknown; records?: { status?: unknown }[] };
      return [body.status, ...(body.records ?? []).map((r) => r.status)].filter((s) => typeof s === "string");
    });
    expect(new Set(seedStatuses)).toEqual(new Set(["NEW", "SUCCEEDED", "FAILED"]));
    for (const s of seedStatuses) expect(DOCUMENTED_STATUSES).toContain(s);
    for (const [name, r] of runs) {
      expect(r.error, name).toBeUndefined();
      expect(r.firstStored?.status, name).toBe("PROCESSING");
      expect(r.stored?.status, name).toBe("SUCCEEDED");
    }
    expect(failed.stored?.status).toBe("FAILED");
  });

  it("a cancelled export job (DELETE) answers the 001 body and ends FAILED with a CANCELLED error", () => {
    expect(cancelBody).toEqual({ status: true, message: "Export job has been marked for cancelling" });
    expect(cancelled.stored).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED", callStack: "profile-lab JobCancelledError" }] });
  });

  it("our errors[] entries carry a callStack, as the seeds' failed jobs do: the stage that failed, not a JavaScript stack", () => {
    expect(failed.stored!.errors).toEqual([{ code: "IO-J001", msg: expect.stringMatching(/crm\.jsonl:\d+:\d+: malformed JSON/), callStack: "profile-lab IoError" }]);
    for (const e of [...failed.stored!.errors!, ...cancelled.stored!.errors!]) {
      expect(e.callStack).toMatch(/^profile-lab \w+$/);
      expect(e.callStack).not.toMatch(/\n\s+at /);
    }
  });

  it("our extra keys are the ones listed in this file's header", () => {
    const extras = new Set(SHAPE_CASES.flatMap((c) => oursOnly(c.seedBody(), c.ours(), { renames: c.renames ?? {} }).map((p) => p.replace(/^\$\.records\[0\]/, "$"))));
    const allowed = [
      /^\$\.metrics\.(totalExportedProfileCounter|exportedProfileByNamespaceCounter)$/,
      /^\$\.(fields|filter|additionalFields)$/,
      /^\$\.filter\.(emptyProfiles|fromIngestTimestamp|segmentQualificationTime|segments\[0\]\.(segmentNs|status))$/,
      /^\$\.destination\.segmentPerBatch$/,
      /^\$\.computeGatewayJobId\.exportJob$/,
      /^\$\.asOf$/,
    ];
    for (const p of extras) expect(allowed.some((a) => a.test(p)), p).toBe(true);
  });
});

const BATCHES = batchesAsArray();
const validators = {
  create: responseValidator("/export/jobs", "post", "200", [BATCHES]),
  get: responseValidator("/export/jobs/{EXPORT_JOB_ID}", "get", "200", [BATCHES]),
  list: responseValidator("/export/jobs", "get", "200", [batchesAsArray("records.[].destination.batches")]),
  cancel: responseValidator("/export/jobs/{EXPORT_JOB_ID}", "delete", "200"),
};

describe("our export-job responses against segmentation.yaml", () => {
  const succeeded = () => [...runs.entries()].filter(([, r]) => r.job !== undefined);

  it("every job as first stored validates as the POST /export/jobs response (ExportJobResponse)", () => {
    expect(succeeded().length).toBe(runs.size);
    for (const [name, r] of succeeded()) expect(validators.create(r.firstStored), name).toEqual([]);
  });

  it("every final job, the failed and the cancelled one validate as the GET /export/jobs/{EXPORT_JOB_ID} response", () => {
    for (const [name, r] of [...succeeded(), ["failed", failed] as const, ["cancelled", cancelled] as const]) expect(validators.get(r.stored), name).toEqual([]);
  });

  it("the list of every job validates as the GET /export/jobs response (GetExportJobsResponse), whole and paged", () => {
    const jobs = [...allJobs, failed.stored!];
    expect(validators.list(listExportJobs(jobs))).toEqual([]);
    const first = listExportJobs(jobs, { limit: 2 });
    expect(first.link.next).not.toBe("");
    expect(validators.list(listExportJobs(jobs, { limit: 2, offset: first.page.pageOffset }))).toEqual([]);
    expect(validators.list(listExportJobs(jobs, { status: "FAILED" }))).toEqual([]);
  });

  it("the cancel answer validates as the DELETE /export/jobs/{EXPORT_JOB_ID} 200 response (CancelExportJobResponse)", () => {
    expect(validators.cancel(cancelBody)).toEqual([]);
  });

  it("without the batches tolerance a segmentPerBatch job fails the spec exactly at destination.batches (the tolerance is needed)", () => {
    const strict = responseValidator("/export/jobs/{EXPORT_JOB_ID}", "get", "200");
    expect(strict(okRun("003-create-export-job.request.json").stored)).toEqual(['/destination/batches must be object {"type":"object"}']);
  });
});
