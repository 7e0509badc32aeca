/**
 * The server's merge-policy, Catalog and Data Access answers against profile.yaml, catalog.yaml and
 * data-access.yaml (the Segmentation answers are checked in server-seeds and the other server tests).
 */
import { describe, expect, it } from "vitest";
import { responseValidator, type Tolerance } from "./seeds/helpers/openapi.js";
import { DEFAULT_POLICY, UNION_DATASET } from "./seeds/helpers/seed-sandbox.js";
import { fixture } from "./seeds/seed-bodies.js";
import { poll, sandboxesFolder, servedInTests } from "./server-helpers.js";

/**
 * profile.yaml's MergePoliciesResponse pages with `{count, next}` (its Page schema); the merge-policy guide's list
 * sample, which MergePolicyStore.list follows, with `{totalCount, pageSize}`. Both are accepted.
 */
const DOCS_PAGE: Tolerance = {
  why: "_page: {count, next} in the spec, {totalCount, pageSize} in the docs",
  patch: (schema) => {
    const props = schema["properties"] as Record<string, unknown>;
    props["_page"] = { anyOf: [props["_page"], { type: "object", required: ["totalCount", "pageSize"], properties: { totalCount: { type: "integer" }, pageSize: { type: "integer" } } }] };
  },
};

const { call } = servedInTests(() => ({ sandboxes: sandboxesFolder("prod") }));
const get = async (url: string): Promise<unknown> => (await call({ method: "GET", url })).json();

describe("answers against the Profile, Catalog and Data Access specs", () => {
  it("merge policies: list and get (profile.yaml)", async () => {
    expect(responseValidator("/ups/config/mergePolicies", "get", "200", [DOCS_PAGE], "profile")(await get("/data/core/ups/config/mergePolicies"))).toEqual([]);
    expect(responseValidator("/ups/config/mergePolicies/{mergePolicyId}", "get", "200", [], "profile")(await get(`/data/core/ups/config/mergePolicies/${DEFAULT_POLICY}`))).toEqual([]);
  });

  it("datasets and batches (catalog.yaml), a batch's files (data-access.yaml)", async () => {
    const created = (await call({ method: "POST", url: "/data/core/ups/export/jobs", payload: fixture("000-create-export-job.request.json") })).json();
    const { job } = await poll(call, `/data/core/ups/export/jobs/${created.id}`);
    const batchId = (job.destination as { batchId: string }).batchId;
    expect(responseValidator("/dataSets", "get", "200", [], "catalog")(await get("/data/foundation/catalog/dataSets"))).toEqual([]);
    expect(responseValidator("/dataSets/{DATASET_ID}", "get", "200", [], "catalog")(await get(`/data/foundation/catalog/dataSets/${UNION_DATASET}`))).toEqual([]);
    expect(responseValidator("/batches", "get", "200", [], "catalog")(await get("/data/foundation/catalog/batches"))).toEqual([]);
    expect(responseValidator("/batches/{BATCH_ID}", "get", "200", [], "catalog")(await get(`/data/foundation/catalog/batches/${batchId}`))).toEqual([]);
    expect(responseValidator("/batches/{batchId}/files", "get", "200", [], "data-access")(await get(`/data/foundation/export/batches/${batchId}/files`))).toEqual([]);
  });
});
