/**
 * `/config/schedules` over HTTP with the seeds' bodies (003), and active schedules firing by the server's
 * clock: a firing becomes a scheduler segment job evaluated as of the firing time, once.
 */
import { describe, expect, it } from "vitest";
import { responseValidator } from "./seeds/helpers/openapi.js";
import { fixture } from "./seeds/seed-bodies.js";
import { poll, sandboxesFolder, servedInTests } from "./server-helpers.js";

const BASE = "/data/core/ups/config/schedules";
/** The server's clock: 2024-06-01 00:00Z, moved on by the test. */
let now = Date.parse("2024-06-01T00:00:00Z");
const { call } = servedInTests(() => ({ sandboxes: sandboxesFolder("prod"), clock: () => now, scheduleTickMs: 50 }));

describe("schedules", () => {
  let id: string;

  it("creates the seed's schedule, lists and gets it", async () => {
    const created = await call({ method: "POST", url: BASE, payload: fixture("003-create-schedule.request.json") });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ state: "inactive", schedule: "0 0 1 * * ?", imsOrgId: "SEED@AdobeOrg" });
    expect(responseValidator("/config/schedules", "post", "200")(created.json())).toEqual([]);
    id = created.json().id;
    expect((await call({ method: "GET", url: BASE })).json().children.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await call({ method: "GET", url: `${BASE}/${id}` })).json().id).toBe(id);
  });

  it("refuses a second batch_segmentation schedule and an invalid patch", async () => {
    expect((await call({ method: "POST", url: BASE, payload: fixture("003-create-schedule.request.json") })).statusCode).toBe(400);
    const bad = await call({ method: "PATCH", url: `${BASE}/${id}`, payload: [{ op: "add", path: "/state", value: "on" }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toMatch(/^\$\[0\]\.value/);
  });

  it("activates it with the seed's JSON Patch (204); it then fires by the clock, once", async () => {
    const patched = await call({ method: "PATCH", url: `${BASE}/${id}`, payload: fixture("003-patch-schedule-state.request.json") });
    expect(patched.statusCode).toBe(204);
    expect((await call({ method: "GET", url: `${BASE}/${id}` })).json().state).toBe("active");
    now = Date.parse("2024-06-01T02:00:00Z");
    let jobs: { id: string; source: string; properties: Record<string, string> }[] = [];
    for (let i = 0; i < 200 && jobs.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      jobs = (await call({ method: "GET", url: "/data/core/ups/segment/jobs" })).json().children;
    }
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ source: "scheduler", properties: { scheduleId: id, asOf: "2024-06-01T01:00:00.000Z" } });
    expect((await poll(call, `/data/core/ups/segment/jobs/${jobs[0]!.id}`)).job.status).toBe("SUCCEEDED");
    await new Promise((r) => setTimeout(r, 300));
    expect((await call({ method: "GET", url: "/data/core/ups/segment/jobs" })).json().children).toHaveLength(1);
  });

  it("deletes it (204)", async () => {
    expect((await call({ method: "DELETE", url: `${BASE}/${id}` })).statusCode).toBe(204);
    expect((await call({ method: "GET", url: `${BASE}/${id}` })).statusCode).toBe(404);
  });
});
