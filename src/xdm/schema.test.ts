import { describe, expect, it } from "vitest";
import { schemaFromJson, SchemaError, unionOf } from "./schema.js";
import { describeType, typeAtPath } from "./xdm-type.js";

const PROFILE = "https://ns.adobe.com/xdm/context/profile";

const doc = (properties: object, extra: object = {}) => ({ $id: "https://example.com/s", title: "S", "meta:class": PROFILE, type: "object", properties, ...extra });

describe("XDM JSON Schema → type tree", () => {
  it("maps every supported node kind", () => {
    const s = schemaFromJson(
      doc({
        name: { type: "string" },
        born: { type: "string", format: "date" },
        seen: { type: "string", format: "date-time" },
        age: { type: "integer", "meta:xdmType": "int" },
        points: { type: "integer" },
        score: { type: "number" },
        active: { type: "boolean" },
        tags: { type: "array", items: { type: "string" } },
        identityMap: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "array", items: { type: "object", properties: { id: { type: "string" } } } } },
        address: { $ref: "#/definitions/address" },
      }, { definitions: { address: { type: "object", properties: { city: { type: "string" } } } } }),
      "s.json",
    );
    const kinds = [...s.type.fields].map(([n, t]) => `${n}:${describeType(t)}`);
    expect(kinds).toEqual([
      "name:string", "born:date", "seen:date-time", "age:int", "points:long", "score:double", "active:boolean",
      "tags:array<string>", "identityMap:map<string, array<object>>", "address:object",
    ]);
    expect(typeAtPath(s.type, ["address", "city"])?.kind).toBe("string");
  });

  it("merges allOf parts", () => {
    const s = schemaFromJson(doc({}, { allOf: [{ type: "object", properties: { a: { type: "string" } } }, { type: "object", properties: { b: { type: "number" } } }] }), "s.json");
    expect([...s.type.fields.keys()]).toEqual(["a", "b"]);
  });

  it.each([
    [{ "meta:class": PROFILE, type: "object", properties: {} }, "$.$id", "no \"$id\""],
    [doc({ a: { type: "strin" } }), "$.properties.a.type", "unsupported schema type \"strin\""],
    [doc({ a: { $ref: "#/definitions/missing" } }), "$.properties.a.$ref", "unresolvable $ref"],
    [doc({ a: { type: "array" } }), "$.properties.a.items", "expected a schema object"],
    [doc({ a: { type: JSON.parse(`${'{"t":'.repeat(100_000)}1${"}".repeat(100_000)}`) as unknown } }), "$.properties.a.type", 'unsupported schema type {"t":{"t":{"t":{…}}}}'],
  ])("reports %# at its JSON path", (input, path, message) => {
    try {
      schemaFromJson(input, "bad.schema.json");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaError);
      expect((e as SchemaError).location).toEqual({ file: "bad.schema.json", jsonPath: path });
      expect((e as SchemaError).message).toContain(message);
    }
  });

  it("unions schemas of a class and rejects conflicting types with the field path", () => {
    const a = schemaFromJson(doc({ person: { type: "object", properties: { name: { type: "string" } } }, n: { type: "integer", "meta:xdmType": "int" } }), "a");
    const b = schemaFromJson(doc({ person: { type: "object", properties: { age: { type: "integer" } } }, n: { type: "integer" } }), "b");
    const u = unionOf([a.type, b.type]);
    const person = typeAtPath(u, ["person"]);
    expect(person?.kind === "object" && [...person.fields.keys()]).toEqual(["name", "age"]);
    expect(typeAtPath(u, ["n"])?.kind).toBe("long");
    const c = schemaFromJson(doc({ person: { type: "string" } }), "c");
    expect(() => unionOf([a.type, c.type])).toThrow(/field person has conflicting types across schemas: object and string/);
  });

  it("carries each scalar's constraints into its type, short and byte as ranges", () => {
    const s = schemaFromJson(
      doc({
        gender: { type: "string", enum: ["male", "female"], "meta:enum": { male: "Male" } },
        floor: { type: "integer", "meta:xdmType": "short", minimum: -10 },
        age: { type: "integer", "meta:xdmType": "byte", minimum: 0, maximum: 1000 },
        score: { type: "number", maximum: 5 },
        code: { type: "string", minLength: 2, maxLength: 3, pattern: "^[A-Z]", format: "hostname" },
        email: { type: "string", format: "email", minimum: 3 },
        plain: { type: "string" },
      }),
      "s.json",
    );
    const constraints = Object.fromEntries([...s.type.fields].map(([n, t]) => [n, "constraints" in t ? t.constraints : undefined]));
    expect(constraints).toEqual({
      gender: { enum: ["male", "female"] },
      floor: { minimum: -10, maximum: 32767 },
      age: { minimum: 0, maximum: 127 },
      score: { maximum: 5 },
      code: { minLength: 2, maxLength: 3, pattern: "^[A-Z]" },
      email: { format: "email" },
      plain: undefined,
    });
  });

  it.each([
    [{ type: "string", enum: [] }, "$.properties.a.enum", "XDM-S001", "\"enum\" must be a non-empty list"],
    [{ type: "string", enum: [{}] }, "$.properties.a.enum", "XDM-S001", "\"enum\" must be a non-empty list"],
    [{ type: "integer", minimum: "1" }, "$.properties.a.minimum", "XDM-S001", "\"minimum\" must be a number"],
    [{ type: "string", maxLength: -1 }, "$.properties.a.maxLength", "XDM-S001", "\"maxLength\" must be a whole number, 0 or more"],
    [{ type: "string", pattern: 3 }, "$.properties.a.pattern", "XDM-S001", "\"pattern\" must be a string"],
    [{ type: "string", pattern: "(a)\\1" }, "$.properties.a.pattern", "XDM-S003", "cannot be checked: backreferences"],
    [{ type: "string", pattern: "(" }, "$.properties.a.pattern", "XDM-S003", "cannot be checked"],
  ])("refuses the constraint %j at its JSON path", (node, path, code, message) => {
    try {
      schemaFromJson(doc({ a: node }), "bad.schema.json");
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code, location: { file: "bad.schema.json", jsonPath: path } });
      expect((e as SchemaError).message).toContain(message);
    }
  });

  it("unions constraints into ones that accept what either schema accepts", () => {
    const a = schemaFromJson(doc({ g: { type: "string", enum: ["x"], maxLength: 3, pattern: "^a" }, n: { type: "integer", "meta:xdmType": "byte" }, f: { type: "string", format: "uri" } }), "a");
    const b = schemaFromJson(doc({ g: { type: "string", enum: ["y", "x"], maxLength: 5, pattern: "^b" }, n: { type: "integer", minimum: 0 }, f: { type: "string" } }), "b");
    const u = unionOf([a.type, b.type]);
    expect(typeAtPath(u, ["g"])).toEqual({ kind: "string", constraints: { enum: ["x", "y"], maxLength: 5 } });
    expect(typeAtPath(u, ["n"])).toEqual({ kind: "long", constraints: { minimum: -128 } });
    expect(typeAtPath(u, ["f"])).toEqual({ kind: "string" });
  });
});
