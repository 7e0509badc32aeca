/**
 * `profile-lab serve`, in-process with `inject`: the platform's headers and error shapes, /health, the jobs
 * endpoints running asynchronously, merge policies, Catalog and Data Access, and sandbox isolation.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchesAsArray } from "./seeds/helpers/compare.js";
import { responseValidator } from "./seeds/helpers/openapi.js";
import { DEFAULT_POLICY, SEGMENT_001, SEGMENT_JOB_A, UNION_DATASET } from "./seeds/helpers/seed-sandbox.js";
import { fixture } from "./seeds/seed-bodies.js";
import { buildServer } from "../src/server/app.js";
import { HEADERS, poll, sandboxesFolder, serve, servedInTests, until } from "./server-helpers.js";

const UPS = "/data/core/ups";
const { app, call } = servedInTests(() => ({ sandboxes: sandboxesFolder("prod", "dev") }));

describe("health and headers", () => {
  it("answers /health without credentials, listing the sandboxes and the version", async () => {
    const r = await app().inject({ method: "GET", url: "/health" });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.status).toBe("ready");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.sandboxes.map((s: { name: string; status: string }) => `${s.name}:${s.status}`).sort()).toEqual(["dev:ready", "prod:ready"]);
  });

  it.each([
    ["no Authorization header", { authorization: "" }, 401, "401013"],
    ["a token that is not a bearer token", { authorization: "Basic abc" }, 401, "401013"],
    ["no x-api-key", { "x-api-key": "" }, 403, "403000"],
  ])("refuses a request with %s in the gateway's shape", async (_what, headers, status, code) => {
    const r = await call({ method: "GET", url: `${UPS}/export/jobs`, headers });
    expect(r.statusCode).toBe(status);
    expect(r.json()).toMatchObject({ status, error_code: code, type: `https://ns.adobe.com/aep/errors/${code}` });
    expect(r.json().requestId).toBe(r.headers["x-request-id"]);
  });

  it("takes header names in any case", async () => {
    const r = await app().inject({ method: "GET", url: `${UPS}/export/jobs`, headers: Object.fromEntries(Object.entries(HEADERS).map(([k, v]) => [k.toUpperCase(), v])) });
    expect(r.statusCode).toBe(200);
  });

  it("requires the one token given with --token", async () => {
    const { app: guarded, call: guardedCall } = serve({ sandboxes: sandboxesFolder("prod"), token: "s3cret" });
    expect((await guardedCall({ method: "GET", url: `${UPS}/export/jobs` })).statusCode).toBe(401);
    expect((await guardedCall({ method: "GET", url: `${UPS}/export/jobs`, headers: { authorization: "Bearer s3cret" } })).statusCode).toBe(200);
    await guarded.close();
  });

  it.each([
    ["a path", "../prod", 400, "PLAB-S003"],
    ["an absolute path", "/etc", 400, "PLAB-S003"],
    ["an unknown sandbox", "staging", 404, "PLAB-S404"],
  ])("refuses x-sandbox-name naming %s", async (_what, name, status, code) => {
    const r = await call({ method: "GET", url: `${UPS}/export/jobs`, headers: { "x-sandbox-name": name } });
    expect(r.statusCode).toBe(status);
    expect(r.json()).toMatchObject({ status, type: `https://ns.adobe.com/aep/errors/${code}` });
  });

  it("refuses a sandbox of another organization with 403", async () => {
    const r = await call({ method: "GET", url: `${UPS}/export/jobs`, headers: { "x-gw-ims-org-id": "OTHER@AdobeOrg" } });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ status: 403, type: "https://ns.adobe.com/aep/errors/PDP-4041-403" });
  });

  it("answers a platform route it does not emulate with a 501 naming the operation", async () => {
    const r = await call({ method: "GET", url: `${UPS}/search/namespaces?schema.name=_xdm.context.profile` });
    expect(r.statusCode).toBe(501);
    expect(r.json()).toMatchObject({ status: 501, operation: `GET ${UPS}/search/namespaces`, type: "https://ns.adobe.com/aep/errors/PLAB-501" });
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const r = await call({ method: "POST", url: `${UPS}/export/jobs`, headers: { "content-type": "application/json" }, payload: JSON.stringify({ fields: "x".repeat(1024 * 1024) }) });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ status: 413 });
  });

  it("locates malformed JSON by line and column", async () => {
    const r = await call({ method: "POST", url: `${UPS}/export/jobs`, headers: { "content-type": "application/json" }, payload: '{\n  "fields": ,\n}' });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0]).toMatchObject({ code: "IO-J001", line: 2, column: 13 });
  });
});

describe("export jobs", () => {
  const validateCreate = responseValidator("/export/jobs", "post", "200", [batchesAsArray()]);
  const validateGet = responseValidator("/export/jobs/{EXPORT_JOB_ID}", "get", "200", [batchesAsArray()]);

  it("answers a POST at once with the job NEW, and polling shows it succeed", async () => {
    const r = await call({ method: "POST", url: `${UPS}/export/jobs`, payload: fixture("000-create-export-job.request.json") });
    expect(r.statusCode).toBe(200);
    const job = r.json();
    expect(job.status).toBe("NEW");
    expect(validateCreate(job)).toEqual([]);
    expect(r.headers["x-location"]).toBe(`http://localhost:80${UPS}/export/jobs/${job.id}`);
    const { statuses, job: done } = await poll(call, `${UPS}/export/jobs/${job.id}`);
    expect(statuses.at(-1)).toBe("SUCCEEDED");
    expect(validateGet(done)).toEqual([]);
    expect(done.metrics).toMatchObject({ totalExportedProfileCounter: 3 });

    const list = await call({ method: "GET", url: `${UPS}/export/jobs?limit=1&status=SUCCEEDED` });
    expect(list.json().records.map((j: { id: number }) => j.id)).toEqual([job.id]);

    const batchId = (done.destination as { batchId: string }).batchId;
    const files = (await call({ method: "GET", url: `/data/foundation/export/batches/${batchId}/files` })).json();
    const fileId = files.data[0].dataSetFileId;
    expect(files.data[0]._links.self.href).toBe(`http://localhost:80/data/foundation/export/files/${fileId}`);
    const parts = (await call({ method: "GET", url: `/data/foundation/export/files/${fileId}` })).json();
    const name = parts.data[0].name as string;
    const head = await call({ method: "HEAD", url: `/data/foundation/export/files/${fileId}?path=${name}` });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers["content-length"])).toBe(Number(parts.data[0].length));
    const range = await call({ method: "GET", url: `/data/foundation/export/files/${fileId}?path=${name}`, headers: { range: "bytes=0-3" } });
    expect(range.statusCode).toBe(206);
    expect(range.rawPayload.toString("latin1")).toBe("PAR1");
    expect(range.headers["content-range"]).toBe(`bytes 0-3/${parts.data[0].length}`);
  });

  it("refuses an invalid body with the problem's code and JSON path", async () => {
    const r = await call({ method: "POST", url: `${UPS}/export/jobs`, payload: { schema: { name: "_xdm.context.profile" }, destination: {} } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ status: 400, errors: [{ path: "$.destination.datasetId" }] });
    expect(r.json().type).toMatch(/^https:\/\/ns\.adobe\.com\/aep\/errors\/EXP-/);
  });

  it.each([
    ["a job that is not there", "GET", "999"],
    ["cancelling a job that is not there", "DELETE", "999"],
  ])("answers %s with 404", async (_what, method, id) => {
    const r = await call({ method: method as "GET", url: `${UPS}/export/jobs/${id}` });
    expect(r.statusCode).toBe(404);
  });

  it("refuses to cancel a job that has ended with 409", async () => {
    const created = (await call({ method: "POST", url: `${UPS}/export/jobs`, payload: fixture("000-create-export-job.request.json") })).json();
    await poll(call, `${UPS}/export/jobs/${created.id}`);
    const r = await call({ method: "DELETE", url: `${UPS}/export/jobs/${created.id}` });
    expect(r.statusCode).toBe(409);
  });
});

describe("segment jobs", () => {
  it("runs a POST in the array form asynchronously; list, get and bulk-get answer with links to this server", async () => {
    const r = await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: [{ segmentId: SEGMENT_001 }, { segmentId: SEGMENT_JOB_A }] });
    expect(r.statusCode).toBe(200);
    const job = r.json();
    expect(job.status).toBe("NEW");
    expect(job._links.checkStatus.href).toBe(`http://localhost:80${UPS}/segment/jobs/${job.id}`);
    const { job: done } = await poll(call, `${UPS}/segment/jobs/${job.id}`);
    expect(done.status).toBe("SUCCEEDED");
    expect(responseValidator("/segment/jobs/{SEGMENT_JOB_ID}", "get", "200")(done)).toEqual([]);
    const list = (await call({ method: "GET", url: `${UPS}/segment/jobs?limit=1` })).json();
    expect(list.children[0].id).toBe(job.id);
    const bulk = (await call({ method: "POST", url: `${UPS}/segment/jobs/bulk-get`, payload: { ids: [{ id: job.id }, { id: "nope" }] } })).json();
    expect(Object.keys(bulk.results)).toEqual([job.id]);
  });

  it("runs every segment with the * form", async () => {
    const r = await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: { schema: { name: "_xdm.context.profile" }, segments: [{ segmentId: "*" }] } });
    expect(r.statusCode).toBe(200);
    expect((await poll(call, `${UPS}/segment/jobs/${r.json().id}`)).job.status).toBe("SUCCEEDED");
  });

  it("names an unknown segment at its JSON path", async () => {
    const r = await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: [{ segmentId: SEGMENT_001 }, { segmentId: "nope" }] });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ type: "https://ns.adobe.com/aep/errors/SEG-J001", errors: [{ path: "$[1].segmentId" }] });
  });
});

describe("merge policies", () => {
  const BASE = `${UPS}/config/mergePolicies`;

  it("lists, gets and bulk-gets", async () => {
    const list = (await call({ method: "GET", url: `${BASE}?default=true` })).json();
    expect(list.children.map((p: { id: string }) => p.id)).toEqual([DEFAULT_POLICY]);
    expect((await call({ method: "GET", url: `${BASE}/${DEFAULT_POLICY}` })).json().id).toBe(DEFAULT_POLICY);
    const bulk = await call({ method: "POST", url: `${BASE}/bulk-get`, payload: { ids: [{ id: DEFAULT_POLICY }, { id: "nope" }] } });
    expect(bulk.statusCode).toBe(207);
    expect(Object.keys(bulk.json().results)).toEqual([DEFAULT_POLICY]);
  });

  it("creates, patches and deletes a policy", async () => {
    const body = { name: "by dataset", identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, schema: { name: "_xdm.context.profile" }, default: false };
    const created = (await call({ method: "POST", url: BASE, payload: body })).json();
    expect(created).toMatchObject({ name: "by dataset", version: 1 });
    const patched = await call({ method: "PATCH", url: `${BASE}/${created.id}`, payload: [{ op: "add", path: "/name", value: "renamed" }] });
    expect(patched.json()).toMatchObject({ name: "renamed", version: 2 });
    expect((await call({ method: "DELETE", url: `${BASE}/${created.id}` })).statusCode).toBe(200);
    expect((await call({ method: "GET", url: `${BASE}/${created.id}` })).statusCode).toBe(404);
  });
});

describe("catalog and isolation", () => {
  it("answers an unknown dataset with the Catalog's own 404", async () => {
    const r = await call({ method: "GET", url: "/data/foundation/catalog/dataSets/nope" });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ type: "/placeholder/type/uri", status: 404, title: "NotFoundError", detail: expect.any(String) });
  });

  it("lists the sandbox's datasets and batches", async () => {
    expect(Object.keys((await call({ method: "GET", url: "/data/foundation/catalog/dataSets?limit=10" })).json())).toContain(UNION_DATASET);
    expect(Object.keys((await call({ method: "GET", url: `/data/foundation/catalog/batches?dataSet=${UNION_DATASET}` })).json()).length).toBeGreaterThan(0);
  });

  it("keeps one sandbox's jobs and batches from another", async () => {
    const prod = (await call({ method: "GET", url: `${UPS}/export/jobs` })).json();
    const id = prod.records[0].id;
    const dev = { "x-sandbox-name": "dev" };
    expect((await call({ method: "GET", url: `${UPS}/export/jobs/${id}`, headers: dev })).statusCode).toBe(404);
    expect((await call({ method: "GET", url: `${UPS}/export/jobs`, headers: dev })).json().records).toEqual([]);
    const batchId = prod.records[0].destination.batchId;
    expect((await call({ method: "GET", url: `/data/foundation/export/batches/${batchId}/files`, headers: dev })).statusCode).toBe(404);
  });

  it.each(["..%2F..%2Fsandbox.json", "%2Fetc%2Fpasswd", "x-1"])("refuses the file id %s", async (id) => {
    const r = await call({ method: "GET", url: `/data/foundation/export/files/${id}?path=part-00000.parquet` });
    expect(r.statusCode).toBe(404);
  });
});

describe("the sandbox folder lock", () => {
  it("takes over the lock of a server that is gone, and refuses a second live server", async () => {
    const folder = sandboxesFolder("prod");
    const lock = join(folder, "prod", ".profile-lab", "server.lock");
    const gone = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());
    mkdirSync(join(folder, "prod", ".profile-lab"), { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: gone, address: "http://127.0.0.1:1" }));
    const first = buildServer({ sandboxes: folder, lockAs: "http://127.0.0.1:8080" });
    expect(() => buildServer({ sandboxes: folder, lockAs: "http://127.0.0.1:8081" })).toThrow(/is already served by another profile-lab server \(process \d+, http:\/\/127\.0\.0\.1:8080\)/);
    await first.close();
    expect(existsSync(lock)).toBe(false);
  });
});

describe("jobs at once", () => {
  it("runs at most maxRunningJobs jobs at a time; a job waiting NEW starts when one ends", async () => {
    const { app: limited, call: limitedCall } = serve({ sandboxes: sandboxesFolder("prod"), maxRunningJobs: 1, clock: Date.now });
    const body = fixture<object>("000-create-export-job.request.json");
    const [first, second] = await Promise.all([limitedCall({ method: "POST", url: `${UPS}/export/jobs`, payload: body }), limitedCall({ method: "POST", url: `${UPS}/export/jobs`, payload: body })]);
    const jobs = [first.json(), second.json()].sort((a, b) => a.id - b.id);
    expect(jobs.map((j) => j.status)).toEqual(["NEW", "NEW"]);
    const [a, b] = [await poll(limitedCall, `${UPS}/export/jobs/${jobs[0].id}`), await poll(limitedCall, `${UPS}/export/jobs/${jobs[1].id}`)];
    expect([a.job.status, b.job.status]).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    // The second job started its export only after the first had ended.
    const metrics = (j: Record<string, unknown>) => j["metrics"] as { totalTime: { endTimeInMs: number }; profileExportTime: { startTimeInMs: number } };
    expect(metrics(b.job).profileExportTime.startTimeInMs).toBeGreaterThanOrEqual(metrics(a.job).totalTime.endTimeInMs);
    await limited.close();
  });
});

describe("state and files", () => {
  it("keeps jobs across a restart of the server on the same folder", async () => {
    const folder = sandboxesFolder("prod");
    const first = serve({ sandboxes: folder });
    const created = (await first.call({ method: "POST", url: `${UPS}/export/jobs`, payload: fixture("000-create-export-job.request.json") })).json();
    await poll(first.call, `${UPS}/export/jobs/${created.id}`);
    await first.app.close();
    const second = serve({ sandboxes: folder });
    expect((await second.call({ method: "GET", url: `${UPS}/export/jobs/${created.id}` })).json()).toMatchObject({ id: created.id, status: "SUCCEEDED" });
    await second.app.close();
  });

  it("answers an invalid export body at once even while the job slots are taken", async () => {
    const { app: busy, call: busyCall } = serve({ sandboxes: sandboxesFolder("prod"), maxRunningJobs: 1, clock: Date.now });
    const running = busyCall({ method: "POST", url: `${UPS}/export/jobs`, payload: fixture("000-create-export-job.request.json") });
    const invalid = await busyCall({ method: "POST", url: `${UPS}/export/jobs`, payload: { destination: {} } });
    expect(invalid.statusCode).toBe(400);
    await poll(busyCall, `${UPS}/export/jobs/${(await running).json().id}`);
    await busy.close();
  });

  it.each([
    ["a path with ..", "../../../sandbox.json"],
    ["an absolute path", "/etc/passwd"],
  ])("refuses a file path that is %s", async (_what, path) => {
    const list = (await call({ method: "GET", url: `${UPS}/export/jobs?status=SUCCEEDED&limit=1` })).json();
    const fileId = `${list.records[0].destination.batchId}-1`;
    const r = await call({ method: "GET", url: `/data/foundation/export/files/${fileId}?path=${encodeURIComponent(path)}` });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ type: "/placeholder/type/uri", status: 404 });
  });

  it("refuses a lake file that is a symbolic link out of the sandbox", async () => {
    const folder = sandboxesFolder("prod");
    const { app: own, call: ownCall } = serve({ sandboxes: folder });
    const created = (await ownCall({ method: "POST", url: `${UPS}/export/jobs`, payload: fixture("000-create-export-job.request.json") })).json();
    const { job } = await poll(ownCall, `${UPS}/export/jobs/${created.id}`);
    const batchId = (job.destination as { batchId: string }).batchId;
    const part = join(folder, "prod", ".profile-lab", "lake", "datasets", UNION_DATASET, "batches", batchId, "part-00000.parquet");
    rmSync(part);
    symlinkSync("/etc/hostname", part);
    const r = await ownCall({ method: "GET", url: `/data/foundation/export/files/${batchId}-1?path=part-00000.parquet` });
    // Data Access's DAC-502: the file is recorded but not served; its bytes are not sent.
    expect(r.statusCode).toBe(500);
    expect(r.json()).toMatchObject({ type: "/placeholder/type/uri", status: 500, detail: expect.stringContaining("is not served") });
    await own.close();
  });
});

describe("cancelling", () => {
  it("cancels a running export job with the platform's answer; it ends FAILED with CANCELLED and no batch", async () => {
    const { app: own, call: ownCall } = serve({ sandboxes: sandboxesFolder("prod"), clock: Date.now });
    const created = (await ownCall({ method: "POST", url: `${UPS}/export/jobs`, payload: fixture("000-create-export-job.request.json") })).json();
    await until(ownCall, `${UPS}/export/jobs/${created.id}`, "PROCESSING");
    const cancelled = await ownCall({ method: "DELETE", url: `${UPS}/export/jobs/${created.id}` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toEqual({ status: true, message: "Export job has been marked for cancelling" });
    const { job } = await poll(ownCall, `${UPS}/export/jobs/${created.id}`);
    expect(job).toMatchObject({ status: "FAILED", errors: [{ code: "CANCELLED" }] });
    const batchId = (job.destination as { batchId: string }).batchId;
    expect((await ownCall({ method: "GET", url: `/data/foundation/export/batches/${batchId}/files` })).json().data).toEqual([]);
    await own.close();
  });
});
