import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SandboxManifest } from "../io/sandbox-manifest.js";
import { PROFILE_UNION_SCHEMA_ID } from "../xdm/types.js";
import { Catalog, CatalogError, datasetViewId } from "./catalog.js";
import type { BatchRecord } from "./catalog-types.js";
import { SandboxState } from "./sandbox-state.js";
import { thrown } from "../../test/helpers/thrown.js";

const UNION_REF = { id: PROFILE_UNION_SCHEMA_ID, contentType: "application/vnd.adobe.xed+json;version=1" };
const MANIFEST: Pick<SandboxManifest, "name" | "imsOrgId" | "datasets" | "referenceTime"> = {
  name: "acme",
  imsOrgId: "ACME@AdobeOrg",
  referenceTime: "2024-05-01T00:00:00Z",
  datasets: [
    { id: "ds_crm", name: "CRM", description: "CRM records", schemaRef: { id: "https://ns.adobe.com/acme/schemas/crm" }, files: ["datasets/crm.jsonl"], tags: { unifiedProfile: ["enabled:true"] } },
    { id: "ds_export", name: "Profile Export", schemaRef: { id: PROFILE_UNION_SCHEMA_ID } },
  ],
};
const REF = Date.parse("2024-05-01T00:00:00Z");

let dir: string;
let state: SandboxState;
let now: number;
const catalog = (): Catalog => new Catalog(state, MANIFEST, { clock: () => now });

function batch(id: string, datasetId: string, created: number, status: BatchRecord["status"] = "success"): BatchRecord {
  return {
    id,
    imsOrg: "ACME@AdobeOrg",
    status,
    created,
    updated: created + 500,
    relatedObjects: [{ type: "dataSet", id: datasetId }],
    version: "1.0.0",
    inputFormat: { format: "parquet" },
    recordCount: 3,
    size: 100,
    files: [{ name: "part-00000.parquet", path: `.profile-lab/lake/datasets/${datasetId}/batches/${id}/part-00000.parquet`, rows: 3, length: 100 }],
    tags: { exportJobId: ["1"] },
  };
}

