import { describe, expect, it } from "vitest";
import { array, describeType, IDENTITY_MAP_TYPE, object, scalar } from "../xdm/xdm-type.js";
import { projectionOf, projectRow, projectType } from "./projection.js";

const type = object([
  ["identityMap", IDENTITY_MAP_TYPE],
  ["person", object([["name", object([["firstName", scalar("string")], ["lastName", scalar("string")]])], ["gender", scalar("string")]])],
  ["productListItems", array(object([["SKU", scalar("string")], ["quantity", scalar("int")]]))],
  ["loyalty", object([["tier", scalar("string")]])],
]);

const row = {
  identityMap: { CRMID: [{ id: "c1", primary: true }], ECID: [{ id: "e1" }] },
  person: { name: { firstName: "Jane", lastName: "Doe" }, gender: "female" },
  productListItems: [{ SKU: "a", quantity: 1 }, { SKU: "b", quantity: 2 }],
};

describe("field projection", () => {
  it("keeps the named paths and their subtrees in schema order", () => {
    const p = projectionOf(["person.name.firstName", "identityMap", "productListItems.SKU"]);
    const { type: t, unknown } = projectType(type, p);
    expect(unknown).toEqual([]);
    expect([...t.fields.keys()]).toEqual(["identityMap", "person", "productListItems"]);
    expect(describeType(t.fields.get("productListItems")!)).toBe("array<object>");
    expect(projectRow(row, p)).toEqual({
      identityMap: row.identityMap,
      person: { name: { firstName: "Jane" } },
      productListItems: [{ SKU: "a" }, { SKU: "b" }],
    });
  });

  it("lets a shorter path win over a longer one below it", () => {
    const p = projectionOf(["person.name", "person.name.firstName"]);
    expect(projectRow(row, p)).toEqual({ person: { name: { firstName: "Jane", lastName: "Doe" } } });
  });

  it("selects map keys when a path goes through a map", () => {
    expect(projectRow(row, projectionOf(["identityMap.ECID"]))).toEqual({ identityMap: { ECID: [{ id: "e1" }] } });
  });

  it("reports paths that name nothing in the schema", () => {
    const { unknown } = projectType(type, projectionOf(["identities.id", "person.nickname", "loyalty.tier.level"]));
    expect(unknown).toEqual(["identities", "loyalty.tier.level", "person.nickname"]);
  });

  it("drops objects left empty and never modifies the input", () => {
    const before = JSON.stringify(row);
    expect(projectRow(row, projectionOf(["loyalty.tier"]))).toEqual({});
    expect(JSON.stringify(row)).toBe(before);
  });
});
