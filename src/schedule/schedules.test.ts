import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SandboxManifest } from "../io/sandbox-manifest.js";
import { SandboxState } from "../store/sandbox-state.js";
import { firings, planScheduleRuns, runIdOf } from "./plan.js";
import { ScheduleError } from "./schedule-error.js";
import { Schedules, type Schedule } from "./schedules.js";
import { thrown } from "../../test/helpers/thrown.js";

const MANIFEST: Pick<SandboxManifest, "name" | "imsOrgId" | "sandbox"> = {
  name: "acme",
  imsOrgId: "ACME@AdobeOrg",
  sandbox: { sandboxId: "e7e17720-c5bb-11e9-aafb-87c71c35cac8", sandboxName: "prod", type: "production", default: true },
};
const T0 = Date.parse("2024-05-01T00:00:00Z");
const DAY = 86_400_000;
const DAILY = { name: "daily", type: "batch_segmentation", properties: { segments: ["*"] }, schedule: "0 0 1 * * ?" };

let dir: string;
let now: number;
let state: SandboxState;

function schedules(mergePolicyCount = 4): Schedules {
  return new Schedules(state, MANIFEST, { clock: () => now, mergePolicyCount });
}

const rejection = (fn: () => unknown): ScheduleError => thrown(fn, ScheduleError);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "profile-lab-schedules-"));
  state = new SandboxState(dir);
  now = T0 + 1234;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("scenarios", () => {
  it("C1 — create defaults to inactive, createEpoch == updateEpoch in seconds, no jobs fire", () => {
    const s = schedules().create(DAILY);
    expect(s).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      imsOrgId: "ACME@AdobeOrg",
      sandbox: MANIFEST.sandbox,
      name: "daily",
      state: "inactive",
      type: "batch_segmentation",
      schedule: "0 0 1 * * ?",
      properties: { segments: ["*"] },
      createEpoch: Math.floor(T0 / 1000) + 1,
      updateEpoch: Math.floor(T0 / 1000) + 1,
    });
    expect(Object.keys(s)).toEqual(["id", "imsOrgId", "sandbox", "name", "state", "type", "schedule", "properties", "createEpoch", "updateEpoch"]);
    expect(schedules().get(s.id)).toEqual(s);
    expect(firings(s, T0, T0 + 7 * DAY)).toEqual([]);
    expect(schedules().planRuns(T0, T0 + 7 * DAY)).toEqual([]);
  });

  it("C2 — activate via JSON Patch: state active, updateEpoch increased, then it fires daily at 01:00Z", () => {
    const s = schedules().create(DAILY);
    now += 60_000;
    const patched = schedules().patch(s.id, [{ op: "add", path: "/state", value: "active" }]);
    const got = schedules().get(s.id);
    expect(got).toEqual(patched);
    expect(got.state).toBe("active");
    expect(got.updateEpoch).toBe(s.createEpoch + 60);
    expect(got.createEpoch).toBe(s.createEpoch);
    expect(firings(got, T0, T0 + 3 * DAY).map((t) => new Date(t).toISOString())).toEqual([
      "2024-05-01T01:00:00.000Z",
      "2024-05-02T01:00:00.000Z",
      "2024-05-03T01:00:00.000Z",
    ]);
    now += 60_000;
    schedules().patch(s.id, [{ op: "add", path: "/state", value: "inactive" }]);
    expect(schedules().get(s.id).state).toBe("inactive");
  });

  it("C2 — the seed's /schedule patch moves the firing time to 10:15 UTC", () => {
    const s = schedules().create({ ...DAILY, state: "active" });
    schedules().patch(s.id, [{ op: "add", path: "/schedule", value: "0 15 10 * * ?" }]);
    const got = schedules().get(s.id);
    expect(got.schedule).toBe("0 15 10 * * ?");
    expect(firings(got, T0, T0 + DAY).map((t) => new Date(t).toISOString())).toEqual(["2024-05-01T10:15:00.000Z"]);
  });

  it("C3 — more than once a day is rejected (400) and the schedule is unchanged", () => {
    const s = schedules().create(DAILY);
    now += 5000;
    const e = rejection(() => schedules().patch(s.id, [{ op: "add", path: "/schedule", value: "0 0/10 17 * * ?" }]));
    expect(e.status).toBe(400);
    expect(e.code).toBe("SCH-021");
    expect(e.location.jsonPath).toBe("$[0].value");
    expect(e.message).toMatch(/more than once in 24 hours/);
    expect(schedules().get(s.id)).toEqual(s);
    // The same expression is refused at creation.
    const c = rejection(() => schedules().create({ ...DAILY, name: "x", type: "export", schedule: "0 0/10 17 * * ?" }));
    expect([c.status, c.location.jsonPath]).toEqual([400, "$.schedule"]);
  });

  it("C4 — seven-field cron with year: valid, fires 09:30Z daily during 2030 only", () => {
    const s = schedules().create({ ...DAILY, schedule: "0 30 9 * * ? 2030", state: "active" });
    const all = firings(s, T0, Date.parse("2032-01-01T00:00:00Z"));
    expect(all).toHaveLength(365);
    expect(new Date(all[0]!).toISOString()).toBe("2030-01-01T09:30:00.000Z");
    expect(new Date(all[364]!).toISOString()).toBe("2030-12-31T09:30:00.000Z");
    expect(all.every((t) => new Date(t).getUTCFullYear() === 2030)).toBe(true);
  });

  it("C5 — a second batch_segmentation schedule in the same sandbox is rejected (400)", () => {
    const first = schedules().create(DAILY);
    const e = rejection(() => schedules().create({ ...DAILY, name: "second" }));
    expect([e.status, e.code, e.location.jsonPath]).toEqual([400, "SCH-030", "$.type"]);
    expect(e.message).toContain(first.id);
    // Export schedules are not limited; after deleting the first, a new one may be created.
    schedules().create({ name: "exports", type: "export", properties: {}, schedule: "0 0 2 * * ?" });
    schedules().delete(first.id);
    expect(schedules().create({ ...DAILY, name: "second" }).name).toBe("second");
  });

  it("C6 — too many merge policies: creation and activation → 400 with an explanation", () => {
    const e = rejection(() => schedules(6).create(DAILY));
    expect([e.status, e.code, e.location.jsonPath]).toEqual([400, "SCH-031", "$.type"]);
    expect(e.message).toMatch(/6 merge policies.*at most 5/);
    const s = schedules(5).create(DAILY);
    const a = rejection(() => schedules(6).patch(s.id, [{ op: "add", path: "/state", value: "active" }]));
    expect([a.status, a.code, a.location.jsonPath]).toEqual([400, "SCH-031", "$[0].value"]);
    expect(schedules().get(s.id).state).toBe("inactive");
    // Deactivating or rescheduling stays possible.
    expect(schedules(6).patch(s.id, [{ op: "add", path: "/schedule", value: "0 0 3 * * ?" }]).schedule).toBe("0 0 3 * * ?");
  });
});

