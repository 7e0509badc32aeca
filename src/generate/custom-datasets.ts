/**
 * Datasets of the user's own XDM schemas (a generator config's `datasets`): every field the schema declares is
 * generated — from the person the row is about where the field names a person's value (names, e-mail, phone,
 * address, birth date), else by its XDM type, constraints and format — unless a field rule says otherwise.
 * Rows come from the same persons as the built-in datasets (`model.ts`), so identities and values overlap and
 * conflict across datasets; each dataset and person has its own random stream, so adding a dataset changes no
 * other dataset's rows.
 */
import { closest } from "../requests/did-you-mean.js";
import { schemaFromJson } from "../xdm/schema.js";
import { PROFILE_CLASS, EXPERIENCE_EVENT_CLASS } from "../io/sandbox-manifest.js";
import { parseDate, parseDateTime } from "../xdm/time.js";
import { XDM_INTEGER_RANGES, type XdmObject, type XdmScalar, type XdmType } from "../xdm/xdm-type.js";
import type { Json, JsonObject } from "../xdm/types.js";
import type { CountDistribution, DatasetConfig, FieldRule, ValueGenerator } from "./gen-config-schema.js";
import { DAY, HOUR, MINUTE, batchFor, isoDate, type Device, type GenContext, type Person } from "./model.js";
import { Rng, scramble } from "./random.js";
import { systemMetadata } from "./records.js";
import { WORDS } from "./vocab.js";

/** A config dataset ready to generate: plain data, sent to the worker threads with the block plan. */
export interface CustomDatasetPlan {
  /** File and stream name (`datasets/<slug>.jsonl`), unique in the sandbox. */
  readonly slug: string;
  readonly id: string;
  readonly config: DatasetConfig;
  /** The schema document as read from the user's file. */
  readonly schema: unknown;
  /** The schema file's name, for messages. */
  readonly schemaFile: string;
}

/** Where a problem in the config is: steps from the dataset entry (`["fields", "a.b", "min"]`). */
export type ConfigFail = (code: string, message: string, path: readonly (string | number)[]) => never;

export interface CompiledDataset {
  readonly rowType: XdmObject;
  readonly kind: "record" | "event";
  /** Appends the person's rows; an `attempt` above 0 draws other rows for them (see `makePerson`). */
  rows(ctx: GenContext, person: Person, out: JsonObject[], attempt?: number): void;
}

/** What a value is generated from. */
interface Scope {
  readonly ctx: GenContext;
  readonly rng: Rng;
  readonly person: Person;
  /** A conflicting row: the person's other e-mail, previous address and name, old phone. */
  readonly alt: boolean;
  readonly device: Device | undefined;
  /** The row's instant: the event's time, or the record's ingestion. */
  readonly ms: number;
}

type Gen = (s: Scope) => Json | undefined;

/** Top-level fields the dataset settings make, never a field rule. */
const MADE_BY_DATASET = new Set(["identityMap", "_id", "timestamp", "eventType", "_acp_system_metadata"]);
const CUSTOM_TIMESTAMP = ["extSourceSystemAudit", "lastUpdatedDate"];

/** The generator a field's name asks for (`person.name.firstName` → firstName), or undefined. */
function guessGenerator(path: readonly string[]): ValueGenerator | undefined {
  const last = path[path.length - 1]!.toLowerCase();
  const parent = (path[path.length - 2] ?? "").toLowerCase();
  switch (last) {
    case "firstname":
    case "givenname":
      return "firstName";
    case "lastname":
    case "familyname":
    case "surname":
      return "lastName";
    case "fullname":
      return "fullName";
    case "email":
    case "emailaddress":
      return "email";
    case "phone":
    case "phonenumber":
    case "mobile":
      return "phone";
    case "street":
    case "street1":
    case "addressline1":
      return "street";
    case "city":
      return "city";
    case "state":
    case "stateprovince":
    case "province":
    case "region":
      return "stateProvince";
    case "postalcode":
    case "postcode":
    case "zip":
    case "zipcode":
      return "postalCode";
    case "country":
      return "country";
    case "countrycode":
      return "countryCode";
    case "birthdate":
      return "birthDate";
    case "birthyear":
      return "birthYear";
    case "gender":
      return "gender";
    case "url":
    case "uri":
    case "website":
      return "url";
    case "address":
      return parent.includes("email") ? "email" : undefined;
    case "number":
      return parent.includes("phone") ? "phone" : undefined;
  }
  return undefined;
}

