/**
 * The generator's ground truth: one `Person` per index, derived only from (seed, index), so every dataset
 * writer can rebuild the same person on demand instead of holding all persons in memory. A person knows
 * which source systems hold them, the values each system has, and when each system's record was ingested.
 */
import { Rng, scramble } from "./random.js";
import {
  BROWSERS,
  COMMON_DOMAINS,
  COUNTRIES,
  DEVICE_TYPES,
  EDU_DOMAINS,
  EXAMPLE_DOMAIN,
  type City,
  type CountryVocab,
  type LoyaltyTier,
  type NameEntry,
} from "./vocab.js";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Record ingestion spans this many days before the reference time; events happen in the last 90 days. */
export const RECORD_DAYS = 120;
export const EVENT_DAYS = 90;

export type DatasetKey = "crm" | "loyalty" | "web" | "events" | "export";

/** The built-in shape's rates (a generator config's `builtin:`); `BUILTIN_SHAPE` holds today's. */
export interface BuiltinShape {
  readonly crm: { readonly share: number; readonly updates: number; readonly customTimestamps: number };
  readonly loyalty: { readonly shareOfCrm: number; readonly shareOfOthers: number; readonly customTimestamps: number };
  readonly web: { readonly shareOfCrm: number; readonly shareOfOthers: number; readonly otherEmail: number; readonly marketingOptIn: number };
  readonly events: { readonly anonymous: number; readonly delayed: number; readonly late: number };
}

export const BUILTIN_SHAPE: BuiltinShape = {
  crm: { share: 0.9, updates: 0.15, customTimestamps: 0.3 },
  loyalty: { shareOfCrm: 0.53, shareOfOthers: 0.25, customTimestamps: 0.4 },
  web: { shareOfCrm: 0.27, shareOfOthers: 0.6, otherEmail: 0.3, marketingOptIn: 0.55 },
  events: { anonymous: 0.03, delayed: 0.12, late: 0.03 },
};

/** Everything the per-dataset writers share. */
export interface GenContext {
  /** The built-in datasets' rates. */
  readonly shape: BuiltinShape;
  readonly seed: number;
  /** Epoch ms of the reference time. */
  readonly refMs: number;
  readonly profiles: number;
  readonly eventsPerProfile: number;
  readonly datasetIds: Readonly<Record<DatasetKey, string>>;
  /** Events per unit of activity weight, so that the persons' events add up to ~97 % of the requested total. */
  readonly activityScale: number;
  /** dataset → bucket kind → bucket number → batch start and id; filled lazily, deterministic. */
  readonly batchCache: Map<string, Map<string, Map<number, Batch>>>;
  /**
   * A date-time value as written to the data files: the RFC 3339 string (`isoTime`) for JSON Lines, epoch
   * milliseconds for Parquet (the column stores milliseconds either way, so nothing is formatted and parsed
   * back).
   */
  readonly time: (ms: number) => string | number;
}

/** When and in which batch a row was ingested (`_acp_system_metadata`). */
export interface Stamp {
  readonly ms: number;
  readonly batchId: string;
}

export interface Batch {
  readonly id: string;
  readonly startMs: number;
}

export interface Address {
  readonly street1: string;
  readonly city: string;
  readonly stateProvince: string;
  readonly postalCode: string;
  readonly country: string;
  readonly countryCode: string;
}

export interface Device {
  readonly ecid: string;
  readonly type: "desktop" | "mobile" | "tablet";
  readonly browser: string;
  readonly browserVersion: string;
}

export type Gender = "male" | "female" | "not_specified";
export type CrmUpdateKind = "moved" | "newPhone" | "nameChange";

