/**
 * The platform's own Postman collections (test/vendor/postman, unchanged) run against the server, in the
 * collections' order, as a Postman or newman run with an environment would: `{{variables}}` and `:path`
 * variables resolved from the environment (every variable the run does not need is defined empty), the
 * gateway host `https://platform.adobe.io` pointed at the server, and each response's id put into the
 * environment as a collection's test script would. newman itself is not a dependency; this is its request
 * building for the parts these collections use (raw bodies, headers, query and path variables).
 *
 * Every request the server emulates must succeed (or answer the documented refusal, e.g. cancelling a job
 * that has ended); every other one must answer the structured 501. NOT_EMULATED below is the coverage
 * table's list of the operations that answer 501 (README, "Server").
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../src/server/app.js";
import { DEFAULT_POLICY, SEGMENT_001 } from "./seeds/helpers/seed-sandbox.js";
import { fixture } from "./seeds/seed-bodies.js";
import { ORG, sandboxesFolder } from "./server-helpers.js";

interface PostmanRequest {
  method: string;
  header?: { key: string; value: string; disabled?: boolean }[];
  body?: { mode?: string; raw?: string };
  url: { raw: string; variable?: { id?: string; key?: string; value?: string }[] };
}
interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: PostmanRequest;
}

const COLLECTIONS = ["Segmentation_Service_API", "Real-time_Customer_Profile_API", "Catalog_Service_API", "Data_Access_API"];

function requestsOf(collection: string): PostmanRequest[] {
  const file = join(import.meta.dirname, "vendor/postman", `${collection}.postman_collection.json`);
  const flat = (items: PostmanItem[]): PostmanRequest[] => items.flatMap((i) => (i.item ? flat(i.item) : i.request ? [i.request] : []));
  return flat((JSON.parse(readFileSync(file, "utf8")) as { item: PostmanItem[] }).item);
}

/** `METHOD /path/:VAR` of a request, as the tables below name it. */
function operationOf(r: PostmanRequest): string {
  return `${r.method} ${r.url.raw.replace(/^https:\/\/platform\.adobe\.io/, "").split("?")[0]}`;
}

/** Request bodies (the collections' `{{body}}`), by operation: the seeds' and the docs' examples. */
const BODIES: Record<string, unknown> = {
  "POST /data/core/ups/export/jobs": fixture("000-create-export-job.request.json"),
  "POST /data/core/ups/segment/definitions": {
    name: "Postman segment",
    schema: { name: "_xdm.context.profile" },
    expression: { type: "PQL", format: "pql/text", value: 'homeAddress.country = "US"' },
    evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
  },
  "PATCH /data/core/ups/segment/definitions/:SEGMENT_ID": { name: "Postman segment, renamed" },
  "POST /data/core/ups/segment/definitions/bulk-get": { ids: [{ id: SEGMENT_001 }] },
  "POST /data/core/ups/segment/conversion": { name: "n", expression: { type: "PQL", format: "pql/text", value: 'workAddress.country = "US"' } },
  "POST /data/core/ups/segment/jobs": [{ segmentId: SEGMENT_001 }],
  "POST /data/core/ups/segment/jobs/bulk-get": { ids: [{ id: "{{SEGMENT_JOB_ID}}" }] },
  "POST /data/core/ups/preview": { predicateExpression: 'homeAddress.country = "US"', predicateType: "PQL", predicateModel: "_xdm.context.profile", graphType: "none" },
  "POST /data/core/ups/config/schedules": fixture("003-create-schedule.request.json"),
  "PATCH /data/core/ups/config/schedules/:SCHEDULE_ID": fixture("003-patch-schedule-state.request.json"),
  "POST /data/core/ups/config/mergePolicies": { name: "Postman policy", identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, schema: { name: "_xdm.context.profile" }, default: false },
  "PUT /data/core/ups/config/mergePolicies/:mergePolicyId": { name: "Postman policy, replaced", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, schema: { name: "_xdm.context.profile" }, default: false },
  "PATCH /data/core/ups/config/mergePolicies/:mergePolicyId": [{ op: "add", path: "/name", value: "Postman policy, patched" }],
  "POST /data/core/ups/config/mergePolicies/bulk-get": { ids: [{ id: DEFAULT_POLICY }] },
  "POST /data/foundation/catalog/dataSets": fixture("000-create-dataset.request.json"),
  "PUT /data/foundation/catalog/dataSets/:DATASET_ID": fixture("000-create-dataset.request.json"),
  "PATCH /data/foundation/catalog/dataSets/:DATASET_ID": { description: "patched" },
};

