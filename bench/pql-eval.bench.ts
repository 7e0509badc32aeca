/**
 * PQL throughput on one core:
 *   1. parse + check + compile of a 1,000-segment set (target < 1 s);
 *   2. simple attribute evaluations per second (target ≥ 5 M/s);
 *   3. event aggregations over 100 events per profile;
 *   4. a 200-segment set over 100 events per profile, one by one vs compileSegmentSet (shared event aggregates).
 *
 *   node --import tsx bench/pql-eval.bench.ts
 *
 * Inputs are generated up front from a seeded PRNG, so runs are comparable.
 */
import { Bench } from "tinybench";
import { compileSegmentExpression, compileSegmentSet, type CompiledPql, type PqlContext } from "../src/pql/index.js";
import type { JsonObject } from "../src/xdm/types.js";
import { rng, TEST_SCHEMA } from "../test/pql/fixtures.js";

const r = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (n: number): number => Math.floor(r() * n);

const COUNTRIES = ["US", "CA", "FR", "DE", "GB", "JP"];
const TYPES = ["commerce.purchases", "web.webpagedetails.pageViews", "addToCart", "commerce.checkouts", "directMarketing.emailClicked"];
const NOW = Date.parse("2018-08-28T10:00:00Z");

/** One segment of a realistic mix: profile attributes, event filters, selects, chains, aggregates, regexes. */
function segment(i: number): string {
  switch (i % 10) {
    case 0:
      return `homeAddress.countryCode = "${pick(COUNTRIES)}" and person.age > ${18 + int(50)}`;
    case 1:
      return `xEvent[eventType = "${pick(TYPES)}" and timestamp occurs < ${1 + int(30)} days before now].count() > ${int(5)}`;
    case 2:
      return `select X from xEvent where X.eventType = "${pick(TYPES)}" and X.commerce.order.priceTotal > ${int(500)}`;
    case 3:
      return `chain(xEvent, timestamp, [A: WHAT(eventType = "${pick(TYPES)}") WHEN(< ${1 + int(24)} hours before now), B: WHAT(eventType = "${pick(TYPES)}")])`;
    case 4:
      return `person.name.firstName matches "(?i)^${pick(["jo", "an", "ma", "li"])}" or personalEmail.address.endsWith(".${pick(["com", "edu", "org"])}")`;
    case 5:
      return `orders.sum(price) > ${int(1000)} and orders.topN(price, 2).head().storeId = "s${int(10)}"`;
    case 6:
      return `(sum X.commerce.order.priceTotal over X from xEvent where X.timestamp occurs < ${1 + int(90)} days before now) > ${int(2000)}`;
    case 7:
      return `inSegment("seg-${int(50)}") and loyalty.tier in ["gold", "silver"] and not (isVip)`;
    case 8:
      return `exists E from xEvent where E.eventType = "${pick(TYPES)}", I from E.productListItems where I.SKU = "SKU-${int(20)}"`;
    default:
      return `let S = xEvent[eventType = "commerce.purchases"].count() in (S > ${int(3)} and person.birthDate.getMonth() = ${1 + int(12)})`;
  }
}

const SEGMENTS = Array.from({ length: 1000 }, (_, i) => segment(i));