export interface Person {
  readonly index: number;
  readonly country: CountryVocab;
  readonly gender: Gender;
  readonly first: NameEntry;
  readonly last: NameEntry;
  /** Maiden/previous last name (CRM `nameChange` updates). */
  readonly previousLast: NameEntry;
  readonly birthDate: string;
  readonly birthYear: number;
  readonly crmId: string;
  readonly email: string;
  /** A second address the person uses on the web sign-up form in some cases. */
  readonly altEmail: string;
  readonly phoneE164: string;
  readonly phoneDisplay: string;
  readonly oldPhoneE164: string;
  readonly oldPhoneDisplay: string;
  readonly address: Address;
  readonly previousAddress: Address;
  readonly devices: readonly Device[];

  readonly inCrm: boolean;
  readonly inLoyalty: boolean;
  readonly inWeb: boolean;
  /** Web sign-up used `altEmail` (not the CRM e-mail): only the event graph (ECID↔CRMID) links it. */
  readonly webUsesAltEmail: boolean;
  readonly crmUpdate: CrmUpdateKind | undefined;

  readonly crmIngest: Stamp;
  readonly crmUpdateIngest: Stamp;
  readonly loyaltyIngest: Stamp;
  readonly webIngest: Stamp;

  readonly loyaltyTier: LoyaltyTier;
  /** Number of events this person produces (before the anonymous-visitor share). */
  readonly eventTarget: number;
}

/** Source systems that know a person through a CRMID (CRM or loyalty). */
export function hasAccount(p: Person): boolean {
  return p.inCrm || p.inLoyalty;
}

const CA_LETTERS = "ABCEGHJKLMNPRSTVWXYZ";

function fillPattern(rng: Rng, pattern: string): string {
  let out = "";
  for (const ch of pattern) {
    if (ch === "#") out += String(rng.int(0, 9));
    else if (ch === "@") out += CA_LETTERS[rng.int(0, CA_LETTERS.length - 1)];
    else out += ch;
  }
  return out;
}

function makeAddress(rng: Rng, country: CountryVocab, city: City): Address {
  return {
    street1: country.street(rng.int(1, 2400), rng.pick(city.streets ?? country.streets)),
    city: city.city,
    stateProvince: city.stateProvince,
    postalCode: fillPattern(rng, city.postal),
    country: country.name,
    countryCode: country.code,
  };
}

function makePhone(rng: Rng, country: CountryVocab): { e164: string; display: string } {
  switch (country.code) {
    case "US":
    case "CA": {
      const area = String(rng.int(201, 989));
      const exch = String(rng.int(200, 999));
      const line = rng.digits(4);
      return { e164: `+1${area}${exch}${line}`, display: `+1 ${area}-${exch}-${line}` };
    }
    case "GB": {
      const a = `7${rng.digits(3)}`;
      const b = rng.digits(6);
      return { e164: `+44${a}${b}`, display: `+44 ${a} ${b}` };
    }
    case "FR": {
      const pairs = [String(rng.int(6, 7)), rng.digits(2), rng.digits(2), rng.digits(2), rng.digits(2)];
      return { e164: `+33${pairs.join("")}`, display: `+33 ${pairs.join(" ")}` };
    }
    case "DE": {
      const a = rng.pick(["151", "160", "170", "176"]);
      const b = rng.digits(8);
      return { e164: `+49${a}${b}`, display: `+49 ${a} ${b}` };
    }
    case "JP": {
      const a = rng.pick(["80", "90", "70"]);
      const b = rng.digits(4);
      const c = rng.digits(4);
      return { e164: `+81${a}${b}${c}`, display: `+81 ${a}-${b}-${c}` };
    }
  }
}

function emailDomain(rng: Rng, country: CountryVocab): string {
  const roll = rng.float();
  if (roll < (country.code === "US" || country.code === "CA" ? 0.07 : 0.02)) return rng.pick(EDU_DOMAINS);
  if (roll < 0.17) return EXAMPLE_DOMAIN;
  if (roll < 0.32) return rng.pick(country.domains);
  return rng.weighted(COMMON_DOMAINS);
}