/** Emulated operations answering a refusal in this order of calls (anything else emulated must be 2xx). */
const REFUSALS: Record<string, number[]> = {
  // The job may still run (200) or have ended (409) when the collection cancels it.
  "DELETE /data/core/ups/export/jobs/:EXPORT_JOB_ID": [200, 409],
  "DELETE /data/core/ups/segment/jobs/:SEGMENT_JOB_ID": [200, 409],
  // The collection deletes its preview before it asks for the estimate of the same id.
  "GET /data/core/ups/estimate/:ESTIMATE_ID": [404],
  // Catalog's batched requests carry no Authorization header in the collection: refused by the gateway first.
  "GET /data/foundation/catalog/": [401],
  "POST /data/foundation/catalog/": [401],
};

/** The operations of the four collections the server does not emulate: each answers 501 naming it. */
const NOT_EMULATED = [
  "GET /data/core/ups/search/namespaces",
  "GET /data/core/ups/search/entities",
  "GET /data/core/ups/search/taxonomy",
];

/** Ids a collection's test script would copy from a response into the environment. */
function remember(env: Record<string, string>, operation: string, body: unknown): void {
  const b = body as Record<string, unknown>;
  if (operation === "POST /data/core/ups/export/jobs") env["EXPORT_JOB_ID"] = String(b["id"]);
  if (operation === "POST /data/core/ups/segment/definitions") env["SEGMENT_ID"] = String(b["id"]);
  if (operation === "POST /data/core/ups/segment/jobs") env["SEGMENT_JOB_ID"] = String(b["id"]);
  if (operation === "POST /data/core/ups/config/mergePolicies") env["mergePolicyId"] = String(b["id"]);
  if (operation === "POST /data/core/ups/config/schedules") env["SCHEDULE_ID"] = String(b["id"]);
  if (operation === "POST /data/core/ups/preview") env["PREVIEW_ID"] = env["ESTIMATE_ID"] = String(b["previewId"]);
  if (operation === "POST /data/foundation/catalog/dataSets") env["DATASET_ID"] = String((b as unknown as string[])[0]).replace("@/dataSets/", "");
}

let app: FastifyInstance;
let base: string;
const env: Record<string, string> = { ACCESS_TOKEN: "postman-token", API_KEY: "postman-key", IMS_ORG: ORG, SANDBOX_NAME: "prod", limit: "10" };
const resolve = (text: string): string => text.replace(/\{\{([^}]+)\}\}/g, (_, name: string) => env[name] ?? "");

async function send(r: PostmanRequest): Promise<{ status: number; body: unknown; operation: string }> {
  const operation = operationOf(r);
  let url = resolve(r.url.raw).replace(/^https:\/\/platform\.adobe\.io/, base);
  for (const v of r.url.variable ?? []) url = url.replace(`:${v.key ?? v.id}`, encodeURIComponent(resolve(v.value ?? "")));
  const headers: Record<string, string> = {};
  for (const h of r.header ?? []) if (!h.disabled) headers[h.key] = resolve(h.value);
  const raw = r.body?.mode === "raw" ? r.body.raw : undefined;
  // A body that is one variable (`{{body}}`, Catalog's `{{dataSet}}`) is this operation's example body.
  const whole = raw !== undefined && /^\{\{[^}]+\}\}$/.test(raw.trim()) && BODIES[operation] !== undefined;
  const body = raw === undefined ? undefined : resolve(whole ? JSON.stringify(BODIES[operation]) : raw);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method: r.method, headers, ...(body !== undefined && r.method !== "GET" && r.method !== "HEAD" ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // A file's bytes.
  }
  return { status: response.status, body: parsed, operation };
}

/**
 * The collection cancels the export job it creates: before Catalog and Data Access, an export job as a user
 * would run one, awaited, gives their batch and file variables.
 */
