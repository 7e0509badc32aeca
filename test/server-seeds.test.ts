/**
 * The seeds' requests (five platform documents: their curl calls and bodies, test/seeds/fixtures) sent over
 * HTTP to the server, unchanged but for the host: the seed sandbox has the ids they name. Each answer has the
 * shape of the response the document shows, ids and times masked (test/seeds/helpers/shape.ts), and validates
 * against segmentation.yaml where it has a schema. The mismatches allowed are those the library's own seed
 * tests allow, for the same reasons (test/seeds/*.seed.test.ts).
 */
import { describe, expect, it } from "vitest";
import { batchesAsArray, DATASET_ID_SPELLING, RUNNING_METRICS, SEGMENT_JOB_MAPS, shapeMismatches } from "./seeds/helpers/compare.js";
import { responseValidator } from "./seeds/helpers/openapi.js";
import { fixture } from "./seeds/seed-bodies.js";
import { poll, sandboxesFolder, servedInTests } from "./server-helpers.js";

const UPS = "/data/core/ups";
/** 001's samples list every field of the spec with placeholder values (see export-jobs.seed.test.ts). */
const SAMPLE_001 = ["missing $.destination.batches", "missing $.errors"];

const { call } = servedInTests(() => ({ sandboxes: sandboxesFolder("prod") }));

/** A list sample with its first record only (the others are jobs in other states, compared by the library tests). */
function firstRecordOf(list: { records: unknown[] }): unknown {
  return { ...list, records: list.records.slice(0, 1) };
}

describe("the seeds' export-job calls over HTTP", () => {
  const validators = {
    create: responseValidator("/export/jobs", "post", "200", [batchesAsArray()]),
    get: responseValidator("/export/jobs/{EXPORT_JOB_ID}", "get", "200", [batchesAsArray()]),
    list: responseValidator("/export/jobs", "get", "200", [batchesAsArray("records.[].destination.batches")]),
  };

  it.each(["000", "001", "002", "003", "004"])("seed %s: create, poll and list answer with the documents' shapes", async (seed) => {
    const allowed = seed === "001" ? SAMPLE_001 : [];
    const renames = seed === "001" ? {} : DATASET_ID_SPELLING;
    const request = fixture<{ destination: object }>(`${seed}-create-export-job.request.json`);
    const created = await call({ method: "POST", url: `${UPS}/export/jobs`, payload: request });
    expect(created.statusCode).toBe(200);
    expect(validators.create(created.json())).toEqual([]);
    const { job } = await poll(call, `${UPS}/export/jobs/${created.json().id}`);
    expect(job.status).toBe("SUCCEEDED");
    // A create sample showing NEW is the answer to the POST; 001's shows the finished job.
    const createSample = fixture<{ status: string }>(`${seed}-create-export-job.response.json`);
    expect(shapeMismatches(createSample, createSample.status === "NEW" ? created.json() : job, { renames })).toEqual(allowed);
    expect(shapeMismatches(fixture(`${seed}-get-export-job.response.json`), job, { renames })).toEqual(allowed);
    expect(validators.get(job)).toEqual([]);

    if (seed === "003" || seed === "004") {
      // Their list samples show the same request with one batch (segmentPerBatch false): the newest job is one.
      const single = await call({ method: "POST", url: `${UPS}/export/jobs`, payload: { ...request, destination: { ...request.destination, segmentPerBatch: false } } });
      expect((await poll(call, `${UPS}/export/jobs/${single.json().id}`)).job.status).toBe("SUCCEEDED");
    }
    const list = await call({ method: "GET", url: `${UPS}/export/jobs${seed === "001" ? "?status=SUCCEEDED" : "?limit=1"}` });
    const seedList = fixture<{ records: unknown[] }>(`${seed}-list-export-jobs.response.json`);
    expect(shapeMismatches(firstRecordOf(seedList), firstRecordOf(list.json()), { renames })).toEqual(allowed.map((a) => a.replace("$.", "$.records[0].")));
    expect(validators.list(list.json())).toEqual([]);
  });
});

describe("the seeds' Catalog, schedule and segment-job calls over HTTP", () => {
  it.each(["000", "002", "003", "004"])("seed %s: POST /dataSets answers 201 with the document's shape", async (seed) => {
    const r = await call({ method: "POST", url: "/data/foundation/catalog/dataSets", payload: fixture(`${seed}-create-dataset.request.json`) });
    expect(r.statusCode).toBe(201);
    expect(shapeMismatches(fixture(`${seed}-create-dataset.response.json`), r.json())).toEqual([]);
  });

  it("seed 003: create a schedule, then enable it and change its time with the documents' JSON Patches", async () => {
    const created = await call({ method: "POST", url: `${UPS}/config/schedules`, payload: fixture("003-create-schedule.request.json") });
    expect(shapeMismatches(fixture("003-create-schedule.response.json"), created.json())).toEqual([]);
    for (const patch of ["003-patch-schedule-state.request.json", "003-patch-schedule-time.request.json"]) {
      expect((await call({ method: "PATCH", url: `${UPS}/config/schedules/${created.json().id}`, payload: fixture(patch) })).statusCode).toBe(204);
    }
  });

  it("seed 003: a segment job answers with the document's create and get shapes", async () => {
    const created = await call({ method: "POST", url: `${UPS}/segment/jobs`, payload: fixture("003-create-segment-job.request.json") });
    expect(created.statusCode).toBe(200);
    expect(shapeMismatches(fixture("003-create-segment-job.response.json"), created.json(), { maps: SEGMENT_JOB_MAPS })).toEqual([]);
    expect(responseValidator("/segment/jobs", "post", "200", [RUNNING_METRICS])(created.json())).toEqual([]);
    const { job } = await poll(call, `${UPS}/segment/jobs/${created.json().id}`);
    expect(shapeMismatches(fixture("003-get-segment-job.response.json"), job, { maps: SEGMENT_JOB_MAPS })).toEqual([]);
    expect(responseValidator("/segment/jobs/{SEGMENT_JOB_ID}", "get", "200")(job)).toEqual([]);
  });
});
