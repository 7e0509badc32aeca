/**
 * The SQL back end's predicates on DuckDB (issue 13, step 1): N synthetic profile rows of the row shape
 * (profile columns, `xEvent` as a list of event structs), eleven PQL predicates from attributes to chain and
 * two-variable exists, each compiled by src/sql and counted on 2 threads; then a hand-written UNNEST + GROUP BY
 * of the third for comparison. `node --import tsx bench/sql-predicates.ts [N=1000000]`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { parsePql } from "../src/pql/index.js";
import { compilePqlPredicateToSql, DUCKDB } from "../src/sql/index.js";
import { array, object, scalar } from "../src/xdm/xdm-type.js";

const str = scalar("string");
const schema = {
  profile: object([
    ["person", object([["age", scalar("long")], ["name", object([["firstName", str]])]])],
    ["homeAddress", object([["countryCode", str]])],
    ["workAddress", object([["countryCode", str]])],
    ["orders", array(object([["id", str], ["price", scalar("double")]]))],
  ]),
  event: object([["timestamp", scalar("date-time")], ["eventType", str], ["commerce", object([["order", object([["priceTotal", scalar("double")]])]])]]),
};
const N = Number(process.argv[2] ?? 1_000_000);
const db = await DuckDBInstance.create(":memory:", { threads: "2" });
const con = await db.connect();
for (const s of DUCKDB.prelude()) await con.run(s);
let t = Date.now();
await con.run(`CREATE TABLE rows AS SELECT
  {'age': (i % 80)::BIGINT, 'name': {'firstName': 'n' || (i % 1000)::VARCHAR}} AS person,
  {'countryCode': ['US','CA','FR'][1 + i % 3]} AS "homeAddress",
  {'countryCode': ['US','CA','DE'][1 + (i // 3) % 3]} AS "workAddress",
  list_transform(range(i % 4), lambda k: {'id': 'o' || k::VARCHAR, 'price': (k * 37 % 200)::DOUBLE}) AS orders,
  list_transform(range(i % 21), lambda k: {'timestamp': TIMESTAMP '2018-08-01' + to_hours(((i * 7 + k * 13) % 700)::BIGINT), 'eventType': ['addToCart','commerce.purchases','web.webpagedetails.pageViews'][1 + (i + k) % 3], 'commerce': {'order': {'priceTotal': ((i + k) % 300)::DOUBLE}}}) AS "xEvent",
  []::VARCHAR[] AS "xSegments"
FROM range(${N}) t(i)`);
console.log(`built ${N} rows in ${Date.now() - t} ms`);
const now = Date.parse("2018-08-28T10:00:00Z");
const exprs = [
  'homeAddress.countryCode = "US"',
  'person.age >= 21 and homeAddress.countryCode in ["US", "CA"] and not (person.name.firstName like "n1%")',
  'xEvent[eventType = "addToCart" and timestamp occurs < 7 days before now].count() > 2',
  'select X from xEvent where X.commerce.order.priceTotal > 250',
  'xEvent.timestamp occurs yesterday',
  '(sum X.commerce.order.priceTotal over X from xEvent where X.eventType = "commerce.purchases") > 1000',
  'orders.price > 150',
  'homeAddress.countryCode = workAddress.countryCode',
  'xEvent.eventType.distinct().count() > 2',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart"), B: WHAT(eventType = "commerce.purchases") WHEN(< 3 days before now)])',
  'exists X from xEvent where X.eventType = "addToCart", Y from xEvent where Y.eventType = "commerce.purchases" and Y.timestamp occurs < 1 day after X.timestamp',
];
for (const e of exprs) {
  const sql = compilePqlPredicateToSql(parsePql(e), { schema, now });
  t = Date.now();
  const r = await con.runAndReadAll(`SELECT count(*) FILTER (WHERE ${sql}) AS n FROM rows AS profile`);
  console.log(`${String(Date.now() - t).padStart(6)} ms  ${String(r.getRowObjectsJson()[0]?.["n"]).padStart(8)}  ${e}`);
}
t = Date.now();
const hand = await con.runAndReadAll(`SELECT count(*) FROM (SELECT 1 FROM rows AS profile, unnest(profile."xEvent") AS u(e) WHERE e."eventType" = 'addToCart' AND e."timestamp" > TIMESTAMP '2018-08-21 10:00:00' AND e."timestamp" < TIMESTAMP '2018-08-28 10:00:00' GROUP BY profile.rowid HAVING count(*) > 2)`);
console.log(`${String(Date.now() - t).padStart(6)} ms  ${String(hand.getRowObjectsJson()[0]?.["count_star()"]).padStart(8)}  (hand-written UNNEST + GROUP BY of the third)`);