function emailLocal(rng: Rng, first: NameEntry, last: NameEntry, n: number): string {
  const f = first.ascii || "user";
  const l = last.ascii || "x";
  switch (rng.int(0, 4)) {
    case 0:
      return `${f}.${l}${n}`;
    case 1:
      return `${f.slice(0, 1)}${l}${n}`;
    case 2:
      return `${f}_${l}${n}`;
    case 3:
      return `${l}.${f}${n}`;
    default:
      return `${f}${n}`;
  }
}

/** Width of the unique number in e-mail local parts: at least 4 digits and 10× the person count. */
function uniqueModulus(profiles: number): number {
  let m = 10_000;
  while (m < profiles * 10) m *= 10;
  return m;
}

/** A 38-digit ECID, unique per `slot` (person index × 4 + device, or an anonymous-visitor slot). */
export function makeEcid(rng: Rng, slot: number): string {
  const head = String(rng.int(1, 9)) + rng.digits(19);
  const tail = String(scramble(slot, 1e18, 3_141_592_653_589_793, 271_828_182_845_904)).padStart(18, "0");
  return head + tail;
}

export function makeDevice(rng: Rng, slot: number): Device {
  const type = rng.weighted(DEVICE_TYPES);
  const browser = rng.weighted(BROWSERS);
  return { ecid: makeEcid(rng, slot), type, browser: browser.name, browserVersion: rng.pick(browser.versions) };
}

/** Day number → "YYYY-MM-DD" (birth, join and event dates fall on a few tens of thousands of days). */
const DAY_TEXT = new Map<number, string>();

function dayText(day: number): string {
  let text = DAY_TEXT.get(day);
  if (text === undefined) {
    if (DAY_TEXT.size >= 100_000) DAY_TEXT.clear();
    text = new Date(day * DAY).toISOString().slice(0, 10);
    DAY_TEXT.set(day, text);
  }
  return text;
}

/** `new Date(ms).toISOString().slice(0, 10)`, from the cache by day. */
export function isoDate(ms: number): string {
  return dayText(Math.floor(ms / DAY));
}

/**
 * The batch a record or event was ingested in: one per dataset (a `DatasetKey`, or a config dataset's key) and bucket (a day for record datasets, an
 * hour for streamed events), the bucket named by a kind and a number (`day`, -17 → "day-17"). Its start time
 * is fixed by the seed; rows land in the minutes after it. The cache is bounded by the time window (a few
 * thousand buckets), not by the number of persons.
 */
export function batchFor(ctx: GenContext, dataset: string, kind: string, bucket: number, baseMs: number, spreadMs: number): Batch {
  let byKind = ctx.batchCache.get(dataset);
  if (byKind === undefined) {
    byKind = new Map();
    ctx.batchCache.set(dataset, byKind);
  }
  let byBucket = byKind.get(kind);
  if (byBucket === undefined) {
    byBucket = new Map();
    byKind.set(kind, byBucket);
  }
  let batch = byBucket.get(bucket);
  if (batch === undefined) {
    const rng = new Rng(ctx.seed, "batch", dataset, `${kind}${bucket}`);
    batch = { id: rng.hex(32), startMs: baseMs + Math.floor(rng.float() * spreadMs) };
    byBucket.set(bucket, batch);
  }
  return batch;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
const MAX_ISO_MS = 253_402_300_800_000; // 10000-01-01T00:00:00Z

/** `new Date(ms).toISOString()`, several times faster for integral instants from 1970 to 9999. */
export function isoTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= MAX_ISO_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY);
  let r = ms - day * DAY;
  const milli = r % 1000;
  r = (r - milli) / 1000;
  const second = r % 60;
  r = (r - second) / 60;
  const minute = r % 60;
  const hour = (r - minute) / 60;
  return `${dayText(day)}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${THREE_DIGITS[milli]}Z`;
}

/** Ingest time of a record dataset row: a daily batch (hour 1–21 of that day) plus up to 20 minutes. */
export function recordIngest(ctx: GenContext, rng: Rng, dataset: DatasetKey, day: number): Stamp {
  const dayStart = ctx.refMs + day * DAY;
  const batch = batchFor(ctx, dataset, "day", day, dayStart + HOUR, 20 * HOUR);
  return { ms: batch.startMs + rng.int(0, 20 * MINUTE), batchId: batch.id };
}