/** The XDM kinds a generator's values fit. */
const GENERATOR_KINDS: Readonly<Record<ValueGenerator, readonly XdmScalar["kind"][]>> = {
  firstName: ["string"],
  lastName: ["string"],
  fullName: ["string"],
  email: ["string"],
  phone: ["string"],
  street: ["string"],
  city: ["string"],
  stateProvince: ["string"],
  postalCode: ["string"],
  country: ["string"],
  countryCode: ["string"],
  birthDate: ["date", "string"],
  birthYear: ["int", "long", "double"],
  gender: ["string"],
  uuid: ["string"],
  url: ["string"],
  word: ["string"],
};

function personValue(g: ValueGenerator, s: Scope): Json {
  const p = s.person;
  const address = s.alt ? p.previousAddress : p.address;
  switch (g) {
    case "firstName":
      return p.first.display;
    case "lastName":
      return (s.alt ? p.previousLast : p.last).display;
    case "fullName": {
      const last = (s.alt ? p.previousLast : p.last).display;
      return p.country.code === "JP" ? `${last} ${p.first.display}` : `${p.first.display} ${last}`;
    }
    case "email":
      return s.alt ? p.altEmail : p.email;
    case "phone":
      return s.alt ? p.oldPhoneDisplay : p.phoneDisplay;
    case "street":
      return address.street1;
    case "city":
      return address.city;
    case "stateProvince":
      return address.stateProvince;
    case "postalCode":
      return address.postalCode;
    case "country":
      return address.country;
    case "countryCode":
      return address.countryCode;
    case "birthDate":
      return p.birthDate;
    case "birthYear":
      return p.birthYear;
    case "gender":
      return p.gender;
    case "uuid":
      return s.rng.uuid();
    case "url":
      return `https://www.example.com/${s.rng.pick(WORDS)}/${s.rng.int(1, 9999)}`;
    case "word":
      return s.rng.pick(WORDS);
  }
}

function fits(value: unknown, kind: XdmScalar["kind"]): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "int":
    case "long":
      return Number.isSafeInteger(value);
    case "double":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "date":
      return typeof value === "string" && parseDate(value) !== undefined;
    case "date-time":
      return typeof value === "string" && parseDateTime(value) !== undefined;
  }
}

/** A bound of a range rule as a number: itself, or epoch ms of a date or date-time. */
function boundMs(v: number | string | undefined, kind: XdmScalar["kind"]): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return kind === "date" || kind === "date-time" ? undefined : v;
  return kind === "date" ? parseDate(v) : kind === "date-time" ? parseDateTime(v) : undefined;
}

/** A written value of a scalar field: date-times through the context (RFC 3339 for JSON Lines, epoch ms for Parquet). */
function timeGen(kind: XdmScalar["kind"], ms: (s: Scope) => number): Gen {
  return kind === "date" ? (s) => isoDate(ms(s)) : (s) => s.ctx.time(ms(s));
}

