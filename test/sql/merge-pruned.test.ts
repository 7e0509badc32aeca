/**
 * The pruned merge (src/sql/merge/field-use.ts): what an expression reads, and that reading only that changes no
 * answer.
 * - Every expression of the conformance corpus (test/pql/cases/) and of grammar/roundtrip.txt, as a predicate and
 *   as a value: compiled against the schema pruned to what it reads, over a row holding only those fields (no
 *   events when it reads none), it gives the value it gives over the full row.
 * - The merge given a field use, then all segments of a policy in one pass compiled against the pruned schema,
 *   qualify the reference's profiles (closure compiler over the JS merge) on sample-data and generated sandboxes.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSandboxData } from "../../src/engine/load-data.js";
import { openSandbox, type Sandbox } from "../../src/engine/sandbox.js";
import { policyOf } from "../../src/engine/segment-shard.js";
import { generateSandbox } from "../../src/generate/index.js";
import { parsePql, pqlJsonToAst, type PqlSchema, type SegmentDefinitionExpression } from "../../src/pql/index.js";
import type { PqlExpr } from "../../src/pql/ast.js";
import { checkPqlStructure } from "../../src/pql/checker.js";
import { compilePqlPredicateToSql, compilePqlToSql, DUCKDB, fromDuckDbJson, profileRowSql, SqlCompileError } from "../../src/sql/index.js";
import { DuckDbSession } from "../../src/sql/merge/duckdb-session.js";
import { FieldUseBuilder, fieldUseOf, prunedSchema, type FieldUse, type UseTree } from "../../src/sql/merge/field-use.js";
import { evaluateSegmentPass } from "../../src/sql/merge/segment-pass.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { BOOLEAN } from "../../src/sql/types.js";
import { parseDateTime } from "../../src/xdm/time.js";
import type { Json, JsonObject, MergePolicy } from "../../src/xdm/types.js";
import { TEST_SCHEMA } from "../pql/fixtures.js";
import { normalise, schemaFor, type Input } from "./harness.js";
import { expectSamePrunedMerge, referenceMembers } from "./pruned-harness.js";

/** A use tree as plain JSON (true, or fields), for readable expectations. */
function plain(t: UseTree | undefined): unknown {
  if (t === undefined || t === true) return t ?? null;
  return Object.fromEntries([...t].map(([k, v]) => [k, plain(v)]));
}

function useOf(pql: string, position: "predicate" | "value" = "predicate"): { profile: unknown; event: unknown } {
  const u = new FieldUseBuilder(TEST_SCHEMA).addExpression(parsePql(pql), position).build();
  return { profile: plain(u.profile), event: plain(u.event) };
}

const IDM = { identityMap: true };

