import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { IoError } from "../io/io-error.js";
import { SandboxState } from "../store/sandbox-state.js";
import { parseDateTime } from "../xdm/time.js";
import { EvaluateError, evaluate, evaluateSegments, memoryData, memorySandbox, type SandboxDefinition } from "./evaluate.js";
import { loadSandboxData } from "./load-data.js";
import { runSegmentJob } from "./run-segment-job.js";
import { openSandbox } from "./sandbox.js";

const IDENTITY_MAP = {
  type: "object",
  "meta:xdmType": "map",
  additionalProperties: { type: "array", items: { type: "object", properties: { id: { type: "string" }, primary: { type: "boolean" } } } },
};
const PROFILE = {
  $id: "https://example.com/profile",
  "meta:class": "https://ns.adobe.com/xdm/context/profile",
  properties: { identityMap: IDENTITY_MAP, loyalty: { type: "object", properties: { tier: { type: "string" } } } },
};
const EVENT = {
  $id: "https://example.com/event",
  "meta:class": "https://ns.adobe.com/xdm/context/experienceevent",
  properties: { _id: { type: "string" }, timestamp: { type: "string", format: "date-time" }, eventType: { type: "string" }, identityMap: IDENTITY_MAP },
};
const SANDBOX: SandboxDefinition = {
  schemas: [PROFILE, EVENT],
  datasets: [
    { id: "crm", schemaId: PROFILE.$id },
    { id: "web", schemaId: EVENT.$id },
  ],
  segments: [
    { id: "gold", name: "Gold members", expression: { type: "PQL", format: "pql/text", value: 'loyalty.tier = "gold"' } },
    'xEvent[eventType = "purchase"].count() > 0',
  ],
};
const member = (id: string, tier: string, ingestTime = "2026-01-01T00:00:00Z") => ({ identityMap: { CRMID: [{ id, primary: true }] }, loyalty: { tier }, _acp_system_metadata: { ingestTime } });
const purchase = (id: string, timestamp: string) => ({ _id: `e-${id}-${timestamp}`, timestamp, eventType: "purchase", identityMap: { CRMID: [{ id, primary: true }] }, _acp_system_metadata: { ingestTime: timestamp } });

describe("in-memory evaluation", () => {
  it("walks realized → existing → exited (legacy) and realized → exited (current) across evaluations", async () => {
    const sandbox = memorySandbox(SANDBOX);
    const gold = memoryData(sandbox, [{ datasetId: "crm", rows: [member("c1", "gold")] }]);
    const silver = memoryData(sandbox, [{ datasetId: "crm", rows: [member("c1", "gold"), member("c1", "silver", "2026-03-01T00:00:00Z")] }]);
    for (const [model, statuses] of [["legacy", ["realized", "existing", "exited"]], ["current", ["realized", "realized", "exited"]]] as const) {
      const one = await evaluate(sandbox, gold, { asOf: "2026-02-01T00:00:00Z", statusModel: model, segments: ["gold"] });
      const two = await evaluate(sandbox, gold, { asOf: "2026-02-02T00:00:00Z", statusModel: model, segments: ["Gold members"], prior: one.memberships });
      const three = await evaluate(sandbox, silver, { asOf: "2026-03-02T00:00:00Z", statusModel: model, segments: ["gold"], prior: two.memberships });
      expect([one, two, three].map((e) => e.memberships["crmid:c1"]!["ups"]!["gold"]!.status)).toEqual(statuses);
      expect([one, two, three].map((e) => e.memberships["crmid:c1"]!["ups"]!["gold"]!.lastQualificationTime)).toEqual([
        "2026-02-01T00:00:00.000Z",
        "2026-02-01T00:00:00.000Z",
        "2026-03-02T00:00:00.000Z",
      ]);
      expect(three.segments[0]).toMatchObject({ segmentId: "gold", size: 0, byStatus: { exited: 1 } });
    }
  });

  it("evaluates events and PQL given as text, and explains a decision", async () => {
    const e = await evaluateSegments(
      { ...SANDBOX, data: [{ datasetId: "crm", rows: [member("c1", "gold"), member("c2", "bronze")] }, { datasetId: "web", rows: [purchase("c2", "2026-01-10T00:00:00Z")] }] },
      { asOf: "2026-02-01T00:00:00Z" },
    );
    expect(e.segments.map((s) => [s.segmentId, s.size, s.byNamespace])).toEqual([
      ["gold", 1, { CRMID: 1 }],
      ["segment-2", 1, { CRMID: 1 }],
    ]);
    expect(e.profileOf("CRMID:c2")?.profile).toMatchObject({ loyalty: { tier: "bronze" }, segmentMembership: { ups: { "segment-2": { status: "realized" } } } });
    const why = e.explain("CRMID:c2", "gold")!;
    expect(why.segments[0]).toMatchObject({ qualifies: false, trace: { text: 'loyalty.tier = "gold"', value: false } });
    expect(why.fields.find((f) => f.path === "loyalty.tier")?.value).toBe("bronze");
  });

  it("stores exactly what a segment job over the same sandbox stores", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-evaluate-")), "sandbox");
    cpSync(resolve(import.meta.dirname, "../../sample-data"), dir, { recursive: true, filter: (src) => !src.includes(".profile-lab") });
    const sandbox = openSandbox(dir);
    const asOf = parseDateTime("2026-11-01T00:00:00Z")!;
    const inMemory = await evaluate(sandbox, await loadSandboxData(sandbox), { asOf });
    const job = await runSegmentJob(sandbox, { asOf, statusModel: "legacy" });
    const stored = Object.fromEntries([...(await new SandboxState(dir).membership.readAll())].map(([key, ups]) => [key, { ups: Object.fromEntries(ups) }]));
    expect(inMemory.memberships).toEqual(stored);
    expect(Object.fromEntries(inMemory.segments.map((s) => [s.segmentId, s.size]))).toEqual(job.metrics.segmentedProfileCounter);
  });

  it("says which row is bad, which dataset or segment is unknown, and what asOf must be", async () => {
    const sandbox = memorySandbox(SANDBOX);
    const bad = (() => {
      try {
        memoryData(sandbox, [{ datasetId: "crm", file: "t.yaml", rows: [member("c1", "gold"), { ...member("c2", "gold"), loyalty: { tier: 3 } }] }]);
      } catch (e) {
        return e;
      }
    })() as IoError;
    expect(bad).toBeInstanceOf(IoError);
    expect(bad.location).toMatchObject({ file: "t.yaml", line: 2, jsonPath: "$.loyalty.tier" });
    expect(() => memoryData(sandbox, [{ datasetId: "nope", rows: [] }])).toThrow(/unknown dataset "nope"; known profile and event datasets: crm \(crm\), web \(web\)/);
    const data = memoryData(sandbox, []);
    await expect(evaluate(sandbox, data, { asOf: "2026-02-01T00:00:00Z", segments: ["Platinum"] })).rejects.toThrow(EvaluateError);
    await expect(evaluate(sandbox, data, { asOf: "yesterday" })).rejects.toThrow(/asOf must be/);
    await expect(evaluate(sandbox, data, { asOf: 0, mergePolicyId: "p9" })).rejects.toThrow(/unknown merge policy "p9"/);
  });
});
