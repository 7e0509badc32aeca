/**
 * The JSON Schema of a generator config (`generate --config gen.yaml|json`) and the types of what it admits.
 * The same schema is published as `schemas/generator-config.schema.json` (kept identical by a test) so editors
 * complete and check configs: a YAML file opts in with `# yaml-language-server: $schema=<path to it>`.
 */
import type { JsonSchema } from "../requests/index.js";
import type { BuiltinShape } from "./model.js";

export const GENERATOR_CONFIG_SCHEMA_ID = "https://profile-lab.dev/schemas/generator-config.schema.json";

/** How one field is generated instead of its type's default. */
export interface FieldRule {
  readonly omit?: boolean;
  readonly value?: string | number | boolean;
  readonly values?: readonly (string | number | boolean)[];
  readonly weights?: readonly number[];
  readonly min?: number | string;
  readonly max?: number | string;
  readonly generator?: ValueGenerator;
  readonly presence?: number;
  readonly items?: { readonly min: number; readonly max: number };
  readonly keys?: readonly string[];
}

export const VALUE_GENERATORS = [
  "firstName",
  "lastName",
  "fullName",
  "email",
  "phone",
  "street",
  "city",
  "stateProvince",
  "postalCode",
  "country",
  "countryCode",
  "birthDate",
  "birthYear",
  "gender",
  "uuid",
  "url",
  "word",
] as const;
export type ValueGenerator = (typeof VALUE_GENERATORS)[number];

export type CountDistribution =
  | { readonly distribution: "uniform"; readonly min: number; readonly max: number }
  | { readonly distribution: "normal"; readonly mean: number; readonly sd: number; readonly max?: number }
  | { readonly distribution: "zipf"; readonly exponent: number; readonly max: number };

export interface EventTypeConfig {
  readonly type: string;
  readonly rate: number;
  readonly fields?: Readonly<Record<string, FieldRule>>;
}

export interface EventsConfig {
  readonly perPerson: CountDistribution;
  readonly types: readonly EventTypeConfig[];
  readonly days?: number;
  readonly hourly?: readonly number[];
  readonly weekly?: readonly number[];
  readonly late?: { readonly share: number; readonly minHours: number; readonly maxHours: number };
}

export interface IdentityConfig {
  readonly namespace: string;
  readonly share?: number;
}

export interface DatasetConfig {
  readonly name: string;
  readonly schema: string;
  readonly description?: string;
  readonly primaryNamespace: string;
  readonly identities?: readonly IdentityConfig[];
  readonly share?: number;
  readonly conflicts?: number;
  readonly customTimestamps?: number;
  readonly ingestDays?: number;
  readonly badRows?: number;
  readonly fields?: Readonly<Record<string, FieldRule>>;
  readonly events?: EventsConfig;
}

export interface SegmentConfig {
  readonly name: string;
  readonly pql: string;
  readonly description?: string;
  readonly mergePolicy?: "default" | "stitched" | "loyaltyFirst";
}

/** The built-in shape's rates a config may change (any subset; the others keep their defaults). */
export interface BuiltinRates {
  readonly crm?: Partial<BuiltinShape["crm"]>;
  readonly loyalty?: Partial<BuiltinShape["loyalty"]>;
  readonly web?: Partial<BuiltinShape["web"]>;
  readonly events?: Partial<BuiltinShape["events"]>;
}

export interface GeneratorConfig {
  readonly builtin?: boolean | BuiltinRates;
  readonly datasets?: readonly DatasetConfig[];
  readonly segments?: readonly SegmentConfig[];
}

const share = (description: string): JsonSchema => ({ type: "number", minimum: 0, maximum: 1, description });
const rates = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: "object", additionalProperties: false, properties });
const scalarValue: JsonSchema = { type: ["string", "number", "boolean"] };
const bound: JsonSchema = { type: ["number", "string"], description: "a number, or for date and date-time fields an RFC 3339 date or date-time" };
const namespace: JsonSchema = { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_.-]*$", maxLength: 100, description: "an identity namespace code", examples: ["CRMID", "Email", "ECID"] };

