/**
 * `/segment/definitions` and `/segment/conversion` over HTTP: CRUD on the sandbox's segments/ folder, PQL
 * parsed and type-checked on create and patch with every problem's line and column, and a new definition
 * usable by the next segment job.
 */
import { describe, expect, it } from "vitest";
import { responseValidator } from "./seeds/helpers/openapi.js";
import { SEED_POLICY, SEGMENT_001 } from "./seeds/helpers/seed-sandbox.js";
import { poll, sandboxesFolder, servedInTests } from "./server-helpers.js";

const BASE = "/data/core/ups/segment/definitions";
const { call } = servedInTests(() => ({ sandboxes: sandboxesFolder("prod") }));

const definition = (value: string, name = "US residents again") => ({
  name,
  schema: { name: "_xdm.context.profile" },
  expression: { type: "PQL", format: "pql/text", value },
  mergePolicyId: SEED_POLICY,
  evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
});

describe("segment definitions", () => {
  it("creates a definition that the next segment job evaluates, then patches and deletes it", async () => {
    const created = await call({ method: "POST", url: BASE, payload: definition('homeAddress.country = "US"') });
    expect(created.statusCode).toBe(200);
    const body = created.json();
    expect(body).toMatchObject({ name: "US residents again", profileInstanceId: "ups", imsOrgId: "SEED@AdobeOrg", version: 1 });
    expect(responseValidator("/segment/definitions", "post", "200")(body)).toEqual([]);
    expect((await call({ method: "GET", url: `${BASE}/${body.id}` })).json().expression.value).toBe('homeAddress.country = "US"');

    const job = await call({ method: "POST", url: "/data/core/ups/segment/jobs", payload: [{ segmentId: body.id }] });
    expect(job.statusCode).toBe(200);
    const { job: done } = await poll(call, `/data/core/ups/segment/jobs/${job.json().id}`);
    expect(done).toMatchObject({ status: "SUCCEEDED", metrics: { segmentedProfileCounter: { [body.id]: 2 } } });

    const patched = await call({ method: "PATCH", url: `${BASE}/${body.id}`, payload: { expression: { type: "PQL", format: "pql/text", value: 'homeAddress.country = "CA"' } } });
    expect(patched.json()).toMatchObject({ version: 2, name: "US residents again", expression: { value: 'homeAddress.country = "CA"' } });
    expect((await call({ method: "DELETE", url: `${BASE}/${body.id}` })).statusCode).toBe(204);
    expect((await call({ method: "GET", url: `${BASE}/${body.id}` })).statusCode).toBe(404);
  });

  it("refuses PQL that does not check, with every problem's line and column", async () => {
    const r = await call({ method: "POST", url: BASE, payload: definition('homeAddress.countryy = "US" and\npersn.name = "x"', "broken") });
    expect(r.statusCode).toBe(400);
    const { errors, type } = r.json();
    expect(type).toMatch(/^https:\/\/ns\.adobe\.com\/aep\/errors\/PQL-T/);
    expect(errors).toMatchObject([
      { path: "$.expression.value", line: 1, column: 13 },
      { path: "$.expression.value", line: 2, column: 1 },
    ]);
  });

  it("refuses a syntax error at its position", async () => {
    const r = await call({ method: "POST", url: BASE, payload: definition('homeAddress.country = ("US"', "unclosed") });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0]).toMatchObject({ path: "$.expression.value", line: 1 });
    expect(r.json().errors[0].code).toMatch(/^PQL-S/);
  });

  it("refuses an unknown merge policy and a name already taken", async () => {
    const unknownPolicy = await call({ method: "POST", url: BASE, payload: { ...definition("true", "p"), mergePolicyId: "nope" } });
    expect(unknownPolicy.json()).toMatchObject({ status: 400, errors: [{ path: "$.mergePolicyId" }] });
    const taken = await call({ method: "POST", url: BASE, payload: definition("true", `seed segment ${SEGMENT_001}`) });
    expect(taken.json()).toMatchObject({ status: 400, errors: [{ code: "SEG-D005", path: "$.name" }] });
  });

  it("lists by name with paging and bulk-gets", async () => {
    const page = (await call({ method: "GET", url: `${BASE}?limit=2` })).json();
    expect(page.page).toMatchObject({ totalCount: 5, pageSize: 2, limit: 2 });
    expect(page.link.next).toBe(`http://localhost:80${BASE}?start=2&limit=2`);
    const bulk = await call({ method: "POST", url: `${BASE}/bulk-get`, payload: { ids: [{ id: SEGMENT_001 }, { id: "nope" }] } });
    expect(bulk.statusCode).toBe(207);
    expect(Object.keys(bulk.json().results)).toEqual([SEGMENT_001]);
  });
});

describe("segment conversion", () => {
  it("converts pql/text to pql/json and back, whatever Content-Type the body is sent with", async () => {
    const text = { name: "n", expression: { type: "PQL", format: "pql/text", value: 'workAddress.country = "US"' } };
    const toJson = await call({ method: "POST", url: "/data/core/ups/segment/conversion", payload: JSON.stringify(text), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(toJson.statusCode).toBe(200);
    expect(toJson.json().expression.format).toBe("pql/json");
    expect(JSON.parse(toJson.json().expression.value)).toMatchObject({ nodeType: "fnApply", fnName: "=" });
    const back = await call({ method: "POST", url: "/data/core/ups/segment/conversion", payload: toJson.json() });
    expect(back.json().expression).toEqual(text.expression);
  });

  it("locates a syntax error", async () => {
    const r = await call({ method: "POST", url: "/data/core/ups/segment/conversion", payload: { expression: { type: "PQL", format: "pql/text", value: "a = = 1" } } });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0]).toMatchObject({ path: "$.expression.value", line: 1, column: 5 });
  });
});
