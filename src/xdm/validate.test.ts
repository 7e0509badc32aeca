import { describe, expect, it } from "vitest";
import { recordIssues, validateRecord } from "./validate.js";
import { array, IDENTITY_MAP_TYPE, object, scalar } from "./xdm-type.js";

const type = object([
  ["identityMap", IDENTITY_MAP_TYPE],
  ["person", object([["name", object([["firstName", scalar("string")]])], ["birthDate", scalar("date")], ["age", scalar("int")]])],
  ["seen", scalar("date-time")],
  ["tags", array(scalar("string"))],
  ["score", scalar("double")],
]);

describe("record validation against the dataset schema", () => {
  it("accepts a conforming record", () => {
    expect(
      validateRecord({ identityMap: { CRMID: [{ id: "c1", primary: true }] }, person: { name: { firstName: "Zoë" }, birthDate: "1980-02-29", age: 44 }, seen: "2024-05-01T10:00:00Z", tags: ["a"], score: 1 }, type),
    ).toBeUndefined();
  });

  it.each([
    [{ person: { name: { first: "x" } } }, "$.person.name.first", "not in the schema"],
    [{ person: { age: "44" } }, "$.person.age", "expected an integer but found string"],
    [{ person: { age: 4.5 } }, "$.person.age", "expected an integer"],
    [{ person: { birthDate: "1981-02-29" } }, "$.person.birthDate", "expected a date"],
    [{ seen: "2018-02-30T00:00:00Z" }, "$.seen", "RFC 3339"],
    [{ tags: ["a", 1] }, "$.tags[1]", "expected a string"],
    [{ identityMap: { CRMID: [{ id: 7 }] } }, "$.identityMap[\"CRMID\"][0].id", "expected a string"],
    [{ score: null }, "$.score", "null values are not stored"],
  ])("rejects %j at its JSON path", (record, path, message) => {
    const issue = validateRecord(record, type);
    expect(issue?.path).toBe(path);
    expect(issue?.message).toContain(message);
  });

  it("lists every problem of a record, the first being the one validateRecord gives", () => {
    const record = {
      person: { name: { first: "x", firstName: 3 }, age: "44", birthDate: "1980-02-29" },
      seen: "yesterday",
      tags: ["a", 1, "b", false],
      identityMap: { CRMID: [{ id: 7 }, { id: "ok" }], ECID: "e" },
      score: null,
      extra: {},
    };
    const issues = recordIssues(record, type);
    expect(issues.map((i) => i.path)).toEqual([
      "$.person.name.first",
      "$.person.name.firstName",
      "$.person.age",
      "$.seen",
      "$.tags[1]",
      "$.tags[3]",
      '$.identityMap["CRMID"][0].id',
      '$.identityMap["ECID"]',
      "$.score",
      "$.extra",
    ]);
    expect(issues[0]).toEqual(validateRecord(record, type));
    expect(issues[7]!.message).toContain("expected an array");
  });

  it("lists nothing for a conforming record", () => {
    expect(recordIssues({ person: { age: 3 }, tags: [] }, type)).toEqual([]);
  });
});