const fieldRule: JsonSchema = {
  type: "object",
  description: "how one field is generated instead of its type's default",
  additionalProperties: false,
  properties: {
    omit: { type: "boolean", description: "never write the field" },
    value: { ...scalarValue, description: "always this value" },
    values: { type: "array", minItems: 1, items: scalarValue, description: "one of these values (uniformly, or by weights)" },
    weights: { type: "array", minItems: 1, items: { type: "number", minimum: 0 }, description: "relative weights of values, one per value" },
    min: bound,
    max: bound,
    generator: { enum: [...VALUE_GENERATORS], description: "a value of the person the row is about (names, e-mail, phone, address, birth date) or of a kind (uuid, url, word)" },
    presence: share("share of rows that carry the field (default 1)"),
    items: {
      type: "object",
      additionalProperties: false,
      required: ["min", "max"],
      properties: { min: { type: "integer", minimum: 0, maximum: 100 }, max: { type: "integer", minimum: 0, maximum: 100 } },
      description: "arrays: how many items (default 1 to 3)",
    },
    keys: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", minLength: 1 }, description: "maps: the keys written (default key1, key2)" },
  },
};
const fields: JsonSchema = {
  type: "object",
  description: "per-field rules by dot path in the dataset's schema (through arrays without an index: productListItems.SKU)",
  propertyNames: { pattern: "^[^.\\s]+(\\.[^.\\s]+)*$" },
  additionalProperties: fieldRule,
};

const count = (description: string): JsonSchema => ({ type: "number", minimum: 0, maximum: 10_000, description });
const perPerson: JsonSchema = {
  description: "events per person: uniform {min, max}, normal {mean, sd, max?} or zipf {exponent, max} (1 to max, rank k with weight 1/k^exponent)",
  oneOf: [
    { type: "object", additionalProperties: false, required: ["distribution", "min", "max"], properties: { distribution: { const: "uniform" }, min: count("fewest events"), max: count("most events") } },
    {
      type: "object",
      additionalProperties: false,
      required: ["distribution", "mean", "sd"],
      properties: { distribution: { const: "normal" }, mean: count("mean"), sd: count("standard deviation"), max: count("cap (default mean + 4 sd)") },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["distribution", "exponent", "max"],
      properties: { distribution: { const: "zipf" }, exponent: { type: "number", exclusiveMinimum: 0, maximum: 10 }, max: { type: "integer", minimum: 1, maximum: 10_000 } },
    },
  ],
};

const events: JsonSchema = {
  type: "object",
  description: "ExperienceEvent datasets only: how many events each person has, of which types, when",
  additionalProperties: false,
  required: ["perPerson", "types"],
  properties: {
    perPerson,
    types: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["type", "rate"],
        properties: {
          type: { type: "string", minLength: 1, description: "the eventType value", examples: ["commerce.purchases"] },
          rate: { type: "number", exclusiveMinimum: 0, description: "relative frequency among the dataset's event types" },
          fields: { ...fields, description: "field rules for events of this type (over the dataset's)" },
        },
      },
    },
    days: { type: "integer", minimum: 1, maximum: 3650, description: "events happen in this many days before the reference time (default 90)" },
    hourly: { type: "array", minItems: 24, maxItems: 24, items: { type: "number", minimum: 0 }, description: "relative activity per hour of the day (UTC), 0 to 23" },
    weekly: { type: "array", minItems: 7, maxItems: 7, items: { type: "number", minimum: 0 }, description: "relative activity per day of the week, Monday first" },
    late: {
      type: "object",
      additionalProperties: false,
      required: ["share", "minHours", "maxHours"],
      properties: { share: share("share of events ingested late"), minHours: { type: "number", minimum: 0 }, maxHours: { type: "number", minimum: 0 } },
      description: "late ingestion; the other events are ingested within 20 s to 15 min",
    },
  },
};

