/**
 * Segment definitions: the platform's JSON validated, its PQL type-checked against the sandbox's union
 * schemas and compiled once into a predicate.
 */
import type { JsonDocument } from "../io/sandbox-files.js";
import { checkSegment, compileSegmentDefinitionExpression, PqlError, type CompiledPql, type PqlSchema, type SegmentCheck } from "../pql/index.js";
import { PROFILE_SCHEMA_NAME, type SegmentDefinition } from "../xdm/types.js";
import { SegmentError } from "./segment-error.js";

export interface CompiledSegment {
  readonly definition: SegmentDefinition;
  readonly file: string;
  readonly predicate: CompiledPql;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates the JSON shape of a segment definition. */
export function parseSegmentDefinition(doc: JsonDocument): SegmentDefinition {
  const v = doc.value;
  const fail = (jsonPath: string, message: string): never => {
    throw new SegmentError("SEG-D001", message, { file: doc.file, jsonPath });
  };
  if (!isObject(v)) return fail("$", "a segment definition must be a JSON object");
  if (typeof v["id"] !== "string" || v["id"] === "") fail("$.id", "a segment definition needs an \"id\"");
  const expr = v["expression"];
  if (!isObject(expr)) return fail("$.expression", "a segment definition needs an \"expression\": {type, format, value}");
  if (expr["type"] !== "PQL") fail("$.expression.type", `expression.type must be "PQL", not ${JSON.stringify(expr["type"])}`);
  if (expr["format"] !== "pql/text" && expr["format"] !== "pql/json")
    fail("$.expression.format", `expression.format must be "pql/text" or "pql/json", not ${JSON.stringify(expr["format"])}`);
  if (typeof expr["value"] !== "string" || expr["value"].trim() === "") fail("$.expression.value", "expression.value must be a non-empty PQL string");
  if (v["mergePolicyId"] !== undefined && typeof v["mergePolicyId"] !== "string") fail("$.mergePolicyId", "mergePolicyId must be a string");
  const schemaName = isObject(v["schema"]) && typeof v["schema"]["name"] === "string" ? v["schema"]["name"] : PROFILE_SCHEMA_NAME;
  return {
    id: v["id"] as string,
    name: typeof v["name"] === "string" ? v["name"] : (v["id"] as string),
    ...(typeof v["description"] === "string" ? { description: v["description"] } : {}),
    schema: { name: schemaName },
    expression: { type: "PQL", format: expr["format"] as "pql/text" | "pql/json", value: expr["value"] as string },
    ...(typeof v["mergePolicyId"] === "string" ? { mergePolicyId: v["mergePolicyId"] } : {}),
    version: typeof v["version"] === "number" ? v["version"] : 1,
    ...(isObject(v["evaluationInfo"]) ? { evaluationInfo: v["evaluationInfo"] } : {}),
  };
}

/** Parses, checks and compiles a segment (pql/text or pql/json); PQL errors keep their position and name the file. */
export function compileSegment(doc: JsonDocument, schema: PqlSchema): CompiledSegment {
  const definition = parseSegmentDefinition(doc);
  try {
    return { definition, file: doc.file, predicate: compileSegmentDefinitionExpression(definition.expression, schema, doc.file) };
  } catch (e) {
    throw e instanceof PqlError ? e.inJsonValue("$.expression.value") : e;
  }
}

/** Every problem of a segment definition at once, with its streaming/edge eligibility (`profile-lab check`). */
export function checkSegmentDefinition(doc: JsonDocument, schema: PqlSchema): { definition: SegmentDefinition; check: SegmentCheck } {
  const definition = parseSegmentDefinition(doc);
  const check = checkSegment(definition.expression, schema, doc.file);
  for (const e of check.errors) e.inJsonValue("$.expression.value");
  return { definition, check };
}