function scalarGen(type: XdmScalar, path: readonly string[], rule: FieldRule | undefined, fail: ConfigFail, at: readonly (string | number)[]): Gen {
  const kind = type.kind;
  const c = type.constraints;
  const allowed = (v: unknown): boolean => fits(v, kind) && (c?.enum === undefined || c.enum.includes(v as string));
  const name = path.join(".");
  if (rule?.value !== undefined) {
    if (!allowed(rule.value)) fail("GEN-C006", `${JSON.stringify(rule.value)} is not a value of ${name} (${kind}${c?.enum ? `, one of ${JSON.stringify(c.enum)}` : ""})`, [...at, "value"]);
    const v = rule.value;
    return () => v;
  }
  if (rule?.values !== undefined) {
    const values = rule.values;
    const bad = values.findIndex((v) => !allowed(v));
    if (bad >= 0) fail("GEN-C006", `${JSON.stringify(values[bad])} is not a value of ${name} (${kind}${c?.enum ? `, one of ${JSON.stringify(c.enum)}` : ""})`, [...at, "values", bad]);
    const weights = rule.weights;
    if (weights === undefined) return (s) => s.rng.pick(values);
    if (weights.length !== values.length) fail("GEN-C006", `weights has ${weights.length} entries for ${values.length} values`, [...at, "weights"]);
    if (!weights.some((w) => w > 0)) fail("GEN-C006", "at least one weight must be above 0", [...at, "weights"]);
    const pairs = values.map((v, i) => [v, weights[i]!] as const);
    return (s) => s.rng.weighted(pairs);
  }
  const generator = rule?.generator ?? guessGenerator(path);
  if (generator !== undefined) {
    const fitsKind = GENERATOR_KINDS[generator].includes(kind) && c?.pattern === undefined && (c?.enum === undefined || generator === "gender");
    if (fitsKind && generator === "gender") {
      const values = c?.enum;
      if (values === undefined) return (s) => personValue("gender", s);
      return (s) => (values.includes(s.person.gender) ? s.person.gender : s.rng.pick(values));
    }
    if (fitsKind) return (s) => personValue(generator, s);
    if (rule?.generator !== undefined) fail("GEN-C006", `the ${generator} generator does not make values of ${name} (${kind}${c?.enum ? ", an enum" : c?.pattern ? ", a pattern" : ""})`, [...at, "generator"]);
  }
  if (c?.enum !== undefined) {
    const values = c.enum;
    return (s) => s.rng.pick(values);
  }
  const min = boundMs(rule?.min, kind);
  const max = boundMs(rule?.max, kind);
  if ((rule?.min !== undefined && min === undefined) || (rule?.max !== undefined && max === undefined)) {
    fail("GEN-C006", `min and max of ${name} must be ${kind === "date" ? "dates" : kind === "date-time" ? "date-times" : "numbers"} (${kind})`, [...at, rule?.min !== undefined && min === undefined ? "min" : "max"]);
  }
  if (min !== undefined && max !== undefined && max < min) fail("GEN-C006", `max is below min for ${name}`, [...at, "max"]);
  switch (kind) {
    case "boolean":
      return (s) => s.rng.chance(0.5);
    case "int":
    case "long": {
      const range = XDM_INTEGER_RANGES[kind];
      const lo = Math.ceil(Math.max(min ?? c?.minimum ?? 0, c?.minimum ?? -Infinity, range.minimum));
      const hi = Math.floor(Math.min(max ?? c?.maximum ?? Math.max(lo, 0) + 1000, c?.maximum ?? Infinity, range.maximum));
      if (hi < lo) fail("GEN-C006", `no integer of ${name} lies between ${lo} and ${hi}`, at);
      return (s) => s.rng.int(lo, hi);
    }
    case "double": {
      const lo = Math.max(min ?? c?.minimum ?? 0, c?.minimum ?? -Infinity);
      const hi = Math.min(max ?? c?.maximum ?? lo + 1000, c?.maximum ?? Infinity);
      if (hi < lo) fail("GEN-C006", `no number of ${name} lies between ${lo} and ${hi}`, at);
      return (s) => Math.min(hi, Math.round(s.rng.range(lo, hi) * 100) / 100);
    }
    case "date":
    case "date-time": {
      // Default: the year before the row's instant.
      if (min === undefined && max === undefined) return timeGen(kind, (s) => s.ms - s.rng.int(0, 365 * DAY));
      const lo = min ?? max! - 365 * DAY;
      const hi = max ?? lo + 365 * DAY;
      return timeGen(kind, (s) => lo + Math.floor(s.rng.float() * (hi - lo + 1)));
    }
    case "string": {
      if (c?.pattern !== undefined) fail("GEN-C008", `${name} must match the pattern ${JSON.stringify(c.pattern)}: give it values (or a value) in the config`, at);
      if (c?.format === "email") return (s) => personValue("email", s);
      if (c?.format === "uri" || c?.format === "uri-reference") return (s) => personValue("url", s);
      const minLength = c?.minLength ?? 0;
      const maxLength = c?.maxLength ?? Infinity;
      return (s) => {
        let word = `${s.rng.pick(WORDS)}-${s.rng.int(1, 999)}`;
        if (word.length > maxLength) word = word.slice(0, maxLength);
        return word.length < minLength ? word.padEnd(minLength, "x") : word;
      };
    }
  }
}

