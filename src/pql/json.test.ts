import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TEST_SCHEMA } from "../../test/pql/fixtures.js";
import {
  astToPqlJson,
  checkSegment,
  compileSegmentDefinitionExpression,
  formatPql,
  parsePql,
  pqlJsonToAst,
  PqlError,
  type PqlExpr,
} from "./index.js";

function shape(ast: PqlExpr): unknown {
  return JSON.parse(JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v)));
}

function jsonError(value: string): PqlError {
  try {
    pqlJsonToAst(value, "seg.json");
  } catch (e) {
    if (e instanceof PqlError) return e;
    throw e;
  }
  throw new Error(`expected a PqlError for ${value}`);
}

const ROUNDTRIP = fileURLToPath(new URL("../../grammar/roundtrip.txt", import.meta.url));
const lines = readFileSync(ROUNDTRIP, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "");

/**
 * The pql/json examples, copied from the project spec pql-json.md §5 (every ```json block there that holds a
 * node tree, minified, in order) into test/pql/pql-json-examples.json; the spec is not part of the repo.
 */
const EXAMPLES = fileURLToPath(new URL("../../test/pql/pql-json-examples.json", import.meta.url));
const specExamples = (JSON.parse(readFileSync(EXAMPLES, "utf8")) as { examples: Array<{ value: string }> }).examples.map((e) => e.value);

describe("pql/json: text → JSON → text round-trips every expression of grammar/roundtrip.txt", () => {
  it.each(lines)("%s", (line) => {
    const ast = parsePql(line);
    const json = astToPqlJson(ast);
    const back = pqlJsonToAst(json);
    expect(formatPql(back)).toBe(line);
    expect(shape(back)).toEqual(shape(ast));
    expect(astToPqlJson(back)).toBe(json);
  });
});

