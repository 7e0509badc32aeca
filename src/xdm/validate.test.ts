import { describe, expect, it } from "vitest";
import { schemaFromJson } from "./schema.js";
import { MAX_DATA_DEPTH } from "./limits.js";
import { preview } from "./preview.js";
import { recordIssues, tooDeepAt, validateRecord } from "./validate.js";
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

describe("the schema's constraints, checked as each value is read", () => {
  const constrained = schemaFromJson(
    {
      $id: "https://example.com/c",
      "meta:class": "https://ns.adobe.com/xdm/context/profile",
      type: "object",
      properties: {
        gender: { type: "string", enum: ["male", "female", "not_specified", "non_specific"] },
        birthYear: { type: "integer", "meta:xdmType": "int" },
        visits: { type: "integer" },
        floor: { type: "integer", "meta:xdmType": "short" },
        age: { type: "integer", "meta:xdmType": "byte", minimum: 0 },
        rating: { type: "number", minimum: 0.5, maximum: 5 },
        code: { type: "string", minLength: 2, maxLength: 3, pattern: "^[A-Z]\\d+$" },
        email: { type: "string", format: "email" },
        site: { type: "string", format: "uri" },
        link: { type: "string", format: "uri-reference" },
        tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
      },
    },
    "c.schema.json",
  ).type;

  it("accepts values inside every constraint", () => {
    const record = {
      gender: "female", birthYear: -2147483648, visits: Number.MAX_SAFE_INTEGER, floor: 32767, age: 127, rating: 5, code: "A12",
      email: "first.last+tag@mail.example.com", site: "https://example.com/a%20b?q=1#f", link: "../a/b?c", tags: ["a", "b"],
    };
    expect(validateRecord(record, constrained)).toBeUndefined();
    expect(validateRecord({ code: "😀😀" }, schemaFromJson({ $id: "x", "meta:class": "c", properties: { code: { type: "string", maxLength: 2 } } }, "x").type)).toBeUndefined();
  });

  it.each([
    [{ gender: "robot" }, "$.gender", '"robot" is not one of the values the schema allows (enum): "male", "female", "not_specified", "non_specific"'],
    [{ birthYear: 3000000000 }, "$.birthYear", "3000000000 does not fit an int field (-2,147,483,648 to 2,147,483,647)"],
    [{ visits: 2 ** 53 }, "$.visits", "9007199254740992 does not fit a long field (-9,007,199,254,740,991 to 9,007,199,254,740,991)"],
    [{ floor: 32768 }, "$.floor", "32768 is above the schema's maximum 32767"],
    [{ age: -1 }, "$.age", "-1 is below the schema's minimum 0"],
    [{ age: 128 }, "$.age", "128 is above the schema's maximum 127"],
    [{ rating: 0.25 }, "$.rating", "0.25 is below the schema's minimum 0.5"],
    [{ code: "A" }, "$.code", "\"A\" is 1 characters long; the schema's minLength is 2"],
    [{ code: "A123" }, "$.code", "the schema's maxLength is 3"],
    [{ code: "a12" }, "$.code", "\"a12\" does not match the schema's pattern \"^[A-Z]\\\\d+$\""],
    [{ email: "not an email" }, "$.email", '"not an email" is not an email address (format "email")'],
    [{ email: "a@b@c" }, "$.email", "not an email address"],
    [{ email: `${"a".repeat(65)}@example.com` }, "$.email", "not an email address"],
    [{ site: "example.com/a" }, "$.site", "is not an absolute URI (RFC 3986)"],
    [{ site: "https://example.com/a b" }, "$.site", "is not an absolute URI"],
    [{ link: "a%zz" }, "$.link", "is not a URI reference"],
    [{ tags: ["a", "c"] }, "$.tags[1]", '"c" is not one of the values'],
  ])("rejects %j at its JSON path", (record, path, message) => {
    const issue = validateRecord(record, constrained);
    expect(issue?.path).toBe(path);
    expect(issue?.message).toContain(message);
    expect(recordIssues(record, constrained)).toEqual([issue]);
  });

  it("checks a huge value in linear time and shows only its start", () => {
    const huge = `${"a".repeat(5_000_000)}!`;
    for (const field of ["email", "site", "code"]) {
      const issue = validateRecord({ [field]: huge }, constrained);
      expect(issue?.path).toBe(`$.${field}`);
      expect(issue!.message.length).toBeLessThan(200);
    }
  });
});

describe("data nested deeper than MAX_DATA_DEPTH", () => {
  const deep = (levels: number): Record<string, unknown> => {
    let v: Record<string, unknown> = { a: 1 };
    for (let i = 1; i < levels; i++) v = i % 2 === 0 ? { a: v } : ([v] as unknown as Record<string, unknown>);
    return v;
  };

  it.each([
    ["a field of the wrong type", (d: unknown) => ({ person: { name: { firstName: d } } }), "$.person"],
    ["an unknown field", (d: unknown) => ({ unknown: d }), "$.unknown"],
  ])("is one issue naming its top-level field when the value is %s", (_, make, path) => {
    const record = make(deep(100_000));
    const issue = validateRecord(record, type);
    expect(issue).toEqual({ path, message: `the value nests objects and arrays deeper than ${MAX_DATA_DEPTH.toLocaleString("en-US")} levels (the limit on data)` });
    expect(recordIssues(record, type)).toEqual([issue]);
  });

  it("measures depth with the record as level one", () => {
    expect(tooDeepAt({ a: deep(MAX_DATA_DEPTH - 1) })).toBeUndefined();
    expect(tooDeepAt({ a: deep(MAX_DATA_DEPTH) })).toBe("$.a");
  });

  it("shows a value too deep or too large to print in a few characters", () => {
    expect(preview(deep(100_000))).toBe('[{"a":[{…}]}]');
    expect(preview({ a: 1, b: "x".repeat(1000), c: [1, 2, 3, 4, 5, 6], d: null, e: true })).toMatch(/^\{"a":1,"b":"x{48}…$/);
    expect(preview([1, 2, 3, 4, 5, 6])).toBe("[1,2,3,4,…]");
    expect(issueFor({ person: { age: { a: deep(100) } } })).toBe('expected an integer but found object {"a":[{"a":[…]}]}');
  });

  const issueFor = (record: Record<string, unknown>): string | undefined => validateRecord(record, type)?.message;
});