/** Every dot path the schema declares (through arrays and maps), for "did you mean". */
function declaredPaths(root: XdmObject): string[] {
  const out: string[] = [];
  const walk = (type: XdmType, path: string): void => {
    if (path !== "") out.push(path);
    if (type.kind === "array") walk(type.items, path);
    else if (type.kind === "map") walk(type.values, path);
    else if (type.kind === "object") for (const [name, child] of type.fields) walk(child, path === "" ? name : `${path}.${name}`);
  };
  walk(root, "");
  return out;
}

/** Field rules by dot path, checked against the schema (an unknown path is located, with the nearest known one). */
function rulesOf(fields: Readonly<Record<string, FieldRule>> | undefined, root: XdmObject, fail: ConfigFail, at: readonly (string | number)[]): Map<string, FieldRule> {
  const rules = new Map<string, FieldRule>();
  for (const [path, rule] of Object.entries(fields ?? {})) {
    const steps = path.split(".");
    let type: XdmType | undefined = root;
    for (const step of steps) {
      while (type?.kind === "array") type = type.items;
      type = type?.kind === "object" ? type.fields.get(step) : type?.kind === "map" ? type.values : undefined;
    }
    if (type === undefined) {
      const near = closest(path, declaredPaths(root));
      fail("GEN-C005", `the schema declares no field ${path}${near === undefined ? "" : `; did you mean ${near}?`}`, [...at, path]);
    }
    if (MADE_BY_DATASET.has(steps[0]!)) fail("GEN-C006", `${steps[0]} is made from the dataset's settings (primaryNamespace, identities, events), not by a field rule`, [...at, path]);
    rules.set(path, rule);
  }
  return rules;
}

