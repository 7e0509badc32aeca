/** Merge-policy management: M16 (switching the default), M17 (edge-active policies), listing and patching. */
import { describe, expect, it } from "vitest";
import { openSandbox } from "../src/engine/sandbox.js";
import { MergeError } from "../src/merge/merge-error.js";
import { MergePolicyStore } from "../src/merge/merge-policy-store.js";
import { writeSandbox } from "./helpers/sandbox.js";

const DEFAULT = { id: "timestampOrdered-none-mp", name: "Default", schema: { name: "_xdm.context.profile" }, version: 1, identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true };

function store(dir: string, clock = () => 1_700_000_000_000): MergePolicyStore {
  return new MergePolicyStore(dir, new Set(["ds_crm", "ds_loyalty"]), { imsOrgId: "TEST@AdobeOrg", sandbox: { sandboxId: "s", sandboxName: "test", type: "development", default: false }, name: "test" }, clock);
}

const PDG_BODY = { name: "Stitched", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, schema: { name: "_xdm.context.profile" }, default: true };

describe("merge-policy management", () => {
  it("M16: a new default policy clears the old default, whose version moves on; segments follow it", () => {
    const dir = writeSandbox({ profiles: { ds_crm: [] }, policies: [DEFAULT] });
    const policies = store(dir);
    const created = policies.create(PDG_BODY);
    expect(created).toMatchObject({ name: "Stitched", version: 1, default: true, identityGraph: { type: "pdg" }, imsOrgId: "TEST@AdobeOrg" });
    expect(policies.get("timestampOrdered-none-mp")).toMatchObject({ default: false, version: 2 });
    expect(openSandbox(dir).policies.default.id).toBe(created.id);
  });

  it("M17: deleting an edge-active policy is refused until it is patched off edge", () => {
    const dir = writeSandbox({ profiles: { ds_crm: [] }, policies: [DEFAULT, { ...DEFAULT, id: "edge", name: "Edge", default: false, isActiveOnEdge: true }] });
    const policies = store(dir);
    expect(() => policies.delete("edge")).toThrow(expect.objectContaining({ code: "MRG-P006", status: 400 }));
    expect(policies.patch("edge", { op: "add", path: "/isActiveOnEdge", value: "false" })).toMatchObject({ isActiveOnEdge: false, version: 2 });
    policies.delete("edge");
    expect(() => policies.get("edge")).toThrow(expect.objectContaining({ status: 404 }));
  });

  it("patches with an array of operations on dotted paths", () => {
    const dir = writeSandbox({ profiles: { ds_crm: [], ds_loyalty: [] }, policies: [DEFAULT] });
    const p = store(dir).patch("timestampOrdered-none-mp", [
      { op: "add", path: "/name", value: "Renamed" },
      { op: "add", path: "/identityGraph.type", value: "pdg" },
    ]);
    expect(p).toMatchObject({ name: "Renamed", identityGraph: { type: "pdg" }, version: 2 });
    expect(() => store(dir).patch("timestampOrdered-none-mp", [{ op: "remove", path: "/name" }])).toThrow(MergeError);
    expect(() => store(dir).patch("timestampOrdered-none-mp", { op: "add", path: "/identityGraph.type", value: "graph" })).toThrow(/identityGraph.type must be "none" or "pdg"/);
  });

  it("lists by name with paging and a next link", () => {
    const dir = writeSandbox({ profiles: { ds_crm: [] }, policies: [DEFAULT] });
    const policies = store(dir);
    policies.create({ ...PDG_BODY, name: "A", default: false });
    policies.create({ ...PDG_BODY, name: "B", default: false });
    const page = policies.list({ limit: 2 });
    expect(page.children.map((p) => p.name)).toEqual(["A", "B"]);
    expect(page._page).toEqual({ totalCount: 3, pageSize: 2 });
    expect(page._links.next.href).toBe("@/mergePolicies?start=2&orderBy=&limit=2");
    expect(policies.list({ start: 2, limit: 2 })._links.next.href).toBe("");
  });

  it("validates a created policy: dataset precedence needs known datasets", () => {
    const dir = writeSandbox({ profiles: { ds_crm: [] }, policies: [DEFAULT] });
    expect(() => store(dir).create({ ...PDG_BODY, attributeMerge: { type: "dataSetPrecedence", order: ["ds_nope"] } })).toThrow(/unknown dataset id "ds_nope"/);
    expect(() => store(dir).create({ name: "x" })).toThrow(expect.objectContaining({ location: { jsonPath: "$.identityGraph" } }));
  });
});
