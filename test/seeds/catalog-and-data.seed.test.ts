/**
 * Issue 5, Catalog and the exported data: the seeds' `POST /dataSets` bodies go through `Catalog.createDataset`
 * and their responses have our shape; a dataset created that way is an export target for the seeds' export
 * request; and the `segmentMembership` example of 003 has the shape of the attribute in our exported rows.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runExportJob } from "../../src/engine/run-export-job.js";
import { openSandbox, type Sandbox } from "../../src/engine/sandbox.js";
import { Catalog } from "../../src/store/catalog.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { batchGlob, query } from "../helpers/parquet.js";
import { shapeMismatches } from "./helpers/compare.js";
import { UNION_DATASET, writeSeedSandbox } from "./helpers/seed-sandbox.js";
import { fixture } from "./seed-bodies.js";

const NOW = Date.parse("2024-06-01T00:00:00Z");
let sandbox: Sandbox;
const catalog = () => new Catalog(new SandboxState(sandbox.dir), sandbox.manifest, { clock: () => NOW });

beforeAll(() => {
  sandbox = openSandbox(writeSeedSandbox());
});

const SEEDS = ["000", "002", "003", "004"] as const;

function create(seed: string): string[] {
  return catalog().createDataset(fixture(`${seed}-create-dataset.request.json`));
}

describe("the seeds' create-dataset requests and responses", () => {
  it.each(SEEDS)("the seed's %s create-dataset request is accepted and its response has our shape", (seed) => {
    const answer = create(seed);
    // The seeds write `@/datasets/<id>`, ours `@/dataSets/<id>` (the Catalog's casing); both 24 hex digits.
    expect(answer).toEqual([expect.stringMatching(/^@\/dataSets\/[0-9a-f]{24}$/)]);
    expect(shapeMismatches(fixture(`${seed}-create-dataset.response.json`), answer)).toEqual([]);
    const id = answer[0]!.split("/").at(-1)!;
    // The dataset keeps what the request said (name, schemaRef, fileDescription where given). 004's `aspect`
    // is checked on its own below.
    const { aspect: _aspect, ...kept } = fixture<Record<string, unknown>>(`${seed}-create-dataset.request.json`);
    expect(catalog().getDataset(id)[id]).toMatchObject(kept);
  });

  it("the seed's 004 create-dataset request carries aspect \"production\" (and only 004's does)", () => {
    const aspects = SEEDS.map((seed) => fixture<{ aspect?: unknown }>(`${seed}-create-dataset.request.json`).aspect);
    expect(aspects).toEqual([undefined, undefined, undefined, "production"]);
  });

  it("the seed's 004 aspect is kept as given in the stored dataset", () => {
    const id = create("004")[0]!.split("/").at(-1)!;
    expect(catalog().getDataset(id)[id]).toMatchObject({ aspect: "production" });
  });

  it("a non-string aspect is rejected (CAT-015 at $.aspect)", () => {
    const body = { ...fixture<object>("004-create-dataset.request.json"), aspect: 1 };
    expect(() => catalog().createDataset(body)).toThrow(expect.objectContaining({ code: "CAT-015", status: 400, location: expect.objectContaining({ jsonPath: "$.aspect" }) }));
  });

  it("the seeds' sample responses are one `@/datasets/<24 hex>` string each", () => {
    for (const seed of SEEDS) expect(fixture(`${seed}-create-dataset.response.json`)).toEqual([expect.stringMatching(/^@\/datasets\/[0-9a-f]{24}$/)]);
  });

  it("a dataset created with the seed's body is a target for the seed's export request", async () => {
    const id = create("000")[0]!.split("/").at(-1)!;
    const body = fixture<{ destination: { datasetId: string } }>("000-create-export-job-profile-only.request.json");
    body.destination.datasetId = id;
    const result = await runExportJob(sandbox, body, { asOf: NOW, statusModel: "current" });
    expect(result.job.status).toBe("SUCCEEDED");
    expect(result.batches.map((b) => b.recordCount)).toEqual([3]);
    expect(catalog().getDataset(id)[id]).toMatchObject({ lastBatchId: result.job.destination.batchId, lastBatchStatus: "success" });
  });
});

describe("the seed's segmentMembership example", () => {
  it("the seed's 003 segmentMembership example has the shape of the attribute in our exported rows", async () => {
    const result = await runExportJob(sandbox, { destination: { datasetId: UNION_DATASET }, schema: { name: "_xdm.context.profile" } }, { asOf: NOW, statusModel: "current" });
    const rows = await query(
      `SELECT to_json(segmentMembership)::VARCHAR AS sm FROM read_parquet('${batchGlob(sandbox.dir, result.job, result.job.destination.batchId!)}') WHERE segmentMembership IS NOT NULL`,
    );
    expect(rows.length).toBeGreaterThan(0);
    const ours = { segmentMembership: rows.map((r) => JSON.parse(r["sm"] as string) as Record<string, unknown>).reduce((a, b) => ({ ...a, ...b })) };
    const maps = ["segmentMembership", "segmentMembership.*"];
    // Namespaces and segment ids are data. The example's first UPS entry has `timestamp` where the others (and
    // the doc's own property table) have `lastQualificationTime`: an old spelling in the sample, not a field.
    expect(shapeMismatches(fixture("003-segment-membership.example.json"), ours, { maps })).toEqual(["missing $.segmentMembership.<key>.<key>.timestamp"]);
    // Every status the example shows is one we write.
    const statuses = ["existing", "realized", "exited"];
    const example = fixture<{ segmentMembership: Record<string, Record<string, { status: string }>> }>("003-segment-membership.example.json");
    for (const ns of Object.values(example.segmentMembership)) for (const e of Object.values(ns)) expect(statuses).toContain(e.status);
  });
});
