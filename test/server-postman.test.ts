/**
 * The platform's own Postman collections (test/vendor/postman, unchanged on disk) run by newman against the
 * server on a loopback port, as a user would run them: an environment with the token, API key, org, sandbox
 * and the server's address (`baseUrl`, in place of the gateway host), the collections' own pre-request
 * scripts, and a collection-level test script of ours that asserts each answer's status and copies the ids a
 * later request needs into the environment (what users add to these collections). A reporter collects
 * newman's failures: there must be none.
 *
 * Which requests are in scope is profile-lab-scope.json (beside the collections): every request runs and must
 * answer 2xx, except the in-scope ones `expected` lists with their documented answer; the out-of-scope ones
 * (operations not emulated) run in a second pass and must answer as listed (the structured 501).
 *
 * The Segmentation collection creates an export and a segment job and cancels them right after: the server's
 * one job slot is held meanwhile, so they are waiting (NEW) when cancelled, whatever the machine's speed.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../src/server/job-runner.js";
import { DEFAULT_POLICY, SEGMENT_001 } from "./seeds/helpers/seed-sandbox.js";
import { fixture } from "./seeds/seed-bodies.js";
import { HEADERS, ORG, sandboxesFolder, serve } from "./server-helpers.js";

const POSTMAN = join(import.meta.dirname, "vendor/postman");
const COLLECTIONS = ["Segmentation_Service_API", "Real-time_Customer_Profile_API", "Catalog_Service_API", "Data_Access_API"] as const;

interface Item {
  name: string;
  item?: Item[];
  request?: { method: string; url: { raw: string; protocol?: string; host?: string[] | string } };
  event?: unknown[];
}
interface Collection {
  info: unknown;
  item: Item[];
  event?: unknown[];
}
interface ScopeEntry {
  readonly collection: string;
  readonly folder: string;
  /** Names within the folder; the whole folder when absent. */
  readonly requests?: readonly string[];
  readonly answers: number;
  readonly why: string;
}
interface Scope {
  readonly outOfScope: readonly ScopeEntry[];
  readonly expected: readonly ScopeEntry[];
}

/** newman's library API, the part used here (newman ships no types). */
interface NewmanRun {
  on(event: "assertion" | "request" | "script", listener: (error: { message: string } | null, args: { item: { name: string } }) => void): NewmanRun;
}
interface NewmanSummary {
  environment: { values: { members: { key: string; value: unknown }[] } };
  run: { stats: { requests: { total: number }; assertions: { total: number } } };
}
interface Newman {
  run(options: object, done: (error: Error | null, summary: NewmanSummary) => void): NewmanRun;
}
const newman = createRequire(import.meta.url)("newman") as Newman;

const SCOPE = JSON.parse(readFileSync(join(POSTMAN, "profile-lab-scope.json"), "utf8")) as Scope;

/** `folder/name` of each request of a collection (the collections nest one folder deep). */
function requestKeys(collection: Collection): string[] {
  return collection.item.flatMap((folder) => (folder.item ?? [folder]).map((i) => `${folder.name}/${i.name}`));
}

/** Whether a scope entry names the request `key` (`folder/name`) of `collection`. */
function covers(e: ScopeEntry, collection: string, key: string): boolean {
  return e.collection === collection && (e.requests === undefined ? key.startsWith(`${e.folder}/`) : e.requests.some((r) => key === `${e.folder}/${r}`));
}

/** The answer each listed request of `collection` must give, by `folder/name`. */
function answersOf(entries: readonly ScopeEntry[], collection: string): Record<string, number> {
  const keys = requestKeys(prepared(collection, () => true));
  return Object.fromEntries(keys.flatMap((key) => entries.filter((e) => covers(e, collection, key)).map((e) => [key, e.answers])));
}

/**
 * The collection with the requests `keep` selects, the gateway host replaced by `{{baseUrl}}`, and our test
 * script (the vendored pre-request scripts stay as they are).
 */
function prepared(name: string, keep: (key: string) => boolean): Collection {
  const collection = JSON.parse(readFileSync(join(POSTMAN, `${name}.postman_collection.json`), "utf8")) as Collection;
  for (const folder of collection.item) {
    folder.item = (folder.item ?? []).filter((i) => keep(`${folder.name}/${i.name}`));
    for (const i of folder.item) {
      const url = i.request!.url;
      if (!url.raw.startsWith("https://platform.adobe.io/")) throw new Error(`${name}: ${i.name} is not on the gateway host: ${url.raw}`);
      delete url.protocol;
      url.host = ["{{baseUrl}}"];
    }
  }
  collection.item = collection.item.filter((f) => (f.item ?? []).length > 0);
  collection.event = [
    { listen: "prerequest", script: { type: "text/javascript", exec: [PRE_REQUEST] } },
    { listen: "test", script: { type: "text/javascript", exec: [TEST] } },
  ];
  return collection;
}

/**
 * Our pre-request script: the example body of this request (the collections' raw bodies are one variable:
 * `{{body}}`, Catalog's `{{dataSet}}`), from the environment's BODIES by `folder/name`.
 */