const dataset: JsonSchema = {
  type: "object",
  description: "a dataset of the user's own XDM schema",
  additionalProperties: false,
  required: ["name", "schema", "primaryNamespace"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 200, description: "the dataset's name", examples: ["Game Accounts"] },
    description: { type: "string" },
    schema: { type: "string", minLength: 1, description: "the dataset's XDM JSON Schema file, relative to this config", examples: ["schemas/game-account.schema.json"] },
    primaryNamespace: { ...namespace, description: "the namespace of each row's primary identity" },
    identities: {
      type: "array",
      description: "other identities a row carries, and how often (stitching): CRMID, Email, Phone and ECID are the person's own; other namespaces get an id per person",
      items: { type: "object", additionalProperties: false, required: ["namespace"], properties: { namespace, share: share("share of rows that carry it (default 1)") } },
    },
    share: share("share of persons with rows in this dataset (default 1): how much it overlaps the others"),
    conflicts: share("profile datasets: share of persons with a second, later row whose values differ (moved, new phone, new name, other e-mail)"),
    customTimestamps: share("profile datasets: share of rows with extSourceSystemAudit.lastUpdatedDate (the schema must declare it)"),
    ingestDays: { type: "integer", minimum: 1, maximum: 3650, description: "profile datasets: rows are ingested in daily batches over this many days before the reference time (default 120)" },
    badRows: share("share of rows made deliberately bad, for pipeline tests: no identity, or (JSON Lines) a value of the wrong type"),
    fields,
    events,
  },
};

export const GENERATOR_CONFIG_SCHEMA: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: GENERATOR_CONFIG_SCHEMA_ID,
  title: "profile-lab generator config",
  description: "The shape of a generated sandbox: the built-in datasets or not, datasets of your own XDM schemas, and segments. Size, seed and reference time come from the command line.",
  type: "object",
  additionalProperties: false,
  properties: {
    builtin: {
      description:
        "the built-in shape (CRM, loyalty and web sign-up records, web and commerce events, three merge policies, 16 segments, 5 export requests): true (default), false (left out), or its rates to change",
      oneOf: [
        { type: "boolean" },
        {
          type: "object",
          additionalProperties: false,
          properties: {
            crm: rates({
              share: share("share of persons in the CRM (default 0.9)"),
              updates: share("share of CRM customers with a second, later record: moved, new phone or new name (default 0.15)"),
              customTimestamps: share("share of CRM rows with extSourceSystemAudit.lastUpdatedDate (default 0.3)"),
            }),
            loyalty: rates({
              shareOfCrm: share("share of CRM customers in the loyalty program (default 0.53)"),
              shareOfOthers: share("share of persons not in the CRM in the loyalty program (default 0.25)"),
              customTimestamps: share("share of loyalty rows with extSourceSystemAudit.lastUpdatedDate (default 0.4)"),
            }),
            web: rates({
              shareOfCrm: share("share of CRM customers with a web sign-up (default 0.27)"),
              shareOfOthers: share("share of persons not in the CRM with a web sign-up (default 0.6)"),
              otherEmail: share("share of CRM customers' sign-ups with another e-mail than the CRM's, linked only through devices (default 0.3)"),
              marketingOptIn: share("share of sign-ups consenting to marketing e-mail (default 0.55)"),
            }),
            events: rates({
              anonymous: share("share of events from anonymous devices never linked to a person (default 0.03)"),
              delayed: share("share of sessions ingested hours to days late (default 0.12)"),
              late: share("share of sessions ingested weeks late (default 0.03)"),
            }),
          },
        },
      ],
    },
    datasets: { type: "array", items: dataset },
    segments: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "pql"],
        properties: {
          name: { type: "string", minLength: 1, maxLength: 200 },
          description: { type: "string" },
          pql: { type: "string", minLength: 1, description: "the PQL expression (pql/text)" },
          mergePolicy: { enum: ["default", "stitched", "loyaltyFirst"], description: "default: no stitching; stitched: the identity graph; loyaltyFirst needs the built-in shape" },
        },
      },
    },
  },
};