async function exportedFile(): Promise<void> {
  const headers = { authorization: "Bearer t", "x-api-key": "k", "x-gw-ims-org-id": ORG, "x-sandbox-name": "prod" };
  const created = await fetch(`${base}/data/core/ups/export/jobs`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(BODIES["POST /data/core/ups/export/jobs"]) });
  env["EXPORT_JOB_ID"] = String(((await created.json()) as { id: number }).id);
  for (let i = 0; i < 300; i++) {
    const job = (await (await fetch(`${base}/data/core/ups/export/jobs/${env["EXPORT_JOB_ID"]!}`, { headers })).json()) as { status: string; destination: { batchId: string } };
    if (job.status === "SUCCEEDED" || job.status === "FAILED") {
      env["BATCH_ID"] = env["batchId"] = job.destination.batchId;
      env["dataSetFileId"] = `${job.destination.batchId}-1`;
      env["path"] = "part-00000.parquet";
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const results: { operation: string; status: number; body: unknown }[] = [];

beforeAll(async () => {
  app = buildServer({ sandboxes: sandboxesFolder("prod") });
  base = (await app.listen({ port: 0, host: "127.0.0.1" })).replace(/\/$/, "");
  for (const collection of COLLECTIONS) {
    if (collection === "Catalog_Service_API") await exportedFile();
    for (const r of requestsOf(collection)) {
      const result = await send(r);
      remember(env, result.operation, result.body);
      results.push(result);
    }
  }
}, 120_000);
afterAll(async () => {
  await app.close();
});

describe("the platform's Postman collections against the server", () => {
  it("answers every emulated request with success (or its documented refusal)", () => {
    const failures = results
      .filter((r) => r.status !== 501)
      .filter((r) => !(REFUSALS[r.operation] ?? []).includes(r.status) && (r.status < 200 || r.status > 299))
      .map((r) => `${r.operation} → ${r.status} ${String(JSON.stringify(r.body)).slice(0, 300)}`);
    expect(failures).toEqual([]);
  });

  it("answers the Segmentation operations it does not emulate with a 501 naming them", () => {
    const notEmulated = results.filter((r) => r.status === 501 && r.operation.startsWith("/data/core/ups/") === false && r.operation.includes("/data/core/ups/"));
    expect(notEmulated.map((r) => r.operation).sort()).toEqual(expect.arrayContaining([...NOT_EMULATED].sort()));
    for (const r of notEmulated) expect(r.body).toMatchObject({ status: 501, operation: expect.stringMatching(/^[A-Z]+ \/data\//) });
  });

  it("runs the emulated operations of every collection", () => {
    const emulated = new Set(results.filter((r) => r.status !== 501).map((r) => r.operation));
    expect([...emulated].sort()).toMatchInlineSnapshot(`
      [
        "DELETE /data/core/ups/config/mergePolicies/:mergePolicyId",
        "DELETE /data/core/ups/config/schedules/:SCHEDULE_ID",
        "DELETE /data/core/ups/export/jobs/:EXPORT_JOB_ID",
        "DELETE /data/core/ups/preview/:PREVIEW_ID",
        "DELETE /data/core/ups/segment/definitions/:SEGMENT_ID",
        "DELETE /data/core/ups/segment/jobs/:SEGMENT_JOB_ID",
        "GET /data/core/ups/config/mergePolicies",
        "GET /data/core/ups/config/mergePolicies/:mergePolicyId",
        "GET /data/core/ups/config/schedules",
        "GET /data/core/ups/config/schedules/:SCHEDULE_ID",
        "GET /data/core/ups/estimate/:ESTIMATE_ID",
        "GET /data/core/ups/export/jobs",
        "GET /data/core/ups/export/jobs/:EXPORT_JOB_ID",
        "GET /data/core/ups/preview/:PREVIEW_ID",
        "GET /data/core/ups/segment/definitions",
        "GET /data/core/ups/segment/definitions/:SEGMENT_ID",
        "GET /data/core/ups/segment/jobs",
        "GET /data/core/ups/segment/jobs/:SEGMENT_JOB_ID",
        "GET /data/foundation/catalog/",
        "GET /data/foundation/catalog/batches",
        "GET /data/foundation/catalog/batches/:BATCH_ID",
        "GET /data/foundation/catalog/dataSets",
        "GET /data/foundation/catalog/dataSets/:DATASET_ID",
        "GET /data/foundation/export/batches/:batchId/files",
        "GET /data/foundation/export/files/:dataSetFileId",
        "HEAD /data/foundation/export/files/:dataSetFileId",
        "PATCH /data/core/ups/config/mergePolicies/:mergePolicyId",
        "PATCH /data/core/ups/config/schedules/:SCHEDULE_ID",
        "PATCH /data/core/ups/segment/definitions/:SEGMENT_ID",
        "POST /data/core/ups/config/mergePolicies",
        "POST /data/core/ups/config/mergePolicies/bulk-get",
        "POST /data/core/ups/config/schedules",
        "POST /data/core/ups/export/jobs",
        "POST /data/core/ups/preview",
        "POST /data/core/ups/segment/conversion",
        "POST /data/core/ups/segment/definitions",
        "POST /data/core/ups/segment/definitions/bulk-get",
        "POST /data/core/ups/segment/jobs",
        "POST /data/core/ups/segment/jobs/bulk-get",
        "POST /data/foundation/catalog/",
        "POST /data/foundation/catalog/dataSets",
        "PUT /data/core/ups/config/mergePolicies/:mergePolicyId",
      ]
    `);
  });
});