function profile(i: number): JsonObject {
  return {
    person: { name: { firstName: pick(["John", "Anna", "Mark", "Lisa"]) }, age: 18 + (i % 60), birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-15` },
    homeAddress: { countryCode: COUNTRIES[i % COUNTRIES.length] as string, city: "X" },
    personalEmail: { address: `p${i}@example.${pick(["com", "edu", "org"])}` },
    loyalty: { tier: pick(["gold", "silver", "bronze"]), points: i * 10 },
    isVip: i % 7 === 0,
    orders: Array.from({ length: i % 5 }, (_, k) => ({ id: `o${k}`, storeId: `s${k}`, price: 10 + k * 37 })),
  };
}

function events(n: number, seed: number): JsonObject[] {
  const er = rng(seed);
  const out: JsonObject[] = [];
  for (let k = 0; k < n; k++) {
    const t = NOW - Math.floor(er() * 90 * 86_400_000);
    const type = TYPES[Math.floor(er() * TYPES.length)] as string;
    out.push({
      _id: `e${seed}-${k}`,
      timestamp: new Date(t).toISOString(),
      eventType: type,
      ...(type === "commerce.purchases" ? { commerce: { order: { priceTotal: Math.floor(er() * 500), currencyCode: "USD" } } } : {}),
      productListItems: [{ SKU: `SKU-${Math.floor(er() * 20)}`, quantity: 1 }],
    });
  }
  return out.sort((a, b) => (String(a["timestamp"]) < String(b["timestamp"]) ? -1 : 1));
}

const PROFILES = Array.from({ length: 1024 }, (_, i) => profile(i));
const EVENT_SETS = Array.from({ length: 64 }, (_, i) => events(100, i + 1));
const member = (ref: string): boolean => ref.length % 2 === 0;
let sink = 0;

// 1. parse + check + compile of the 1,000-segment set.
const compileAll = (): void => {
  const compiled = SEGMENTS.map((s) => compileSegmentExpression(s, TEST_SCHEMA));
  sink += compiled.length;
};

// 2. simple attribute evaluations.
const simple = compileSegmentExpression('homeAddress.countryCode = "US" and person.age > 30', TEST_SCHEMA);
const SIMPLE_BATCH = 1_000_000;
const simpleCtx: PqlContext[] = PROFILES.map((p) => ({ profile: p, events: [], now: NOW }));

// 3. event aggregations over 100 events per profile.
const AGGREGATES = [
  'xEvent[eventType = "commerce.purchases"].count() > 2',
  "xEvent[timestamp occurs < 7 days before now].sum(commerce.order.priceTotal) > 100",
  "(sum X.commerce.order.priceTotal over X from xEvent where X.timestamp occurs < 30 days before now) > 500",
  'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart"), B: WHAT(eventType = "commerce.purchases") WHEN(< 7 days before now)])',
];
const aggregates = AGGREGATES.map((s) => compileSegmentExpression(s, TEST_SCHEMA));
const eventCtx: PqlContext[] = EVENT_SETS.map((ev, i) => ({ profile: PROFILES[i] as JsonObject, events: ev, now: NOW, inSegment: member }));
const AGG_BATCH = 10_000;

// 4. a 200-segment set, one by one vs shared.
const SET = SEGMENTS.slice(0, 200);
const oneByOne = SET.map((s) => compileSegmentExpression(s, TEST_SCHEMA));
const shared = compileSegmentSet(SET, TEST_SCHEMA);
const SET_BATCH = 64;

const bench = new Bench({ time: 1500, warmupTime: 300, throws: true });
bench
  .add("compile 1,000 segments (parse+check+compile)", compileAll)
  .add(`simple attribute predicate × ${SIMPLE_BATCH.toLocaleString("en")}`, () => {
    for (let i = 0; i < SIMPLE_BATCH; i++) if (simple(simpleCtx[i & 1023] as PqlContext)) sink++;
  });
for (const [k, s] of AGGREGATES.entries()) {
  const f = aggregates[k] as CompiledPql;
  bench.add(`100 events: ${s.slice(0, 60)}… × ${AGG_BATCH.toLocaleString("en")}`, () => {
    for (let i = 0; i < AGG_BATCH; i++) if (f(eventCtx[i & 63] as PqlContext)) sink++;
  });
}
bench
  .add(`200 segments one by one, 100 events × ${SET_BATCH} profiles`, () => {
    for (let i = 0; i < SET_BATCH; i++) {
      const ctx = eventCtx[i & 63] as PqlContext;
      for (const f of oneByOne) if (f(ctx)) sink++;
    }
  })
  .add(`200 segments as a set (shared aggregates), 100 events × ${SET_BATCH} profiles`, () => {
    for (let i = 0; i < SET_BATCH; i++) for (const b of shared(eventCtx[i & 63] as PqlContext)) if (b) sink++;
  });

await bench.run();

console.log(`\nNode ${process.version}, one thread; ${SEGMENTS.length} segments, ${shared.shared} shared sub-expressions in the 200-segment set`);
for (const task of bench.tasks) {
  const res = task.result;
  if (res.state !== "completed") {
    console.log(`${task.name}: ${res.state}`);
    continue;
  }
  const ms = res.latency.mean;
  const batch = task.name.includes("simple") ? SIMPLE_BATCH : task.name.startsWith("100 events") ? AGG_BATCH : task.name.startsWith("200 segments") ? SET_BATCH * 200 : 1;
  const rate = batch === 1 ? `${ms.toFixed(1)} ms per run` : `${Math.round((batch * 1000) / ms).toLocaleString("en")} evaluations/s`;
  console.log(`${task.name.padEnd(96)} ${rate}  (${res.latency.samplesCount} runs)`);
}
if (sink === -1) console.log(sink);