describe("pql/json: the published examples (pql-json.md §5)", () => {
  it("has all eight examples", () => {
    expect(specExamples.length).toBe(8);
  });

  it("emits exactly the conversion endpoint's tree for workAddress.country = \"US\" (5.1)", () => {
    expect(astToPqlJson(parsePql('workAddress.country = "US"'))).toBe(specExamples[0]);
  });

  it("emits exactly the OpenAPI tree for a = b (5.2)", () => {
    expect(astToPqlJson(parsePql("a = b"))).toBe(specExamples[1]);
  });

  it.each([
    [2, 'person.gender in ["female"]'],
    [3, 'person.firstName = "Andres" and person.lastName = "Monroy" and person.birthDay = 6'],
    [4, 'person.firstName = "Andres" and (person.lastName = "Monroy" or person.birthDay = 6)'],
  ])("reads the historical variants of example %i as %s, literal first where the JSON has it so", (index, text) => {
    const ast = pqlJsonToAst(specExamples[index] as string);
    // The kirby examples put the literal first; params keep their order, so compare modulo that.
    const normal = formatPql(ast).replace(/"(Andres|Monroy)" = (person\.\w+)/g, '$2 = "$1"').replace(/6 = (person\.birthDay)/, "$1 = 6");
    expect(normal).toBe(text);
    // And back: text → JSON → text is stable.
    expect(formatPql(pqlJsonToAst(astToPqlJson(ast)))).toBe(formatPql(ast));
  });

  it("rejects the obsolete 2018 set node (5.6) with the JSON path", () => {
    const e = jsonError(specExamples[5] as string);
    expect(`${e.code} ${e.message}`).toBe("PQL-J001 the obsolete 2018 'set' node is not supported; use select or quantification (at $)");
  });

  it.each([6, 7])("rejects the offer-filter dialect of example %i (modelInstances)", (index) => {
    const e = jsonError(specExamples[index] as string);
    expect(e.code).toBe("PQL-S009");
    expect(e.message).toMatch(/^function 'modelInstances' belongs to the offer-filter dialect, which is not supported \(at \$\./);
  });
});

describe("pql/json input variants", () => {
  it.each<[string, string, string]>([
    ["the XDMObject profile root", '{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"literal","literalType":"XDMObject","value":"profile"}}', "a"],
    ["the varRef _ profile root", '{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"varRef","varName":"_"}}', "a"],
    ["an integer given as a string", '{"nodeType":"fnApply","fnName":">","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}},{"nodeType":"literal","literalType":"integer","value":"6"}]}', "a > 6"],
    ["= with a case flag as equals", '{"nodeType":"fnApply","fnName":"=","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}},{"nodeType":"literal","literalType":"String","value":"x"},{"nodeType":"literal","literalType":"Boolean","value":false}]}', 'a.equals("x", false)'],
    ["isNull as a function", '{"nodeType":"fnApply","fnName":"isNull","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}}]}', "a.isNull()"],
    ["quantifier none", '{"nodeType":"quantification","quantifier":"none","variables":[{"nodeType":"varDecl","varName":"X","from":{"nodeType":"fieldLookup","fieldName":"xEvent","object":{"nodeType":"parameterReference","position":1}},"where":{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"varRef","varName":"X"}}}]}', "not (exists X from xEvent where X.a)"],
    ["quantifier one", '{"nodeType":"quantification","quantifier":"one","variables":[{"nodeType":"varDecl","varName":"X","from":{"nodeType":"fieldLookup","fieldName":"xEvent","object":{"nodeType":"parameterReference","position":1}}}]}', "(select X from xEvent).count() = 1"],
    ["a varDecl with the 2018 range", '{"nodeType":"select","variables":[{"nodeType":"varDecl","varName":"X","range":{"nodeType":"fieldLookup","fieldName":"xEvent","object":{"nodeType":"parameterReference","position":1}}}]}', "select X from xEvent"],
    ["a filter as an applied fnCreate (kirby JQ3)", '{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"X1"}],"body":{"nodeType":"fnApply","fnName":"=","params":[{"literalType":"string","nodeType":"literal","value":"1"},{"nodeType":"fieldLookup","fieldName":"model","object":{"nodeType":"fieldLookup","fieldName":"device","object":{"nodeType":"varRef","varName":"X1"}}}]}},"params":[{"nodeType":"fieldLookup","fieldName":"xEvent","object":{"nodeType":"parameterReference","position":1}}]}', 'xEvent["1" = device.model]'],
    ["an element used on its own as this (kirby JQ3 names the element by its fnCreate parameter)", '{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"X"}],"body":{"nodeType":"varRef","varName":"X"}},"params":[{"nodeType":"literal","literalType":"List","value":[1]}]}', "[1][this]"],
    ["varRef this as the current element", '{"nodeType":"fnApply","fnName":"map","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}},{"nodeType":"fnCreate","params":[{"varName":"1"}],"body":{"nodeType":"fieldLookup","fieldName":"b","object":{"nodeType":"varRef","varName":"this"}}}]}', "a.map(this.b)"],
    ["the profile inside a filter as an up reference", '{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"X1"}],"body":{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}}},"params":[{"nodeType":"fieldLookup","fieldName":"xEvent","object":{"nodeType":"parameterReference","position":1}}]}', "xEvent[^.a]"],
  ])("%s", (_name, json, text) => {
    expect(formatPql(pqlJsonToAst(json))).toBe(text);
  });

  it.each<[string, string, string]>([
    ["not JSON", "{", "PQL-J001"],
    ["an unknown node type", '{"nodeType":"wat"}', "PQL-J001"],
    ["an unknown function", '{"nodeType":"fnApply","fnName":"frobnicate","params":[]}', "PQL-J001"],
    ["a wrong param count", '{"nodeType":"fnApply","fnName":"=","params":[]}', "PQL-J001"],
    ["a bad literal", '{"nodeType":"literal","literalType":"Integer","value":"x"}', "PQL-J001"],
    ["an enclosing element used on its own", '{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"X"}],"body":{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"Y"}],"body":{"nodeType":"varRef","varName":"X"}},"params":[{"nodeType":"literal","literalType":"List","value":[2]}]}},"params":[{"nodeType":"literal","literalType":"List","value":[1]}]}', "PQL-J001"],
    ["an array instead of a node", "[1]", "PQL-J001"],
  ])("rejects %s", (_name, json, code) => {
    const e = jsonError(json);
    expect(e.code).toBe(code);
    expect(e.location.file).toBe("seg.json");
  });
});

describe("pql/json: this (pql.md §9.3)", () => {
  it.each<[string, string]>([
    ["favoriteColors[this != \"red\"]", '{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"1"}],"body":{"nodeType":"fnApply","fnName":"!=","params":[{"nodeType":"varRef","varName":"this"},{"nodeType":"literal","literalType":"String","value":"red"}]}},"params":[{"nodeType":"fieldLookup","fieldName":"favoriteColors","object":{"nodeType":"parameterReference","position":1}}]}'],
    ["orders.map(this.id)", '{"nodeType":"fnApply","fnName":"map","params":[{"nodeType":"fieldLookup","fieldName":"orders","object":{"nodeType":"parameterReference","position":1}},{"nodeType":"fnCreate","params":[{"varName":"1"}],"body":{"nodeType":"fieldLookup","fieldName":"id","object":{"nodeType":"varRef","varName":"this"}}}]}'],
    ["this.a", '{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"varRef","varName":"this"}}'],
  ])("%s is varRef this, an implicit name like kirby's varRef _ for the profile", (text, json) => {
    expect(astToPqlJson(parsePql(text))).toBe(json);
    expect(formatPql(pqlJsonToAst(json))).toBe(text);
  });

  it("reads a variable that pql/json itself names this as that variable", () => {
    const json = '{"nodeType":"fnApply","fnName":"map","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}},{"nodeType":"fnCreate","params":[{"varName":"this"}],"body":{"nodeType":"varRef","varName":"this"}}]}';
    const ast = pqlJsonToAst(json);
    expect(ast.nodeType === "memberCall" && shape(ast.args[0] as PqlExpr)).toEqual({ nodeType: "lambda", params: ["this"], body: { nodeType: "varRef", varName: "this" } });
  });

  it("keeps this.a and a apart, though they evaluate alike", () => {
    expect(astToPqlJson(parsePql("orders.map(this.id)"))).not.toBe(astToPqlJson(parsePql("orders.map(id)")));
  });

  it("checks a misplaced this from pql/json in its pql/text form", () => {
    const json = '{"nodeType":"fieldLookup","fieldName":"person","object":{"nodeType":"varRef","varName":"this"}}';
    const { errors } = checkSegment({ format: "pql/json", value: json }, TEST_SCHEMA, "seg.json");
    expect(errors.map((e) => `${e.code} ${e.location.line}:${e.location.column}`)).toEqual(["PQL-T009 1:1"]);
    expect(errors[0]?.detail).toBe(["  > 1 | this.person", "      | ^^^^"].join("\n"));
  });
});

describe("segment definitions in either format", () => {
  const profile = { homeAddress: { countryCode: "US" }, person: { age: 40 } };
  it("compiles pql/text and pql/json to the same predicate", () => {
    const text = 'homeAddress.countryCode = "US" and person.age > 30';
    const fromText = compileSegmentDefinitionExpression({ format: "pql/text", value: text }, TEST_SCHEMA);
    const fromJson = compileSegmentDefinitionExpression({ format: "pql/json", value: astToPqlJson(parsePql(text)) }, TEST_SCHEMA);
    const ctx = { profile, events: [], now: 0 };
    expect(fromText(ctx)).toBe(true);
    expect(fromJson(ctx)).toBe(true);
  });

  it("checkSegment reports a syntax error alone, with no eligibility", () => {
    const { errors, eligibility } = checkSegment("a = ", TEST_SCHEMA, "seg.pql");
    expect(errors.map((e) => e.code)).toEqual(["PQL-S002"]);
    expect(eligibility).toBeUndefined();
  });

  it("checkSegment reports every check error of pql/text at once, with the eligibility", () => {
    const { errors, eligibility } = checkSegment({ format: "pql/text", value: 'persn.age > 1 and homeAddress.city = 3 and xEvent[eventTyp = "x"]' }, TEST_SCHEMA);
    expect(errors.map((e) => e.code)).toEqual(["PQL-T001", "PQL-T004", "PQL-T003"]);
    expect(eligibility).toEqual({
      batch: true,
      streaming: false,
      edge: false,
      reasons: ["event history is read outside chain(...) (an xEvent filter, path, select, quantifier or aggregate): batch only"],
    });
  });

  it("checkSegment reports an unbound pql/json variable as PQL-T008 (not as a profile field)", () => {
    const json = '{"nodeType":"fnApply","fnName":"=","params":[{"nodeType":"fieldLookup","fieldName":"a","object":{"nodeType":"varRef","varName":"Y"}},{"nodeType":"literal","literalType":"Integer","value":1}]}';
    expect(checkSegment({ format: "pql/json", value: json }, TEST_SCHEMA).errors.map((e) => `${e.code} ${e.message}`)).toEqual(["PQL-T008 unknown variable 'Y'"]);
  });

  it("checkSegment reports malformed pql/json as PQL-J001", () => {
    expect(checkSegment({ format: "pql/json", value: "{" }, TEST_SCHEMA).errors.map((e) => e.code)).toEqual(["PQL-J001"]);
  });

  it("reports check errors of a pql/json definition in its pql/text form", () => {
    const json = astToPqlJson(parsePql('persn.age > "30"'));
    const { errors, eligibility } = checkSegment({ format: "pql/json", value: json }, TEST_SCHEMA, "seg.json");
    expect(errors.map((e) => e.format())).toEqual([
      ["PQL-T001 seg.json:1:1: unknown profile field 'persn'; did you mean 'person'?", '  > 1 | persn.age > "30"', "      | ^^^^^"].join("\n"),
    ]);
    expect(eligibility?.streaming).toBe(true);
  });
});