const PRE_REQUEST = `
const key = pm.environment.get("FOLDER_OF_" + pm.info.requestId) + "/" + pm.info.requestName;
const bodies = JSON.parse(pm.environment.get("BODIES"));
for (const [variable, value] of Object.entries(bodies[key] || {})) pm.variables.set(variable, JSON.stringify(value));
`;

/**
 * Our test script: the status the scope expects (2xx unless listed), and the ids later requests use, as a
 * user's test script would copy them into the environment.
 */
const TEST = `
const key = pm.environment.get("FOLDER_OF_" + pm.info.requestId) + "/" + pm.info.requestName;
const expected = JSON.parse(pm.environment.get("EXPECTED"))[key];
pm.test(key + " answers " + (expected || "2xx"), () => {
  if (expected) pm.expect(pm.response.code).to.equal(expected);
  // A path not emulated: the structured 501 names the operation.
  if (expected === 501) pm.expect(pm.response.json().operation).to.equal(pm.request.method + " " + pm.request.url.getPath());
  if (!expected) pm.expect(pm.response.code, pm.response.text().slice(0, 300)).to.be.within(200, 299);
});
const remember = JSON.parse(pm.environment.get("REMEMBER"))[key];
if (remember && pm.response.code < 300) {
  const body = pm.response.json();
  for (const [variable, path] of Object.entries(remember)) {
    const value = path === "dataSets[0]" ? body[0].replace("@/dataSets/", "") : body[path];
    pm.environment.set(variable, String(value));
  }
}
`;

/** Request bodies by `folder/name`, variable by variable: the seeds' and the docs' examples. */
const BODIES: Record<string, Record<string, unknown>> = {
  "Export jobs/Create a new export job": { body: fixture("000-create-export-job.request.json") },
  "Segment definitions/Create a new segment definition": {
    body: {
      name: "Postman segment",
      schema: { name: "_xdm.context.profile" },
      expression: { type: "PQL", format: "pql/text", value: 'homeAddress.country = "US"' },
      evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
    },
  },
  "Segment definitions/Overwrite a segment definition.": { body: { name: "Postman segment, renamed" } },
  "Segment definitions/Retrieve multiple segment definitions using multiple segment definition IDs": { body: { ids: [{ id: SEGMENT_001 }] } },
  "Segment definitions/Convert a segment definition": { body: { name: "n", expression: { type: "PQL", format: "pql/text", value: 'workAddress.country = "US"' } } },
  "Segment jobs/Create a segment job request": { body: [{ segmentId: SEGMENT_001 }] },
  "Segment jobs/Retrieve multiple segment jobs using multiple job IDs": { body: { ids: [{ id: "{{SEGMENT_JOB_ID}}" }] } },
  "Previews/Create a new preview job": { body: { predicateExpression: 'homeAddress.country = "US"', predicateType: "PQL", predicateModel: "_xdm.context.profile", graphType: "none" } },
  "Schedules/Create a schedule": { body: fixture("003-create-schedule.request.json") },
  "Schedules/Update a schedule": { body: fixture("003-patch-schedule-state.request.json") },
  "Merge policies/Create a merge policy": { body: { name: "Postman policy", identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, schema: { name: "_xdm.context.profile" }, default: false } },
  "Merge policies/Update a merge policy": { body: { name: "Postman policy, replaced", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, schema: { name: "_xdm.context.profile" }, default: false } },
  "Merge policies/Update one or more attributes of a merge policy": { body: [{ op: "add", path: "/name", value: "Postman policy, patched" }] },
  "Merge policies/Retrieve multiple merge policies using multiple merge policy IDs": { body: { ids: [{ id: DEFAULT_POLICY }] } },
  "Datasets/Create a new dataset": { dataSet: fixture("000-create-dataset.request.json") },
};

/** The ids a request's answer gives later requests: environment variable → field of the answer. */
const REMEMBER: Record<string, Record<string, string>> = {
  "Export jobs/Create a new export job": { EXPORT_JOB_ID: "id" },
  "Segment definitions/Create a new segment definition": { SEGMENT_ID: "id" },
  "Segment jobs/Create a segment job request": { SEGMENT_JOB_ID: "id" },
  "Merge policies/Create a merge policy": { mergePolicyId: "id" },
  "Schedules/Create a schedule": { SCHEDULE_ID: "id" },
  "Previews/Create a new preview job": { PREVIEW_ID: "previewId", ESTIMATE_ID: "previewId" },
  "Datasets/Create a new dataset": { DATASET_ID: "dataSets[0]" },
};

interface Pass {
  readonly requests: number;
  /** Our test script's assertions: one per request answered. */
  readonly assertions: number;
  readonly failures: string[];
}

/** The reporter: newman's failed assertions, request errors and script errors, each naming its request. */
function collectFailures(run: NewmanRun, failures: string[]): void {
  for (const event of ["assertion", "request", "script"] as const) run.on(event, (error, args) => error && failures.push(`${args.item.name}: ${error.message}`));
}