describe("what an expression reads", () => {
  it.each([
    ['homeAddress.countryCode = "US"', { ...IDM, homeAddress: { countryCode: true } }, null],
    ["person.name", { ...IDM, person: { name: {} } }, null],
    ['orders[price > 100].items.sku.contains("A")', { ...IDM, orders: { price: true, items: { sku: true } } }, null],
    ['xEvent[eventType = "commerce.purchases"].count() > 2', IDM, { eventType: true }],
    ["xEvent.count() > 2", IDM, {}],
    ['xEvent[eventType = "a" and ^.homeAddress.city = "Paris"].count() > 0', { ...IDM, homeAddress: { city: true } }, { eventType: true }],
    ['select e from xEvent where e.commerce.order.priceTotal > 5', IDM, { commerce: { order: { priceTotal: true } } }],
    ['chain(xEvent, timestamp, [A: WHAT(eventType = "a")])', IDM, { timestamp: true, eventType: true }],
    ['inSegment("s1") and loyalty.tier = "gold"', { ...IDM, loyalty: { tier: true } }, null],
    ["orders.map((o) => o.price).sum() > 10", { ...IDM, orders: { price: true } }, null],
    ["let a = homeAddress in a.city = workAddress.city", { ...IDM, homeAddress: { city: true }, workAddress: { city: true } }, null],
    ['homeAddress = workAddress', { ...IDM, homeAddress: true, workAddress: true }, null],
    ['segmentMembership.get("ups").get("seg1").status = "realized"', { ...IDM, segmentMembership: { status: true } }, null],
  ] as const)("%s", (pql, profile, event) => {
    expect(useOf(pql)).toEqual({ profile, event });
  });

  it("reads the events as a list only where a condition is not counted (event-counts.ts)", () => {
    const built = (...pqls: Array<readonly [string, boolean]>): FieldUse => {
      const b = new FieldUseBuilder(TEST_SCHEMA);
      for (const [pql, counting] of pqls) {
        b.addExpression(parsePql(pql), "predicate", counting);
      }
      return b.build();
    };
    const purchases = 'xEvent[eventType = "commerce.purchases"].count() > 2';
    const counted = built([purchases, true], ['select X from xEvent where X.device.type = "mobile"', true]);
    expect({ event: plain(counted.event), eventList: counted.eventList }).toEqual({ event: { eventType: true, device: { type: true } }, eventList: false });
    expect(built([purchases, false]).eventList).toBe(true);
    // One condition counted, another over the list (it reads the profile through ^).
    expect(built([purchases, true], ['xEvent[^.homeAddress.city = "Paris"]', true]).eventList).toBe(true);
    expect(built(['homeAddress.city = "Paris"', true]).eventList).toBe(false);
    expect(new FieldUseBuilder(TEST_SCHEMA).addPaths("event", ["eventType"]).build().eventList).toBe(true);
  });

  it("reads a value returned whole, and export paths as the export's projection does", () => {
    expect(useOf("person.name", "value").profile).toEqual({ ...IDM, person: { name: true } });
    const u = new FieldUseBuilder(TEST_SCHEMA).addPaths("profile", ["person.name.firstName", "identityMap.ECID.id"]).addPaths("event", ["commerce.order"]).build();
    expect({ profile: plain(u.profile), event: plain(u.event) }).toEqual({ profile: { person: { name: { firstName: true } }, identityMap: true }, event: { commerce: { order: true } } });
    expect(new FieldUseBuilder(TEST_SCHEMA).addPaths("event", undefined).build().event).toBe(true);
  });

  it.each([
    ["an export of all fields", { fields: undefined, eventList: undefined }, true, null],
    ["an export of some fields", { fields: ["person.age"], eventList: undefined }, { person: { age: true }, identityMap: true }, null],
    ["an export with an event list", { fields: ["person.age"], eventList: { fields: ["eventType"], from: undefined, to: undefined } }, { person: { age: true }, identityMap: true }, { eventType: true }],
    ["an export with all event fields", { fields: ["person.age"], eventList: { fields: undefined, from: undefined, to: undefined } }, { person: { age: true }, identityMap: true }, true],
  ] as const)("adds what %s writes", (_, plan, profile, event) => {
    const u = new FieldUseBuilder(TEST_SCHEMA).addExport(plan).build();
    expect({ profile: plain(u.profile), event: plain(u.event) }).toEqual({ profile, event });
  });

  it("prunes the schema to what is read, keeping one field of an object read only for presence", () => {
    const s = prunedSchema(TEST_SCHEMA, fieldUseOf([parsePql("person.name and xEvent.count() > 1")], TEST_SCHEMA));
    expect([...s.profile.fields.keys()].sort()).toEqual(["identityMap", "person"]);
    const person = s.profile.fields.get("person");
    expect(person?.kind === "object" && [...person.fields.keys()]).toEqual(["name"]);
    expect(s.event.fields.size).toBe(1);
  });
});

// ------------------------------------------------------------------ every expression, pruned vs full

interface Case {
  readonly key: string;
  readonly expr: string;
  readonly input: Input;
}

const CASES_DIR = fileURLToPath(new URL("../pql/cases/", import.meta.url));
const DEFAULT_NOW = "2018-08-28T10:00:00Z";

const corpusCases: Case[] = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((file) => {
    const data = JSON.parse(readFileSync(join(CASES_DIR, file), "utf8")) as { profile?: JsonObject; events?: JsonObject[]; now?: string; segments?: string[]; cases: Array<Input & { expr: string }> };
    return data.cases.map((c, i) => ({
      key: `${file}#${i}`,
      expr: c.expr,
      input: { profile: c.profile ?? data.profile ?? {}, events: c.events ?? data.events ?? [], now: c.now ?? data.now ?? DEFAULT_NOW, segments: c.segments ?? data.segments ?? [] },
    }));
  });

const corpusInput = corpusCases[0]!.input;
const roundtripCases: Case[] = readFileSync(fileURLToPath(new URL("../../grammar/roundtrip.txt", import.meta.url)), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "" && !l.startsWith("#"))
  .map((expr, i) => ({ key: `roundtrip#${i + 1}`, expr, input: corpusInput }));

let connection: DuckDBConnection;
let instance: DuckDBInstance;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { temp_directory: join(tmpdir(), "profile-lab-merge-pruned-duckdb") });
  connection = await instance.connect();
  for (const s of DUCKDB.prelude()) await connection.run(s);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

type Outcome = { readonly value: Json } | { readonly refused: string };

