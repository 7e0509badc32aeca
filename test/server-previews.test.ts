/**
 * `/preview` and `/estimate` over HTTP: a PQL evaluated in memory (nothing written to the sandbox), its members
 * paged, its estimate, PQL errors located in `$.predicateExpression`, a preview of one sandbox not found in another.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { responseValidator, type Tolerance } from "./seeds/helpers/openapi.js";
import { sandboxesFolder, servedInTests } from "./server-helpers.js";

/** The spec's PreviewResponse has `link` as a string; the preview docs show `"link": {"next": ""}`, as we answer. */
const LINK_OBJECT: Tolerance = {
  why: "link: a string in the spec, an object {next} in the docs",
  patch: (schema) => {
    (schema["properties"] as Record<string, unknown>)["link"] = { type: "object", properties: { next: { type: "string" } } };
  },
};

const folder = sandboxesFolder("prod", "dev");
const { call } = servedInTests(() => ({ sandboxes: folder }));

describe("previews and estimates", () => {
  it("previews a PQL, pages its members, estimates it and deletes it, writing nothing", async () => {
    const created = await call({ method: "POST", url: "/data/core/ups/preview", payload: { predicateExpression: 'homeAddress.country = "US"', predicateType: "PQL", predicateModel: "_xdm.context.profile", graphType: "none" } });
    expect(created.statusCode).toBe(201);
    expect(responseValidator("/preview", "post", "201")(created.json())).toEqual([]);
    const id = created.json().previewId as string;
    const page = await call({ method: "GET", url: `/data/core/ups/preview/${id}?limit=1` });
    expect(page.json()).toMatchObject({ state: "RESULT_READY", size: 2, page: { offset: 0, limit: 1, count: 1 } });
    expect(responseValidator("/preview/{PREVIEW_ID}", "get", "200", [LINK_OBJECT])(page.json())).toEqual([]);
    expect((await call({ method: "GET", url: `/data/core/ups/estimate/${id}` })).json()).toMatchObject({ state: "RESULT_READY", estimatedSize: 2 });
    expect((await call({ method: "GET", url: `/data/core/ups/preview/${id}`, headers: { "x-sandbox-name": "dev" } })).statusCode).toBe(404);
    expect((await call({ method: "DELETE", url: `/data/core/ups/preview/${id}` })).json()).toMatchObject({ status: true });
    expect((await call({ method: "GET", url: `/data/core/ups/estimate/${id}` })).statusCode).toBe(404);
    expect(existsSync(join(folder, "prod", ".profile-lab", "state.sqlite"))).toBe(false);
  });

  it("locates a PQL error in $.predicateExpression", async () => {
    const r = await call({ method: "POST", url: "/data/core/ups/preview", payload: { predicateExpression: 'homeAddress.contry = "US"' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0]).toMatchObject({ path: "$.predicateExpression", line: 1, column: 13 });
  });
});