describe("create validation", () => {
  const cases: [string, unknown, string, string][] = [
    ["body not an object", [], "$", "SCH-001"],
    ["unknown field", { ...DAILY, shedule: "x" }, "$.shedule", "SCH-002"],
    ["missing name", { ...DAILY, name: undefined }, "$.name", "SCH-003"],
    ["blank name", { ...DAILY, name: "  " }, "$.name", "SCH-003"],
    ["bad type", { ...DAILY, type: "streaming" }, "$.type", "SCH-004"],
    ["bad state", { ...DAILY, state: "on" }, "$.state", "SCH-005"],
    ["missing properties", { ...DAILY, properties: undefined }, "$.properties", "SCH-006"],
    ["missing segments", { ...DAILY, properties: {} }, "$.properties.segments", "SCH-007"],
    ["empty segments", { ...DAILY, properties: { segments: [] } }, "$.properties.segments", "SCH-008"],
    ["segment not a string", { ...DAILY, properties: { segments: ["a", 3] } }, "$.properties.segments[1]", "SCH-009"],
    ["* with other ids", { ...DAILY, properties: { segments: ["a", "*"] } }, "$.properties.segments[1]", "SCH-010"],
    ["duplicate segment", { ...DAILY, properties: { segments: ["a", "a"] } }, "$.properties.segments[1]", "SCH-011"],
    ["missing schedule", { ...DAILY, schedule: undefined }, "$.schedule", "SCH-019"],
    ["bad cron", { ...DAILY, schedule: "0 0 1 * *" }, "$.schedule", "SCH-020"],
    ["past year", { ...DAILY, schedule: "0 0 1 * * ? 2020" }, "$.schedule", "SCH-022"],
  ];
  for (const [what, body, jsonPath, code] of cases) {
    it(what, () => {
      const e = rejection(() => schedules().create(JSON.parse(JSON.stringify(body)) as unknown));
      expect([e.status, e.location.jsonPath, e.code]).toEqual([400, jsonPath, code]);
    });
  }

  it("accepts an explicit active state and specific segment ids; trims the expression", () => {
    const s = schedules().create({ ...DAILY, schedule: " 0 0 12 ? * 6#3 ", state: "active", properties: { segments: ["seg-1", "seg-2"] } });
    expect(s.state).toBe("active");
    expect(s.schedule).toBe("0 0 12 ? * 6#3");
    expect(s.properties.segments).toEqual(["seg-1", "seg-2"]);
  });

  it("ids are deterministic for the same sandbox, clock and sequence", () => {
    const a = schedules().create(DAILY).id;
    const other = mkdtempSync(join(tmpdir(), "profile-lab-schedules-"));
    try {
      const b = new Schedules(new SandboxState(other), MANIFEST, { clock: () => now, mergePolicyCount: 1 }).create(DAILY).id;
      expect(b).toBe(a);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("JSON Patch errors", () => {
  let s: Schedule;
  beforeEach(() => {
    s = schedules().create(DAILY);
  });
  const cases: [string, unknown, string, string][] = [
    ["object instead of an array", { op: "add", path: "/state", value: "active" }, "$", "SCH-040"],
    ["empty array", [], "$", "SCH-041"],
    ["operation not an object", ["add"], "$[0]", "SCH-042"],
    ["replace op", [{ op: "replace", path: "/state", value: "active" }], "$[0].op", "SCH-043"],
    ["remove op", [{ op: "remove", path: "/state" }], "$[0].op", "SCH-043"],
    ["other path", [{ op: "add", path: "/name", value: "x" }], "$[0].path", "SCH-044"],
    ["bad state value", [{ op: "add", path: "/state", value: "enabled" }], "$[0].value", "SCH-045"],
    ["bad cron value", [{ op: "add", path: "/schedule", value: "0 0 1 * * * *" }], "$[0].value", "SCH-020"],
    ["second operation invalid", [{ op: "add", path: "/state", value: "active" }, { op: "add", path: "/schedule", value: 5 }], "$[1].value", "SCH-019"],
  ];
  for (const [what, ops, jsonPath, code] of cases) {
    it(what, () => {
      now += 10_000;
      const e = rejection(() => schedules().patch(s.id, ops));
      expect([e.status, e.location.jsonPath, e.code]).toEqual([400, jsonPath, code]);
      expect(schedules().get(s.id)).toEqual(s); // nothing applied
    });
  }

  it("applies several operations together", () => {
    const got = schedules().patch(s.id, [
      { op: "add", path: "/schedule", value: "0 0 2 * * ?" },
      { op: "add", path: "/state", value: "active" },
    ]);
    expect([got.schedule, got.state]).toEqual(["0 0 2 * * ?", "active"]);
  });

  it("unknown schedule → 404", () => {
    const e = rejection(() => schedules().patch("nope", [{ op: "add", path: "/state", value: "active" }]));
    expect([e.status, e.code]).toEqual([404, "SCH-404"]);
  });
});

describe("get, delete, list", () => {
  it("get and delete an unknown id → 404; ids with path characters never reach the file system", () => {
    for (const id of ["missing", "../schedules/x", "a/b", ""]) {
      expect(rejection(() => schedules().get(id)).status).toBe(404);
    }
    expect(rejection(() => schedules().delete("missing")).status).toBe(404);
  });

  it("delete removes the record", () => {
    const s = schedules().create(DAILY);
    schedules().delete(s.id);
    expect(existsSync(join(dir, ".profile-lab", "schedules", `${s.id}.json`))).toBe(false);
    expect(rejection(() => schedules().get(s.id)).status).toBe(404);
    expect(schedules().list().children).toEqual([]);
  });

  it("paging with start and limit; defaults start 0, limit 100", () => {
    const created: Schedule[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1000;
      created.push(schedules().create({ name: `export-${i}`, type: "export", properties: {}, schedule: `0 0 ${i} * * ?` }));
    }
    const all = schedules().list();
    expect(all).toEqual({ _page: { totalCount: 5, pageSize: 5 }, children: created, _links: { next: {} } });
    const first = schedules().list({ start: 0, limit: 2 });
    expect(first.children.map((c) => c.name)).toEqual(["export-0", "export-1"]);
    expect(first._page).toEqual({ totalCount: 5, pageSize: 2, next: "2" });
    expect(first._links.next).toEqual({ href: "/config/schedules?start=2&limit=2" });
    const last = schedules().list({ start: 4, limit: 2 });
    expect(last.children.map((c) => c.name)).toEqual(["export-4"]);
    expect(last._links.next).toEqual({});
    expect(schedules().list({ start: 10 }).children).toEqual([]);
  });

  it("invalid paging → 400", () => {
    expect(rejection(() => schedules().list({ limit: 0 })).location.jsonPath).toBe("query.limit");
    expect(rejection(() => schedules().list({ start: -1 })).location.jsonPath).toBe("query.start");
    expect(rejection(() => schedules().list({ limit: 1.5 })).status).toBe(400);
  });
});

describe("simulation", () => {
  it("planScheduleRuns: active batch_segmentation schedules, sorted by time, deterministic run ids", () => {
    const daily = schedules().create({ ...DAILY, state: "active", properties: { segments: ["seg-1"] } });
    schedules().create({ name: "exports", type: "export", properties: {}, schedule: "0 30 0 * * ?", state: "active" });
    const runs = schedules().planRuns(T0, T0 + 2 * DAY);
    expect(runs).toEqual([
      { scheduleId: daily.id, runId: runIdOf(daily.id, T0 + 3_600_000), at: T0 + 3_600_000, segments: ["seg-1"], type: "batch_segmentation" },
      { scheduleId: daily.id, runId: runIdOf(daily.id, T0 + DAY + 3_600_000), at: T0 + DAY + 3_600_000, segments: ["seg-1"], type: "batch_segmentation" },
    ]);
    expect(runs[0]!.runId).not.toBe(runs[1]!.runId);
    expect(schedules().planRuns(T0, T0 + 2 * DAY)).toEqual(runs);
    const withExports = schedules().planRuns(T0, T0 + DAY, { types: ["batch_segmentation", "export"] });
    expect(withExports.map((r) => [r.type, new Date(r.at).toISOString()])).toEqual([
      ["export", "2024-05-01T00:30:00.000Z"],
      ["batch_segmentation", "2024-05-01T01:00:00.000Z"],
    ]);
  });

  it("S12 — consecutive windows neither repeat nor skip a run", () => {
    const s = schedules().create({ ...DAILY, state: "active" });
    const whole = planScheduleRuns([s], T0, T0 + 10 * DAY);
    const split = [...planScheduleRuns([s], T0, T0 + 3 * DAY + 3_600_000), ...planScheduleRuns([s], T0 + 3 * DAY + 3_600_000, T0 + 10 * DAY)];
    expect(split).toEqual(whole);
    expect(whole).toHaveLength(10);
    expect(whole.every((r) => new Date(r.at).toISOString().endsWith("T01:00:00.000Z"))).toBe(true);
  });

  it("sorts runs of several schedules by time, then schedule id", () => {
    const a: Schedule = { ...schedules().create({ ...DAILY, state: "active" }), id: "b-schedule" };
    const b: Schedule = { ...a, id: "a-schedule", schedule: "0 0 1 ? * MON" };
    const runs = planScheduleRuns([a, b], Date.parse("2024-05-06T00:00:00Z"), Date.parse("2024-05-07T02:00:00Z"));
    expect(runs.map((r) => `${r.scheduleId}@${new Date(r.at).toISOString()}`)).toEqual([
      "a-schedule@2024-05-06T01:00:00.000Z",
      "b-schedule@2024-05-06T01:00:00.000Z",
      "b-schedule@2024-05-07T01:00:00.000Z",
    ]);
    expect(planScheduleRuns([a], T0 + DAY, T0)).toEqual([]);
  });
});