/** The day (negative offset from the reference day) a dataset row is ingested. */
function crmDay(rng: Rng): number {
  return rng.chance(0.45) ? -RECORD_DAYS : rng.int(-RECORD_DAYS + 1, -2);
}

function loyaltyDay(rng: Rng): number {
  if (rng.chance(0.4)) return -100;
  return -100 + 7 * rng.int(1, 14); // weekly delta loads: -93 … -2
}

/**
 * How active person `index` is on the site, from its own stream: 15 % never visit (0); the rest are
 * log-normally skewed (a few people produce many times the average), capped at 25× the mean.
 */
export function activityWeight(seed: number, index: number): number {
  const rng = new Rng(seed, "activity", index);
  if (rng.chance(0.15)) return 0;
  return Math.min(25, Math.exp(0.9 * rng.normal() - 0.405));
}

/** Persons whose activity weights are computed in one go (a task of the worker pool: 80 KB of weights). */
export const ACTIVITY_CHUNK = 10_000;

/** Scale for `activityWeight` so that persons produce all but the anonymous share of `profiles × eventsPerProfile` events (one cheap pass). */
export function activityScale(seed: number, profiles: number, eventsPerProfile: number, anonymous = BUILTIN_SHAPE.events.anonymous): number {
  if (!needsActivity(profiles, eventsPerProfile)) return 0;
  let total = 0;
  for (let first = 0; first < profiles; first += ACTIVITY_CHUNK) total = addWeights(total, activityWeights(seed, first, Math.min(first + ACTIVITY_CHUNK, profiles)));
  return scaleOf(total, profiles, eventsPerProfile, anonymous);
}

/** Whether `activityScale` needs its pass over the persons (else it is 0). */
export function needsActivity(profiles: number, eventsPerProfile: number): boolean {
  return profiles > 0 && eventsPerProfile > 0;
}

/** `activityWeight` of persons `first … end - 1`. */
export function activityWeights(seed: number, first: number, end: number): Float64Array {
  const weights = new Float64Array(end - first);
  for (let i = first; i < end; i++) weights[i - first] = activityWeight(seed, i);
  return weights;
}

/**
 * A running total plus the next persons' weights, one by one: fed every chunk in person order, the total (and
 * so the scale) is the same to the last bit whichever thread computed the weights.
 */
export function addWeights(total: number, weights: Float64Array): number {
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  return total;
}

/** `activityScale` from the total of every person's weight. */
export function scaleOf(total: number, profiles: number, eventsPerProfile: number, anonymous: number): number {
  return total > 0 ? (profiles * eventsPerProfile * (1 - anonymous)) / total : 0;
}

const COUNTRY_WEIGHTS = COUNTRIES.map((c) => [c, c.weight] as const);

/**
 * Builds person `index` from the seed alone. An `attempt` above 0 draws another person at the same index (same
 * ids, other values), for steering a segment's share (`--target-audience`).
 */
