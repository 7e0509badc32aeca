/**
 * The SQL a user will read with --explain-sql, stated for the common shapes of segment definitions and then run on
 * DuckDB; the dialect's literals and names; regex translation; errors with a code and a location.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { TEST_SCHEMA } from "../../test/pql/fixtures.js";
import { parsePql } from "../pql/index.js";
import type { JsonObject } from "../xdm/types.js";
import { compilePqlPredicateToSql, compilePqlToSql, createRowTableSql, DUCKDB, fromDuckDbJson, profileRowSql, re2GroupCount, SqlCompileError } from "./index.js";
import { thrown } from "../../test/helpers/thrown.js";

const NOW = Date.parse("2018-08-28T10:00:00Z");
const options = { schema: TEST_SCHEMA, now: NOW };
const predicate = (pql: string): string => compilePqlPredicateToSql(parsePql(pql), options);

const PROFILE: JsonObject = {
  person: { name: { firstName: "John" }, age: 30, birthDate: "1988-08-28" },
  homeAddress: { countryCode: "US" },
  orders: [{ id: "o1", price: 50, items: [{ sku: "A" }] }, { id: "o2", price: 150.5, items: [{ sku: "C" }] }],
  loyalty: { joinDate: "2018-07-15T12:00:00Z" },
};
const EVENTS: JsonObject[] = [
  { _id: "e1", timestamp: "2018-08-27T09:00:00Z", eventType: "addToCart" },
  { _id: "e2", timestamp: "2018-08-27T10:00:00Z", eventType: "commerce.purchases", commerce: { order: { priceTotal: 250 } } },
];

let instance: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  for (const statement of DUCKDB.prelude()) await connection.run(statement);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

async function run(sql: string): Promise<unknown> {
  const row = profileRowSql(TEST_SCHEMA, DUCKDB, PROFILE, EVENTS, ["seg-a"]);
  const rows = (await connection.runAndReadAll(`SELECT ${sql} AS r FROM (${row}) AS profile`)).getRowObjectsJson();
  return rows[0]?.["r"];
}

describe("readable SQL for common segment shapes, run on DuckDB", () => {
  it.each([
    {
      pql: 'homeAddress.countryCode = "US"',
      sql: `(profile."homeAddress"."countryCode" = 'US') IS TRUE`,
      result: true,
    },
    {
      pql: 'person.age >= 21 and not (homeAddress.countryCode = "CA")',
      sql: `(profile.person.age >= 21 AND (profile."homeAddress"."countryCode" = 'CA') IS NOT TRUE) IS TRUE`,
      result: true,
    },
    {
      pql: 'xEvent[eventType = "addToCart" and timestamp occurs < 7 days before now].count() > 0',
      sql:
        `(len(list_filter(profile."xEvent", lambda e1: (e1."eventType" = 'addToCart' AND ` +
        `(e1."timestamp" > TIMESTAMP '2018-08-21 10:00:00' AND e1."timestamp" < TIMESTAMP '2018-08-28 10:00:00')))) > 0) IS TRUE`,
      result: true,
    },
    {
      pql: 'orders.items.sku = "C"',
      sql: `(len(list_filter(flatten(list_transform(profile.orders, lambda o1: list_transform(o1.items, lambda i2: i2.sku))), lambda s3: s3 = 'C')) > 0) IS TRUE`,
      result: true,
    },
    {
      pql: "select X from xEvent where X.commerce.order.priceTotal > 100",
      sql: `(len(list_filter(profile."xEvent", lambda x1: x1.commerce."order"."priceTotal" > 100)) > 0) IS TRUE`,
      result: true,
    },
    {
      pql: 'inSegment("seg-a") and loyalty.joinDate occurs last month',
      sql: `(list_contains(profile."xSegments", 'seg-a') IS TRUE AND (profile.loyalty."joinDate" >= TIMESTAMP '2018-07-01' AND profile.loyalty."joinDate" < TIMESTAMP '2018-08-01')) IS TRUE`,
      result: true,
    },
    {
      pql: "person.birthDate.getMonth() = currentMonth()",
      sql: `(month(CAST(profile.person."birthDate" AS TIMESTAMP)) = 8) IS TRUE`,
      result: true,
    },
    {
      pql: 'person.name.firstName like "J%" and not (person.name.firstName.contains("x", false))',
      sql: `(profile.person.name."firstName" LIKE 'J%' AND contains(pql_lower(profile.person.name."firstName"), pql_lower('x')) IS NOT TRUE) IS TRUE`,
      result: true,
    },
  ])("$pql", async ({ pql, sql, result }) => {
    expect(predicate(pql)).toBe(sql);
    expect(await run(sql)).toBe(result);
  });

  it("compiles values with their types", async () => {
    const c = compilePqlToSql(parsePql("orders.sum(price)"), options);
    expect(c.sql).toBe("CASE WHEN profile.orders IS NOT NULL THEN coalesce(list_sum(list_transform(profile.orders, lambda o1: o1.price)), 0) END");
    expect(fromDuckDbJson(await run(c.sql), c.type)).toBe(200.5);
    const ids = compilePqlToSql(parsePql("orders[price > 100].id"), options);
    expect(fromDuckDbJson(await run(ids.sql), ids.type)).toEqual(["o2"]);
  });

  it("names `now` as a literal of the clock, so the SQL of a job is a function of its asOf", () => {
    expect(compilePqlToSql(parsePql("now"), options).sql).toBe("1535450400000");
    expect(predicate("loyalty.joinDate occurs today")).toContain("TIMESTAMP '2018-08-28'");
  });
});

describe("the row shape", () => {
  it("is a table whose columns a rendered profile fills, with events and segments as lists", async () => {
    await connection.run(createRowTableSql("profiles", TEST_SCHEMA, DUCKDB));
    await connection.run(`INSERT INTO profiles ${profileRowSql(TEST_SCHEMA, DUCKDB, PROFILE, EVENTS, ["seg-a"])}`);
    const sql = predicate('xEvent[eventType = "addToCart"].count() = 1 and inSegment("seg-a") and person.age = 30');
    const rows = (await connection.runAndReadAll(`SELECT ${sql} AS r, len("xEvent") AS n FROM profiles AS profile`)).getRowObjectsJson();
    expect(rows).toEqual([{ r: true, n: "2" }]);
    await connection.run("DROP TABLE profiles");
  });
});

describe("case-insensitive tests lowercase as JavaScript does", () => {
  it("matches toLowerCase on a sample of every plane, alone and around Σ (final sigma)", async () => {
    const cps: number[] = [0x130, 0x3a3, 0x1c89, 0x10d50];
    for (let cp = 1; cp < 0x110000; cp += 97) if (cp < 0xd800 || cp > 0xdfff) cps.push(cp);
    const values = cps.map((cp) => `(${cp})`).join(", ");
    const rows = (
      await connection.runAndReadAll(
        `SELECT cp, pql_lower('x' || c) a, pql_lower(c || 'Σ') b, pql_lower('AΣ' || c) d, pql_lower('A' || c || 'Σ') e FROM (SELECT cp, chr(cp) c FROM (VALUES ${values}) t(cp))`,
      )
    ).getRows();
    const wrong = rows.filter(([cp, ...got]) => {
      const x = String.fromCodePoint(Number(cp));
      return ["x" + x, x + "Σ", "AΣ" + x, "A" + x + "Σ"].some((s, k) => s.toLowerCase() !== got[k]);
    });
    expect(wrong).toEqual([]);
  });

  it("in lists (listLower): an ASCII list and one that is not, NULL elements, empty and NULL lists", async () => {
    const lists = [["ECID", "Email"], ["ECID", "AΣ", "İd"], ["ab", null], [], null] as const;
    const values = lists.map((l) => (l === null ? "(NULL::VARCHAR[])" : `([${l.map((x) => (x === null ? "NULL" : `'${x}'`)).join(", ")}]::VARCHAR[])`)).join(", ");
    const rows = (await connection.runAndReadAll(`SELECT ${DUCKDB.listLower("l", "x", "x")} AS m FROM (VALUES ${values}) t(l)`)).getRowObjectsJson();
    expect(rows.map((r) => r["m"])).toEqual(lists.map((l) => (l === null ? null : l.map((x) => (x === null ? null : x.toLowerCase())))));
  });
});

describe("numbers as map keys", () => {
  it("are written as JavaScript's String(number) writes them", async () => {
    const xs = [0, -0, 1, -2.5, 0.1 + 0.2, 1e-7, 9.5e-5, 0.00012, 123.456, 2 ** 53 + 2, 2299938201904297000, 1.5e21, -1e-300];
    const values = xs.map((x) => `(${Object.is(x, -0) ? "-0.0" : /[.e]/.test(String(x)) ? String(x) : `${x}.0`}::DOUBLE)`).join(", ");
    const rows = (await connection.runAndReadAll(`SELECT x, ${DUCKDB.numberText("x")} AS s FROM (VALUES ${values}) t(x)`)).getRows();
    expect(rows.map(([, s]) => s)).toEqual(xs.map((x) => String(x)));
  });
});

describe("time zones", () => {
  it("reads TIMESTAMP WITH TIME ZONE columns (Parquet's UTC timestamps) in UTC whatever the session's zone was", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    try {
      await con.run("SET TimeZone = 'America/New_York'");
      for (const statement of DUCKDB.prelude()) await con.run(statement);
      const sql = predicate("loyalty.joinDate occurs this month and loyalty.joinDate.getDayOfMonth() = 1");
      const rows = await con.runAndReadAll(`SELECT ${sql} AS r FROM (SELECT {'joinDate': TIMESTAMPTZ '2018-08-01 01:00:00+00'} AS loyalty) AS profile`);
      expect(rows.getRowObjectsJson()[0]?.["r"]).toBe(true);
      const value = compilePqlToSql(parsePql("loyalty.joinDate"), options);
      const v = await con.runAndReadAll(`SELECT ${value.sql} AS r FROM (SELECT {'joinDate': TIMESTAMPTZ '2018-08-01 01:00:00+00'} AS loyalty) AS profile`);
      expect(fromDuckDbJson(v.getRowObjectsJson()[0]?.["r"], value.type)).toBe("2018-08-01T01:00:00Z");
    } finally {
      con.closeSync();
      db.closeSync();
    }
  });
});

describe("the DuckDB dialect", () => {
  it.each([
    ["person", "person"],
    ["firstName", '"firstName"'],
    ["order", '"order"'],
    ["_id", "_id"],
    ['we"ird', '"we""ird"'],
  ])("quotes %s as %s", (name, quoted) => {
    expect(DUCKDB.ident(name)).toBe(quoted);
  });

  it("writes doubles as DOUBLE, never DECIMAL, and timestamps at millisecond precision", () => {
    expect(DUCKDB.double(0.45)).toBe("0.45::DOUBLE");
    expect(DUCKDB.double(2.02e-12)).toBe("2.02e-12");
    expect(DUCKDB.double(0.1234567890123456)).toBe("'0.1234567890123456'::DOUBLE");
    expect(DUCKDB.timestamp(Date.parse("2018-08-28T10:00:00.001Z"))).toBe("TIMESTAMP '2018-08-28 10:00:00.001'");
    expect(DUCKDB.timestamp(Date.parse("2018-08-28T00:00:00Z"))).toBe("TIMESTAMP '2018-08-28'");
  });
});

describe("regexes", () => {
  it("runs the pattern the reference matches with", () => {
    const r = DUCKDB.regex("(?i)^john", "test");
    expect(r.ok && r.pattern).toBeTruthy();
    expect(predicate('person.name.firstName matches "(?i)^john"')).toContain("regexp_matches(profile.person.name.\"firstName\", ");
  });

  it("refuses what RE2 cannot match, with the reference's reason", () => {
    const r = DUCKDB.regex("(a)\\1", "test");
    expect(r.ok).toBe(false);
    expect(predicate.bind(null, 'person.name.firstName matches "(a)\\\\1"')).toThrow(/SQL-U003|backreference/i);
  });

  it("counts capture groups of RE2 patterns", () => {
    expect(re2GroupCount("(a)(?:b)(?P<n>c)[(]\\(")).toBe(2);
    expect(re2GroupCount("[[:alpha:](](d)")).toBe(1);
  });
});

describe("what SQL cannot say exactly is refused with a code and a location", () => {
  it.each([
    ['person.age = 1 and\n  person.name.firstName matches person.name.lastName', "SQL-U003", 2],
    ['[1, "a"]', "SQL-U002", 1],
    ['if(person.age > 1, "a", 1)', "SQL-U002", 1],
  ])("%s → %s", (pql, code, line) => {
    let error: unknown;
    try {
      compilePqlToSql(parsePql(pql), { ...options, text: pql, file: "s.pql" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlCompileError);
    const e = error as SqlCompileError;
    expect(e.code).toBe(code);
    expect(e.location).toMatchObject({ file: "s.pql", line });
    expect(e.format()).toContain("^");
  });

  const refusal = (pql: string): SqlCompileError => thrown(() => compilePqlPredicateToSql(parsePql(pql), { ...options, text: pql }), SqlCompileError);

  // A date-time against a string that may not be a timestamp (its text), keys() of an object as a list (its field
  // order), groupBy() by a date-time (its JSON text): each is SQL-U004 wherever it sits beside a refusal the closure
  // compiler answers for (U001 get() by a computed key, U002 if() of two types, U003 a computed regex).
  it.each([
    ["U004 after U003", 'person.name.firstName matches person.name.lastName and\n  loyalty.joinDate < person.name.firstName', [2, 3]],
    ["U004 before U003", 'loyalty.joinDate < person.name.firstName or\n  person.name.firstName matches person.name.lastName', [1, 1]],
    ["U004 after U002, in a where", 'if(isVip, "a", 1) = "a" and\n  xEvent[timestamp < eventType].count() > 0', [2, 10]],
    ["U004 after U001", 'homeAddress.get(if(isVip, "city", "countryCode")) = "x" and\n  homeAddress.keys().head() = "city"', [2, 3]],
    ["U004 in a lambda after U003 in one", 'orders.exists((o) => o.id matches person.name.lastName) and\n  orders.exists((o) => loyalty.joinDate < o.id)', [2, 24]],
    ["U004 before U003 in one lambda", "orders.exists((o) => loyalty.joinDate < o.id and o.id matches person.name.lastName)", [1, 22]],
    ["U002 in a let, U004 in its body's where", 'let x = if(isVip, "a", 1) in\n  xEvent[eventType = x and timestamp < eventType].count() > 0', [2, 28]],
    ["U004 inside U003's computed pattern", 'person.name.firstName matches if(loyalty.joinDate < person.name.lastName, "a", "b")', [1, 34]],
    ["U004 in U003's subject", 'if(xEvent.groupBy(timestamp).count() > 1, "x", "y") matches person.name.lastName', [1, 4]],
    ["U002 inside a where, U004 after it", 'xEvent[if(isVip, "a", 1) = "a"].groupBy(timestamp).count() > 0', [1, 1]],
    ["U004 on a field of a U005 object literal (its type known)", '{"a": homeAddress.city, "A": loyalty.joinDate}.A < person.name.firstName', [1, 1]],
  ])("%s: SQL-U004 at its own place", (_, pql, [line, column]) => {
    const e = refusal(pql);
    expect([e.code, e.location.line, e.location.column]).toEqual(["SQL-U004", line, column]);
  });

  it.each([
    ["an order between the value of an if() of two types and a string", 'if(isVip, loyalty.joinDate, 1) < person.name.firstName'],
    ["a string test on get() of an object whose fields have several types", 'loyalty.get(if(isVip, "tier", "joinDate")).contains("Z")'],
    ["iterating over a list of two types", '[loyalty.joinDate, "x"][this > "a"].count() > 0'],
    ["groupBy() by a value of two types", 'orders.groupBy(if(price > 1, ^.loyalty.joinDate, 1)).count() > 0'],
  ])("a value whose type a refusal leaves unknown is SQL-U004 where its type could make the answer read text: %s", (_, pql) => {
    expect(refusal(pql).message).toMatch(/^.* a value whose type SQL does not know/);
  });

  it.each([
    ["equality with the value of an if() of two types", 'if(isVip, loyalty.joinDate, 1) = person.name.firstName', "SQL-U002", [1, 1]],
    ["count() of a list of two types", '[loyalty.joinDate, 1].count() > 1', "SQL-U002", [1, 1]],
    ["the first of two refusals the closure answers for", 'person.name.firstName matches "(a)\\\\1" or\n  if(isVip, "a", 1) = "a"', "SQL-U003", [1, 31]],
    ["a field of a refused object literal compared for equality", '{"a": homeAddress.city, "A": 2}.a = "NY"', "SQL-U005", [1, 1]],
    ["a string test on get() of an object whose fields are all strings", 'homeAddress.get(if(isVip, "city", "countryCode")).contains("x")', "SQL-U001", [1, 1]],
  ])("what the closure answers for alone keeps its first refusal: %s", (_, pql, code, [line, column]) => {
    const e = refusal(pql);
    expect([e.code, e.location.line, e.location.column]).toEqual([code, line, column]);
  });

  it("refuses a schema whose field names only differ in case", () => {
    const schema = { ...TEST_SCHEMA, profile: { kind: "object" as const, fields: new Map([...TEST_SCHEMA.profile.fields, ["Person", TEST_SCHEMA.profile.fields.get("person")!]]) } };
    expect(() => compilePqlToSql(parsePql("person.age"), { ...options, schema })).toThrow(/SQL-U005|differ only in case/);
  });
});