async function evaluate(ast: PqlExpr, expr: string, schema: PqlSchema, input: Input, events: readonly JsonObject[], predicate: boolean): Promise<Outcome> {
  const options = { schema, now: parseDateTime(input.now)!, dialect: DUCKDB, text: expr };
  let compiled: { sql: string; type: typeof BOOLEAN };
  try {
    compiled = predicate ? { sql: compilePqlPredicateToSql(ast, options), type: BOOLEAN } : compilePqlToSql(ast, options);
  } catch (e) {
    if (e instanceof SqlCompileError) return { refused: e.code };
    throw e;
  }
  const row = profileRowSql(schema, DUCKDB, input.profile, events, input.segments);
  const rows = (await connection.runAndReadAll(`SELECT ${compiled.sql} AS result FROM (${row}) AS profile`)).getRowObjectsJson();
  return { value: normalise(fromDuckDbJson(rows[0]?.["result"], compiled.type)) };
}

describe("an expression over the row pruned to what it reads gives its value over the full row", () => {
  it("covers the corpus and the round-trip file", () => {
    expect(corpusCases.length + roundtripCases.length).toBeGreaterThan(1000);
  });

  it.each([...corpusCases, ...roundtripCases].map((c) => ({ ...c, name: `${c.key} ${c.expr.replace(/\s+/g, " ")}` })))("$name", async ({ expr, input }) => {
    let ast: PqlExpr;
    try {
      ast = parsePql(expr, "case.pql");
    } catch {
      return; // the corpus's parse-error cases
    }
    if (checkPqlStructure(ast, expr).length > 0) return; // the corpus's error cases
    const schema = schemaFor(input.profile, input.events);
    for (const predicate of [true, false]) {
      const full = await evaluate(ast, expr, schema, input, input.events, predicate);
      if ("refused" in full) continue;
      const use = new FieldUseBuilder(schema).addExpression(ast, predicate ? "predicate" : "value").build();
      const pruned = await evaluate(ast, expr, prunedSchema(schema, use), input, use.event === undefined ? [] : input.events, predicate);
      expect(pruned, `${predicate ? "predicate" : "value"} over ${JSON.stringify({ profile: plain(use.profile), event: plain(use.event) })}`).toEqual(full);
    }
  });
});

// ------------------------------------------------------------------ the pruned merge, end to end

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-merge-pruned-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function astOf(e: SegmentDefinitionExpression): PqlExpr {
  return e.format === "pql/json" ? pqlJsonToAst(e.value) : parsePql(e.value);
}

/** Per policy: the segments' expressions, the use they make, and the reference's members. */
async function expectSameMembers(sandbox: Sandbox): Promise<number> {
  const now = parseDateTime(sandbox.manifest.referenceTime ?? DEFAULT_NOW)!;
  const schema: PqlSchema = { profile: sandbox.profileType, event: sandbox.eventType };
  const byPolicy = new Map<MergePolicy, (typeof sandbox.segments)[number][]>();
  for (const s of sandbox.segments) byPolicy.set(policyOf(sandbox, s), [...(byPolicy.get(policyOf(sandbox, s)) ?? []), s]);
  const data = await loadSandboxData(sandbox);
  const db = await DuckDBInstance.create(":memory:", { threads: "2", temp_directory: join(scratch, "duckdb-tmp") });
  const conn = await db.connect();
  try {
    const session = await DuckDbSession.open(conn);
    const merge = await SqlMerge.prepare(session, mergeSourcesOf(sandbox));
    let qualified = 0;
    for (const [i, [policy, segments]] of [...byPolicy].entries()) {
      const expected = referenceMembers(sandbox, data, policy, segments, now);
      const asts = segments.map((s) => astOf(s.definition.expression));
      const use: FieldUse = fieldUseOf(asts, schema);
      await merge.mergePolicy(policy, `pruned_${i}`, { use });
      const passSegments = segments.map((s) => ({ id: s.definition.id, expression: s.definition.expression, file: s.file }));
      const got = await evaluateSegmentPass(session, `pruned_${i}`, passSegments, { schema: prunedSchema(schema, use), now });
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
      qualified += [...got.values()].reduce((n, keys) => n + keys.length, 0);
    }
    return qualified;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe("the pruned merge and one segment pass qualify the reference's profiles", () => {
  it("on sample-data, whose merged values of the fields its segments read are the reference's", async () => {
    const sandbox = openSandbox("sample-data");
    expect(await expectSameMembers(sandbox)).toBeGreaterThan(100);
    expect(await expectSamePrunedMerge(sandbox, sandbox.segments.map((s) => astOf(s.definition.expression)))).toBeGreaterThan(1000);
  }, 300_000);

  it.each([
    [5, "jsonl"],
    [6, "parquet"],
    [7, "jsonl"],
  ] as const)("on a generated sandbox (seed %i, %s)", async (seed, format) => {
    const dir = join(scratch, `generated-${seed}-${format}`);
    await generateSandbox(dir, { profiles: 200, eventsPerProfile: 5, seed, referenceTime: "2026-11-01T00:00:00Z", name: `p${seed}`, format, rowsPerFile: 300 });
    expect(await expectSameMembers(openSandbox(dir))).toBeGreaterThan(0);
  }, 300_000);
});