export function makePerson(ctx: GenContext, index: number, attempt = 0): Person {
  const rng = attempt === 0 ? new Rng(ctx.seed, "person", index) : new Rng(ctx.seed, "person", index, "attempt", attempt);
  const country = rng.weighted(COUNTRY_WEIGHTS);
  const gender: Gender = rng.weighted([
    ["female", 48],
    ["male", 47],
    ["not_specified", 5],
  ]);
  const firstPool = gender === "male" ? country.male : gender === "female" ? country.female : rng.chance(0.5) ? country.male : country.female;
  const first = rng.pick(firstPool);
  const last = rng.pick(country.last);
  let previousLast = rng.pick(country.last);
  if (previousLast === last) previousLast = country.last[(country.last.indexOf(last) + 1) % country.last.length] as NameEntry;

  // Ages 18–85 at the reference time, skewed towards 25–55.
  const age = Math.min(85, Math.max(18, Math.round(40 + 14 * rng.normal())));
  const birthMs = ctx.refMs - age * 365.25 * DAY - rng.int(0, 364) * DAY;
  const birthDate = isoDate(birthMs);
  const birthYear = Number(birthDate.slice(0, 4));

  const crmId = `CRM${String(scramble(index, 1e9, 618_033_989, 141_421_356)).padStart(9, "0")}`;
  const n = scramble(index, uniqueModulus(ctx.profiles), 7_331, 1_234);
  const email = `${emailLocal(rng, first, last, n)}@${emailDomain(rng, country)}`;
  let altDomain = rng.weighted(COMMON_DOMAINS);
  if (email.endsWith(`@${altDomain}`)) altDomain = altDomain === "gmail.com" ? "outlook.com" : "gmail.com";
  const altEmail = `${first.ascii || "user"}${last.ascii.slice(0, 1)}.${n}@${altDomain}`;

  const phone = makePhone(rng, country);
  const oldPhone = makePhone(rng, country);
  const homeCity = rng.pick(country.cities);
  const address = makeAddress(rng, country, homeCity);
  const prevCity = rng.chance(0.7) ? rng.pick(country.cities.filter((c) => c !== homeCity)) : homeCity;
  const previousAddress = makeAddress(rng, country, prevCity);

  const deviceCount = rng.weighted([
    [1, 45],
    [2, 40],
    [3, 15],
  ] as const);
  const devices: Device[] = [];
  for (let d = 0; d < deviceCount; d++) {
    devices.push(makeDevice(rng, index * 4 + d));
  }

  // Which systems know the person (by default CRM ~90 %, loyalty ~50 %, web sign-ups ~30 % overall).
  const shape = ctx.shape;
  const inCrm = rng.chance(shape.crm.share);
  const inLoyalty = inCrm ? rng.chance(shape.loyalty.shareOfCrm) : rng.chance(shape.loyalty.shareOfOthers);
  const inWeb = inCrm ? rng.chance(shape.web.shareOfCrm) : rng.chance(shape.web.shareOfOthers);
  const webUsesAltEmail = inCrm && rng.chance(shape.web.otherEmail);

  const crmDayOffset = crmDay(rng);
  const crmIngest = recordIngest(ctx, rng, "crm", crmDayOffset);
  const crmUpdate: CrmUpdateKind | undefined =
    inCrm && rng.chance(shape.crm.updates)
      ? rng.weighted([
          ["moved", 55],
          ["newPhone", 25],
          ["nameChange", 20],
        ] as const)
      : undefined;
  const updateDay = rng.int(crmDayOffset + 1, -1);
  const crmUpdateIngest = recordIngest(ctx, rng, "crm", updateDay);
  const loyaltyIngest = recordIngest(ctx, rng, "loyalty", loyaltyDay(rng));
  const webIngest = recordIngest(ctx, rng, "web", rng.int(-RECORD_DAYS, -1));

  const loyaltyTier = rng.weighted([
    ["bronze", 45],
    ["silver", 30],
    ["gold", 17],
    ["platinum", 8],
  ] as const);

  const eventTarget = Math.round(activityWeight(ctx.seed, index) * ctx.activityScale);

  return {
    index,
    country,
    gender,
    first,
    last,
    previousLast,
    birthDate,
    birthYear,
    crmId,
    email,
    altEmail,
    phoneE164: phone.e164,
    phoneDisplay: phone.display,
    oldPhoneE164: oldPhone.e164,
    oldPhoneDisplay: oldPhone.display,
    address,
    previousAddress,
    devices,
    inCrm,
    inLoyalty,
    inWeb,
    webUsesAltEmail,
    crmUpdate,
    crmIngest,
    crmUpdateIngest,
    loyaltyIngest,
    webIngest,
    loyaltyTier,
    eventTarget,
  };
}