const rejection = (fn: () => unknown): CatalogError => thrown(fn, CatalogError);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "profile-lab-catalog-"));
  state = new SandboxState(dir);
  now = REF + 3_600_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("datasets", () => {
  it("K1 — create the export dataset: 201 body [\"@/dataSets/<24-hex id>\"], then readable", () => {
    const body = catalog().createDataset({ name: "Profile Export", schemaRef: UNION_REF });
    expect(body).toHaveLength(1);
    expect(body[0]).toMatch(/^@\/dataSets\/[0-9a-f]{24}$/);
    const id = body[0]!.slice("@/dataSets/".length);
    expect(catalog().hasDataset(id)).toBe(true);
    expect(catalog().getDataset(id)).toEqual({
      [id]: {
        name: "Profile Export",
        imsOrg: "ACME@AdobeOrg",
        version: "1.0.0",
        created: now,
        updated: now,
        schemaRef: UNION_REF,
        tags: {},
        viewId: datasetViewId("acme", id),
        files: `@/dataSetFiles?dataSetId=${id}`,
      },
    });
    // A second dataset gets another id; the same sequence in another sandbox folder gives the same ids.
    const second = catalog().createDataset({ name: "Profile Export", schemaRef: UNION_REF, description: "d", tags: { unifiedProfile: ["enabled:false"] }, fileDescription: { persisted: true, containerFormat: "parquet", format: "parquet" } });
    expect(second[0]).not.toBe(body[0]);
    const other = mkdtempSync(join(tmpdir(), "profile-lab-catalog-"));
    try {
      const c = new Catalog(new SandboxState(other), MANIFEST, { clock: () => now });
      expect(c.createDataset({ name: "Profile Export", schemaRef: UNION_REF })).toEqual(body);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    const sid = second[0]!.slice("@/dataSets/".length);
    expect(catalog().getDataset(sid)[sid]).toMatchObject({ description: "d", tags: { unifiedProfile: ["enabled:false"] }, fileDescription: { persisted: true } });
  });

  it("K1 — only the profile union schema may be created (400 at $.schemaRef.id)", () => {
    const e = rejection(() => catalog().createDataset({ name: "x", schemaRef: { id: "https://ns.adobe.com/acme/schemas/crm" } }));
    expect([e.status, e.location.jsonPath]).toEqual([400, "$.schemaRef.id"]);
    expect(e.message).toContain(PROFILE_UNION_SCHEMA_ID);
    expect(e.problem()).toMatchObject({ type: "/placeholder/type/uri", status: 400, title: "BadRequestError" });
  });

  const invalid: [string, unknown, string][] = [
    ["not an object", "x", "$"],
    ["unknown field", { name: "x", schemaRef: UNION_REF, schema: {} }, "$.schema"],
    ["missing name", { schemaRef: UNION_REF }, "$.name"],
    ["missing schemaRef", { name: "x" }, "$.schemaRef"],
    ["schemaRef without id", { name: "x", schemaRef: { contentType: "y" } }, "$.schemaRef.id"],
    ["contentType not a string", { name: "x", schemaRef: { id: PROFILE_UNION_SCHEMA_ID, contentType: 1 } }, "$.schemaRef.contentType"],
    ["description not a string", { name: "x", schemaRef: UNION_REF, description: 3 }, "$.description"],
    ["tag not a string array", { name: "x", schemaRef: UNION_REF, tags: { unifiedProfile: "enabled:true" } }, "$.tags.unifiedProfile"],
    ["fileDescription not an object", { name: "x", schemaRef: UNION_REF, fileDescription: [] }, "$.fileDescription"],
  ];
  for (const [what, body, jsonPath] of invalid) {
    it(`createDataset rejects: ${what}`, () => {
      const e = rejection(() => catalog().createDataset(body));
      expect([e.status, e.location.jsonPath]).toEqual([400, jsonPath]);
    });
  }

  it("manifest datasets: keyed by id, last batch derived from batch records", () => {
    const batches = state.records<BatchRecord>("batches");
    batches.put("b1", batch("b1", "ds_export", REF + 1000));
    batches.put("b2", batch("b2", "ds_export", REF + 2000, "failed"));
    batches.put("b3", batch("b3", "ds_crm", REF + 3000));
    expect(catalog().getDataset("ds_export")).toEqual({
      ds_export: {
        name: "Profile Export",
        imsOrg: "ACME@AdobeOrg",
        version: "1.0.0",
        created: REF,
        updated: REF + 2500,
        schemaRef: { id: PROFILE_UNION_SCHEMA_ID },
        tags: {},
        viewId: datasetViewId("acme", "ds_export"),
        files: "@/dataSetFiles?dataSetId=ds_export",
        lastBatchId: "b2",
        lastBatchStatus: "failed",
        lastSuccessfulBatch: "b1",
      },
    });
    expect(catalog().getDataset("ds_crm")["ds_crm"]).toMatchObject({ description: "CRM records", tags: { unifiedProfile: ["enabled:true"] }, lastBatchId: "b3", lastBatchStatus: "success" });
  });

  it("K3 — property projection: missing properties are omitted", () => {
    expect(catalog().getDataset("ds_export", { properties: "name,description" })).toEqual({ ds_export: { name: "Profile Export" } });
    expect(catalog().getDataset("ds_crm", { properties: ["name", "description"] })).toEqual({ ds_crm: { name: "CRM", description: "CRM records" } });
    expect(catalog().getDataset("ds_export", { properties: "nothing" })).toEqual({ ds_export: {} });
    expect(catalog().getDataset("ds_export", { properties: " , " })["ds_export"]).toHaveProperty("imsOrg");
  });

  it("H5 — unknown dataset → 404 with the Catalog problem body", () => {
    for (const id of ["unknown", "../batches/b1", ""]) {
      const e = rejection(() => catalog().getDataset(id));
      expect(e.status).toBe(404);
      expect(e.problem()).toEqual({ type: "/placeholder/type/uri", status: 404, title: "NotFoundError", detail: "DataSet not found." });
    }
  });

  it("listDatasets: keyed object, manifest first then created datasets, paged and projected", () => {
    now += 1;
    const [a] = catalog().createDataset({ name: "A", schemaRef: UNION_REF });
    now += 1;
    const [b] = catalog().createDataset({ name: "B", schemaRef: UNION_REF });
    const ids = [a!, b!].map((r) => r.slice("@/dataSets/".length));
    const all = catalog().listDatasets();
    expect(Object.keys(all)).toEqual(["ds_crm", "ds_export", ...ids]);
    expect(catalog().listDatasets({ start: 1, limit: 2, properties: "name" })).toEqual({ ds_export: { name: "Profile Export" }, [ids[0]!]: { name: "A" } });
    expect(rejection(() => catalog().listDatasets({ limit: 0 })).status).toBe(400);
  });
});

describe("batches", () => {
  beforeEach(() => {
    const store = state.records<BatchRecord>("batches");
    for (let i = 0; i < 25; i++) {
      const id = `b${String(i).padStart(2, "0")}`;
      store.put(id, batch(id, "ds_export", REF + i * 1000));
    }
    store.put("other", batch("other", "ds_crm", REF + 99_000));
  });

  it("K2 — keyed object, default limit 20, newest first; limit=100&start=20 → the remaining 5", () => {
    const page = catalog().listBatches({ dataSet: "ds_export", orderBy: "desc:created" });
    expect(Object.keys(page)).toEqual(Array.from({ length: 20 }, (_, i) => `b${String(24 - i).padStart(2, "0")}`));
    const rest = catalog().listBatches({ dataSet: "ds_export", orderBy: "desc:created", limit: 100, start: 20 });
    expect(Object.keys(rest)).toEqual(["b04", "b03", "b02", "b01", "b00"]);
    expect(Object.keys(catalog().listBatches({ dataSet: "ds_export", limit: "100", start: "20" }))).toEqual(Object.keys(rest));
  });

  it("K2 — limit 0, over 100, negative start, bad orderBy → 400", () => {
    for (const q of [{ limit: 0 }, { limit: 101 }, { limit: "abc" }, { limit: 2.5 }]) {
      const e = rejection(() => catalog().listBatches(q));
      expect([e.status, e.location.jsonPath]).toEqual([400, "query.limit"]);
    }
    expect(rejection(() => catalog().listBatches({ start: -1 })).location.jsonPath).toBe("query.start");
    expect(rejection(() => catalog().listBatches({ orderBy: "created" })).location.jsonPath).toBe("query.orderBy");
  });

  it("asc:created order, all datasets, unknown dataset filter → {}", () => {
    expect(Object.keys(catalog().listBatches({ orderBy: "asc:created", limit: 3 }))).toEqual(["b00", "b01", "b02"]);
    expect(Object.keys(catalog().listBatches({ limit: 1 }))).toEqual(["other"]);
    expect(catalog().listBatches({ dataSet: "nope" })).toEqual({});
  });

  it("getBatch: the record without lake bookkeeping; projection; unknown → 404", () => {
    const got = catalog().getBatch("b03");
    const { files: _files, ...expected } = batch("b03", "ds_export", REF + 3000);
    expect(got).toEqual({ b03: expected });
    expect(catalog().getBatch("b03", { properties: "status,recordCount" })).toEqual({ b03: { status: "success", recordCount: 3 } });
    expect(catalog().batchRecord("b03")?.files).toHaveLength(1);
    const e = rejection(() => catalog().getBatch("missing"));
    expect([e.status, e.problem().detail]).toEqual([404, "Batch not found."]);
  });
});