/** Runs `collection` with newman; the environment `env` is updated with what the run set. */
function runNewman(collection: Collection, env: Record<string, string>): Promise<Pass> {
  const folders = Object.fromEntries(collection.item.flatMap((f) => (f.item ?? []).map((i) => [`FOLDER_OF_${(i as { _postman_id?: string })._postman_id ?? ""}`, f.name])));
  const values = Object.entries({ ...env, ...folders }).map(([key, value]) => ({ key, value, enabled: true }));
  const failures: string[] = [];
  return new Promise((resolve, reject) => {
    const run = newman.run({ collection, environment: { values }, timeoutRequest: 60_000 }, (error, summary) => {
      if (error) return reject(error);
      for (const { key, value } of summary.environment.values.members) if (!key.startsWith("FOLDER_OF_")) env[key] = String(value);
      resolve({ requests: summary.run.stats.requests.total, assertions: summary.run.stats.assertions.total, failures });
    });
    collectFailures(run, failures);
  });
}

let app: FastifyInstance;
const inScope: Record<string, Pass> = {};
const outOfScope: Record<string, Pass> = {};
const env: Record<string, string> = {
  ACCESS_TOKEN: "postman-token",
  API_KEY: "postman-key",
  IMS_ORG: ORG,
  SANDBOX_NAME: "prod",
  limit: "10",
  BODIES: JSON.stringify(BODIES),
  REMEMBER: JSON.stringify(REMEMBER),
};

/** An export job run to its end over HTTP, as a user would, for the Catalog and Data Access collections' batch and file variables. */
async function exportedFile(baseUrl: string): Promise<void> {
  const created = await fetch(`${baseUrl}/data/core/ups/export/jobs`, { method: "POST", headers: { ...HEADERS, "content-type": "application/json" }, body: JSON.stringify(BODIES["Export jobs/Create a new export job"]!["body"]) });
  const id = ((await created.json()) as { id: number }).id;
  for (;;) {
    const job = (await (await fetch(`${baseUrl}/data/core/ups/export/jobs/${id}`, { headers: HEADERS })).json()) as { status: string; destination: { batchId: string } };
    if (job.status === "SUCCEEDED") {
      env["BATCH_ID"] = env["batchId"] = job.destination.batchId;
      env["dataSetFileId"] = `${job.destination.batchId}-1`;
      env["path"] = "part-00000.parquet";
      return;
    }
    if (job.status === "FAILED") throw new Error(`the export job for the Catalog and Data Access collections failed: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const runner = new JobRunner(1, Date.now, () => undefined);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const folder = sandboxesFolder("prod");
  ({ app } = serve({ sandboxes: folder, clock: Date.now, jobRunner: runner }));
  const baseUrl = (await app.listen({ port: 0, host: "127.0.0.1" })).replace(/\/$/, "");
  env["baseUrl"] = baseUrl;
  runner.submit({ dir: join(folder, "prod"), kind: "segment-jobs", id: "held-slot", run: () => held });
  for (const name of COLLECTIONS) {
    if (name === "Catalog_Service_API") {
      release();
      await exportedFile(baseUrl);
    }
    const excluded = answersOf(SCOPE.outOfScope, name);
    env["EXPECTED"] = JSON.stringify(answersOf(SCOPE.expected, name));
    inScope[name] = await runNewman(prepared(name, (key) => !(key in excluded)), env);
  }
  for (const name of COLLECTIONS) {
    const excluded = answersOf(SCOPE.outOfScope, name);
    env["EXPECTED"] = JSON.stringify(excluded);
    outOfScope[name] = await runNewman(prepared(name, (key) => key in excluded), env);
  }
}, 240_000);
afterAll(async () => {
  await app.close();
});

describe("the platform's Postman collections, run by newman against the server", () => {
  it.each(COLLECTIONS)("%s: every request in scope answers as expected (0 failures)", (name) => {
    expect(inScope[name]!.failures).toEqual([]);
    expect(inScope[name]!.requests).toBeGreaterThan(0);
    expect(inScope[name]!.assertions).toBe(inScope[name]!.requests);
  });

  it.each(COLLECTIONS)("%s: every request out of scope answers as the scope file says (the structured 501)", (name) => {
    expect(outOfScope[name]!.failures).toEqual([]);
    expect(outOfScope[name]!.assertions).toBe(outOfScope[name]!.requests);
  });

  it("runs every request of the four collections once, in scope or out of it, and the scope file names only requests that exist", () => {
    for (const name of COLLECTIONS) {
      const all = requestKeys(prepared(name, () => true));
      expect(inScope[name]!.requests + outOfScope[name]!.requests).toBe(all.length);
      for (const e of [...SCOPE.outOfScope, ...SCOPE.expected].filter((x) => x.collection === name)) {
        const named = (e.requests ?? [undefined]).map((r) => all.filter((k) => covers({ ...e, ...(r === undefined ? {} : { requests: [r] }) }, name, k)).length);
        expect(named.every((n) => n > 0), `${e.folder} ${String(e.requests)}`).toBe(true);
      }
    }
  });
});