/** The object of the values the generators make, or undefined when none makes one (no empty objects). */
function objectOf(entries: readonly (readonly [string, Gen])[], s: Scope): JsonObject | undefined {
  const out: JsonObject = {};
  let any = false;
  for (const [name, g] of entries) {
    const v = g(s);
    if (v !== undefined) {
      out[name] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/**
 * A generator for the value at `path` of type `type` (undefined: never written). An array's items and a map's
 * values share its path (and rule): `inner` says the rule's omit and presence were applied to the container.
 */
function compileType(type: XdmType, path: readonly string[], rules: ReadonlyMap<string, FieldRule>, fail: ConfigFail, at: (path: string) => readonly (string | number)[], inner = false): Gen | undefined {
  const rule = rules.get(path.join("."));
  if (rule?.omit && !inner) return undefined;
  let gen: Gen | undefined;
  switch (type.kind) {
    case "object": {
      const children: [string, Gen][] = [];
      for (const [name, child] of type.fields) {
        const g = compileType(child, [...path, name], rules, fail, at);
        if (g !== undefined) children.push([name, g]);
      }
      if (children.length === 0) return undefined;
      gen = (s) => objectOf(children, s);
      break;
    }
    case "array": {
      const item = compileType(type.items, path, rules, fail, at, true);
      if (item === undefined) return undefined;
      const lo = rule?.items?.min ?? 1;
      const hi = rule?.items?.max ?? 3;
      if (hi < lo) fail("GEN-C006", `items.max is below items.min for ${path.join(".")}`, [...at(path.join(".")), "items"]);
      gen = (s) => {
        const out: Json[] = [];
        for (let n = s.rng.int(lo, hi); n > 0; n--) {
          const v = item(s);
          if (v !== undefined) out.push(v);
        }
        return out.length > 0 ? out : undefined;
      };
      break;
    }
    case "map": {
      const value = compileType(type.values, path, rules, fail, at, true);
      if (value === undefined) return undefined;
      const entries = (rule?.keys ?? ["key1", "key2"]).map((k) => [k, value] as const);
      // Listed keys are all written; the default ones, one or both.
      gen = rule?.keys !== undefined ? (s) => objectOf(entries, s) : (s) => objectOf(entries.slice(0, s.rng.int(1, entries.length)), s);
      break;
    }
    default:
      gen = scalarGen(type, path, rule, fail, at(path.join(".")));
  }
  const presence = inner ? undefined : rule?.presence;
  if (presence === undefined || presence >= 1) return gen;
  const present = gen;
  return (s) => (s.rng.chance(presence) ? present(s) : undefined);
}

/** A count drawn from a distribution. */
function countGen(d: CountDistribution): (rng: Rng) => number {
  switch (d.distribution) {
    case "uniform": {
      const lo = Math.round(Math.min(d.min, d.max));
      const hi = Math.round(Math.max(d.min, d.max));
      return (rng) => rng.int(lo, hi);
    }
    case "normal": {
      const cap = d.max ?? Math.ceil(d.mean + 4 * d.sd);
      return (rng) => Math.max(0, Math.min(cap, Math.round(d.mean + d.sd * rng.normal())));
    }
    case "zipf": {
      // Rank k in 1…max with weight 1/k^s.
      const rank = cumulativeOf(Array.from({ length: d.max }, (_, k) => 1 / (k + 1) ** d.exponent));
      return (rng) => rank(rng) + 1;
    }
  }
}

/** A weighted index: the cumulative weights once, a binary search per draw. */
function cumulativeOf(weights: readonly number[]): (rng: Rng) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) cumulative.push((total += w));
  return (rng) => {
    const x = rng.float() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** The id a person has in a namespace: their own CRMID, e-mail, phone or device ECID, else one derived from the index. */
function identityId(namespace: string, p: Person, device: Device | undefined): string | undefined {
  switch (namespace) {
    case "CRMID":
      return p.crmId;
    case "Email":
      return p.email;
    case "Phone":
      return p.phoneE164;
    case "ECID":
      return device?.ecid;
  }
  return `${namespace.toLowerCase()}-${String(scramble(p.index, 1e10, 2_718_281_829, 3_141_592_653)).padStart(10, "0")}`;
}

const ACP_FIELD = "_acp_system_metadata";

/** A person's stream in a dataset (another one per attempt). */
function streamOf(ctx: GenContext, slug: string, index: number, attempt: number): Rng {
  return attempt === 0 ? new Rng(ctx.seed, "dataset", slug, index) : new Rng(ctx.seed, "dataset", slug, index, "attempt", attempt);
}

/** Checks a config dataset against its schema and makes its row generator; every problem goes to `fail`. */
export function compileDataset(plan: CustomDatasetPlan, format: "jsonl" | "parquet", fail: ConfigFail): CompiledDataset {
  const cfg = plan.config;
  const schema = schemaFromJson(plan.schema, plan.schemaFile);
  const root = schema.type;
  const kind = schema.xdmClass === EXPERIENCE_EVENT_CLASS ? "event" : schema.xdmClass === PROFILE_CLASS ? "record" : fail("GEN-C007", `the schema's meta:class is ${JSON.stringify(schema.xdmClass)}: a dataset holds profile or experienceevent rows`, ["schema"]);
  const needs = (field: string, why: string): void => {
    if (!root.fields.has(field)) fail("GEN-C007", `the schema ${plan.schemaFile} declares no ${field}: ${why}`, ["schema"]);
  };
  needs("identityMap", "every row carries its identities there");
  if (root.fields.has(ACP_FIELD)) fail("GEN-C007", `the schema ${plan.schemaFile} declares ${ACP_FIELD}, a system column the generator writes`, ["schema"]);
  if (kind === "event") {
    needs("_id", "an ExperienceEvent needs one");
    needs("timestamp", "an ExperienceEvent needs one");
    if (cfg.events === undefined) fail("GEN-C011", "an ExperienceEvent dataset needs events: perPerson and types", []);
    needs("eventType", "the events' types are written there");
  } else if (cfg.events !== undefined) {
    fail("GEN-C011", `events belong to ExperienceEvent datasets; ${plan.schemaFile} is a profile schema`, ["events"]);
  }
  const audit = root.fields.get(CUSTOM_TIMESTAMP[0]!);
  const auditType = audit?.kind === "object" ? audit.fields.get(CUSTOM_TIMESTAMP[1]!) : undefined;
  if ((cfg.customTimestamps ?? 0) > 0 && auditType?.kind !== "date-time") {
    fail("GEN-C007", `customTimestamps needs ${CUSTOM_TIMESTAMP.join(".")} declared as a date-time in ${plan.schemaFile}`, ["customTimestamps"]);
  }
  const namespaces = [cfg.primaryNamespace, ...(cfg.identities ?? []).map((i) => i.namespace)];
  const twice = namespaces.findIndex((ns, i) => namespaces.indexOf(ns) !== i);
  if (twice > 0) fail("GEN-C006", `${namespaces[twice]} is named twice: a row carries one identity per namespace`, ["identities", twice - 1, "namespace"]);

  // Fields other than the ones the dataset settings make, in schema order.
  const at = (path: string): (string | number)[] => ["fields", path];
  const fieldGens = (rules: ReadonlyMap<string, FieldRule>): [string, Gen][] => {
    const out: [string, Gen][] = [];
    for (const [name, type] of root.fields) {
      if (MADE_BY_DATASET.has(name) || name === CUSTOM_TIMESTAMP[0]) continue;
      const g = compileType(type, [name], rules, fail, at);
      if (g !== undefined) out.push([name, g]);
    }
    return out;
  };
  const baseRules = rulesOf(cfg.fields, root, fail, ["fields"]);
  const base = fieldGens(baseRules);
  const fillFields = (gens: readonly [string, Gen][], s: Scope, row: JsonObject): void => {
    for (const [name, g] of gens) {
      const v = g(s);
      if (v !== undefined) row[name] = v;
    }
  };
  const identityMap = (s: Scope): JsonObject => {
    const map: JsonObject = {};
    const add = (ns: string, primary: boolean): void => {
      const id = identityId(ns, s.person, s.device);
      if (id !== undefined) map[ns] = [{ id, authenticatedState: ns === "ECID" ? "ambiguous" : "authenticated", primary }];
    };
    add(cfg.primaryNamespace, true);
    for (const extra of cfg.identities ?? []) if (s.rng.chance(extra.share ?? 1)) add(extra.namespace, false);
    return map;
  };
  const badRows = cfg.badRows ?? 0;
  /** Spoils a row the way a broken upstream would: no identity, or (JSON Lines only: Parquet columns are typed) a wrong-typed `_id`. */
  const spoil = (rng: Rng, row: JsonObject): void => {
    if (format === "parquet" || rng.chance(0.5)) delete row["identityMap"];
    else row["_id"] = rng.int(1, 1_000_000);
  };
  const share = cfg.share ?? 1;
  const key = `custom:${plan.slug}`;
  /** The dataset's generator: `make` appends the rows of a person the dataset's share keeps, from their stream. */
  const compiled = (make: (ctx: GenContext, person: Person, rng: Rng, out: JsonObject[]) => void): CompiledDataset => ({
    rowType: schema.type,
    kind,
    rows(ctx, person, out, attempt = 0) {
      const rng = streamOf(ctx, plan.slug, person.index, attempt);
      if (rng.chance(share)) make(ctx, person, rng, out);
    },
  });

  if (kind === "record") {
    const ingestDays = cfg.ingestDays ?? 120;
    const conflicts = cfg.conflicts ?? 0;
    const customTimestamps = cfg.customTimestamps ?? 0;
    const record = (ctx: GenContext, rng: Rng, person: Person, day: number, alt: boolean): JsonObject => {
      const batch = batchFor(ctx, key, "day", day, ctx.refMs + day * DAY + HOUR, 20 * HOUR);
      const ingestMs = batch.startMs + rng.int(0, 20 * MINUTE);
      const s: Scope = { ctx, rng, person, alt, device: person.devices[0], ms: ingestMs };
      const row: JsonObject = {};
      for (const [name] of root.fields) {
        if (name === "_id") row["_id"] = rng.uuid();
        else if (name === "identityMap") row["identityMap"] = identityMap(s);
      }
      fillFields(base, s, row);
      if (customTimestamps > 0 && rng.chance(customTimestamps)) row[CUSTOM_TIMESTAMP[0]!] = { [CUSTOM_TIMESTAMP[1]!]: ctx.time(ingestMs - rng.int(5 * MINUTE, 36 * HOUR)) };
      if (badRows > 0 && rng.chance(badRows)) spoil(rng, row);
      row[ACP_FIELD] = systemMetadata(ctx, { ms: ingestMs, batchId: batch.id });
      return row;
    };
    return compiled((ctx, person, rng, out) => {
      const day = rng.int(-ingestDays, -1);
      out.push(record(ctx, rng, person, day, false));
      if (conflicts > 0 && rng.chance(conflicts)) out.push(record(ctx, rng, person, rng.int(Math.min(day + 1, -1), -1), true));
    });
  }

  const events = cfg.events!;
  const types = events.types.map((t, i) => ({
    type: t.type,
    gens: t.fields === undefined ? base : fieldGens(new Map([...baseRules, ...rulesOf(t.fields, root, fail, ["events", "types", i, "fields"])])),
  }));
  const typeOf = cumulativeOf(events.types.map((t) => t.rate));
  const perPerson = countGen(events.perPerson);
  const days = events.days ?? 90;
  const hourOf = cumulativeOf(events.hourly ?? Array.from({ length: 24 }, () => 1));
  if (events.hourly !== undefined && !events.hourly.some((w) => w > 0)) fail("GEN-C006", "at least one hour must have a weight above 0", ["events", "hourly"]);
  if (events.weekly !== undefined && !events.weekly.some((w) => w > 0)) fail("GEN-C006", "at least one day must have a weight above 0", ["events", "weekly"]);
  const late = events.late;
  if (late !== undefined && late.maxHours < late.minHours) fail("GEN-C006", "late.maxHours is below late.minHours", ["events", "late", "maxHours"]);
  let dayTable: { readonly refMs: number; readonly pick: (rng: Rng) => number } | undefined;
  /** Day offsets 1…days before the reference day, weighted by their weekday (built once per reference time). */
  const dayOf = (ctx: GenContext, rng: Rng): number => {
    if (dayTable?.refMs !== ctx.refMs) {
      const firstDay = Math.floor(ctx.refMs / DAY);
      // 1970-01-01 was a Thursday: weekday (Monday 0) of day number n is (n + 3) mod 7.
      const weights = Array.from({ length: days }, (_, i) => (events.weekly ?? [1, 1, 1, 1, 1, 1, 1])[(((firstDay - 1 - i + 3) % 7) + 7) % 7]!);
      const pick = cumulativeOf(weights);
      dayTable = { refMs: ctx.refMs, pick: (r) => (firstDay - 1 - pick(r)) * DAY };
    }
    return dayTable.pick(rng);
  };
  return compiled((ctx, person, rng, out) => {
    const n = perPerson(rng);
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(dayOf(ctx, rng) + hourOf(rng) * HOUR + rng.int(0, HOUR - 1));
    times.sort((a, b) => a - b);
    const devices = person.devices.map((d, i) => [d, i === 0 ? 3 : 1] as const);
    for (const ms of times) {
      const device = devices.length > 0 ? rng.weighted(devices) : undefined;
      const s: Scope = { ctx, rng, person, alt: false, device, ms };
      const type = types[typeOf(rng)]!;
      const row: JsonObject = {};
      for (const [name] of root.fields) {
        if (name === "_id") row["_id"] = rng.uuid();
        else if (name === "timestamp") row["timestamp"] = ctx.time(ms);
        else if (name === "eventType") row["eventType"] = type.type;
        else if (name === "identityMap") row["identityMap"] = identityMap(s);
      }
      fillFields(type.gens, s, row);
      if (badRows > 0 && rng.chance(badRows)) spoil(rng, row);
      const isLate = late !== undefined && rng.chance(late.share);
      let ingestMs = isLate ? ms + Math.round(rng.range(late.minHours, late.maxHours) * HOUR) : ms + rng.int(20_000, 15 * MINUTE);
      // Nothing is ingested after the reference time: what would arrive later arrived just before it.
      ingestMs = Math.min(ingestMs, ctx.refMs - rng.int(1_000, 600_000));
      const batch = isLate ? batchFor(ctx, key, "late", Math.floor(ingestMs / DAY), 0, 0) : batchFor(ctx, key, "h", Math.floor(ingestMs / HOUR), 0, 0);
      row[ACP_FIELD] = systemMetadata(ctx, { ms: ingestMs, batchId: batch.id });
      out.push(row);
    }
  });
}
