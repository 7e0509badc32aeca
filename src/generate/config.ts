/**
 * The sandbox's configuration objects, exactly in the platform's JSON shapes: merge policies
 * (`GET /config/mergePolicies/{id}`), segment definitions (Segmentation API) and export-job request bodies
 * (`POST /export/jobs`).
 */
import type { MergePolicy, SegmentDefinition } from "../xdm/types.js";
import { PROFILE_SCHEMA_NAME, UPS_NAMESPACE } from "../xdm/types.js";
import type { SegmentConfig } from "./gen-config-schema.js";
import { DAY, type DatasetKey } from "./model.js";
import { derivedUuid } from "./random.js";

export type PolicyKey = "default" | "stitched" | "loyaltyFirst";

export interface ConfigInput {
  readonly seed: number;
  readonly refMs: number;
  readonly imsOrgId: string;
  readonly datasetIds: Readonly<Record<DatasetKey, string>>;
}

export interface NamedJson<T> {
  /** File name without extension. */
  readonly slug: string;
  readonly json: T;
}

function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** RFC 3339 without milliseconds, as in the platform's request examples. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function policyIds(seed: number): Record<PolicyKey, string> {
  return {
    default: derivedUuid(seed, "merge-policy", "default"),
    stitched: derivedUuid(seed, "merge-policy", "stitched"),
    loyaltyFirst: derivedUuid(seed, "merge-policy", "loyalty-first"),
  };
}

export function buildMergePolicies(input: ConfigInput): NamedJson<MergePolicy>[] {
  const ids = policyIds(input.seed);
  const base = (id: string, name: string): Pick<MergePolicy, "id" | "name" | "imsOrgId" | "schema" | "version"> => ({
    id,
    name,
    imsOrgId: input.imsOrgId,
    schema: { name: PROFILE_SCHEMA_NAME },
    version: 1,
  });
  const d = input.datasetIds;
  return [
    {
      slug: "default-time-based",
      json: {
        ...base(ids.default, "Default Time-based"),
        identityGraph: { type: "none" },
        attributeMerge: { type: "timestampOrdered" },
        isActiveOnEdge: false,
        default: true,
        updateEpoch: epochSeconds(input.refMs - 150 * DAY),
      },
    },
    {
      slug: "time-based-stitched",
      json: {
        ...base(ids.stitched, "Time-based, stitched"),
        identityGraph: { type: "pdg" },
        attributeMerge: { type: "timestampOrdered" },
        isActiveOnEdge: false,
        default: false,
        updateEpoch: epochSeconds(input.refMs - 125 * DAY + 3_600_000),
      },
    },
    {
      slug: "loyalty-first",
      json: {
        ...base(ids.loyaltyFirst, "Loyalty first"),
        identityGraph: { type: "pdg" },
        attributeMerge: { type: "dataSetPrecedence", order: [d.loyalty, d.crm, d.web, d.events] },
        isActiveOnEdge: false,
        default: false,
        updateEpoch: epochSeconds(input.refMs - 125 * DAY + 7_200_000),
      },
    },
  ];
}

interface SegmentSpec {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly policy: PolicyKey;
  readonly pql: string;
}

/**
 * The audiences. Attribute-only audiences use the default policy (no stitching); audiences on events use the
 * stitched policy, because events are keyed by ECID and reach a customer's attributes only through the
 * identity graph (under `none` every ECID is its own, record-less profile).
 */
export const SEGMENT_SPECS: readonly SegmentSpec[] = [
  {
    slug: "us-residents",
    name: "US residents",
    description: "Profiles whose home address is in the United States.",
    policy: "default",
    pql: 'homeAddress.countryCode = "US"',
  },
  {
    slug: "gold-platinum-loyalty",
    name: "Gold or platinum loyalty members",
    description: "Loyalty members in the two top tiers.",
    policy: "default",
    pql: 'loyalty.tier in ["gold", "platinum"]',
  },
  {
    slug: "edu-email",
    name: "University e-mail addresses",
    description: "Profiles with a personal e-mail address on a .edu domain.",
    policy: "default",
    pql: 'personalEmail.address.endsWith(".edu")',
  },
  {
    slug: "gmail-users",
    name: "Gmail users",
    description: "Profiles whose personal e-mail is a Gmail address.",
    policy: "default",
    pql: 'personalEmail.address.contains("@gmail.")',
  },
  {
    slug: "example-com-accounts",
    name: "Test accounts (example.com)",
    description: "Profiles registered with an example.com address, usually test or placeholder accounts.",
    policy: "default",
    pql: 'personalEmail.address like "%@example.com"',
  },
  {
    slug: "born-before-1980",
    name: "Born before 1980",
    description: "Profiles with a birth year before 1980.",
    policy: "default",
    pql: "person.birthYear < 1980",
  },
  {
    slug: "email-marketing-opt-in",
    name: "Subscribed to marketing e-mail",
    description: "Profiles that consented to marketing e-mail on the web sign-up form.",
    policy: "default",
    pql: 'consents.marketing.email.val = "y"',
  },
  {
    slug: "missing-birth-date",
    name: "E-mail on file but no birth date",
    description: "Data-quality audience: an e-mail address is known but the birth date is not.",
    policy: "default",
    pql: "personalEmail.address and not person.birthDate",
  },
  {
    slug: "robert-or-bob",
    name: "Robert or Bob",
    description: "First name Robert or its nickname Bob (CRM and loyalty spell it differently).",
    policy: "default",
    pql: 'person.name.firstName in ["Robert", "Bob"]',
  },
  {
    slug: "early-loyalty-members",
    name: "Loyalty members since 2016 or earlier",
    description: "Loyalty members who joined between 2012 and 2016.",
    policy: "default",
    pql: "loyalty.joinDate occurs between date(2012, 1, 1) and date(2016, 12, 31)",
  },
  {
    slug: "frequent-buyers",
    name: "Frequent buyers",
    description: "Stitched profiles with three or more purchases.",
    policy: "stitched",
    pql: 'xEvent[eventType = "commerce.purchases"].count() >= 3',
  },
  {
    slug: "big-spenders",
    name: "Big spenders",
    description: "Stitched profiles with at least one order over 500.",
    policy: "stitched",
    pql: 'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 500].count() > 0',
  },
  {
    slug: "cart-abandoners-7d",
    name: "Cart abandoners (last 7 days)",
    description: "Added a product to the cart in the last 7 days and bought nothing in that time.",
    policy: "stitched",
    pql:
      '(select A from xEvent where A.eventType = "commerce.productListAdds" and A.timestamp occurs <= 7 days before now)' +
      ' and not (select P from xEvent where P.eventType = "commerce.purchases" and P.timestamp occurs <= 7 days before now)',
  },
  {
    slug: "us-buyers-last-month",
    name: "US customers who purchased last month",
    description: "Stitched: a US home address (from CRM) and a purchase event last calendar month (from a device).",
    policy: "stitched",
    pql: 'homeAddress.countryCode = "US" and (select X from xEvent where X.eventType = "commerce.purchases" and X.timestamp occurs last month)',
  },
  {
    slug: "mobile-purchasers",
    name: "Mobile purchasers",
    description: "Stitched profiles that completed a purchase on a mobile device before today.",
    policy: "stitched",
    pql: 'select X from xEvent where X.eventType = "commerce.purchases" and X.device.type = "mobile" and X.timestamp occurs before today',
  },
  {
    slug: "north-american-platinum",
    name: "North American platinum members (loyalty data first)",
    description: "Platinum tier and a US or Canadian address, preferring the loyalty system's values over CRM's.",
    policy: "loyaltyFirst",
    pql: 'loyalty.tier = "platinum" and homeAddress.countryCode in ["US", "CA"]',
  },
];

export function segmentId(seed: number, slug: string): string {
  return derivedUuid(seed, "segment", slug);
}

export function buildSegments(input: ConfigInput): NamedJson<SegmentDefinition>[] {
  const ids = policyIds(input.seed);
  return SEGMENT_SPECS.map((spec) => ({ slug: spec.slug, json: segmentJson(segmentId(input.seed, spec.slug), spec.name, spec.description, spec.pql, ids[spec.policy]) }));
}

/** A segment definition in the platform's shape. */
function segmentJson(id: string, name: string, description: string | undefined, pql: string, mergePolicyId: string): SegmentDefinition {
  return {
    id,
    name,
    ...(description === undefined ? {} : { description }),
    schema: { name: PROFILE_SCHEMA_NAME },
    expression: { type: "PQL", format: "pql/text", value: pql },
    mergePolicyId,
    version: 1,
    evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
  };
}

/** A name as a file name: lowercase letters, digits and dashes. */
export function slugOf(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "unnamed";
}

/** A generator config's segments (their names were checked distinct from the built-in ones). */
export function configSegments(input: ConfigInput, segments: readonly SegmentConfig[]): NamedJson<SegmentDefinition>[] {
  const ids = policyIds(input.seed);
  return segments.map((s) => {
    const slug = slugOf(s.name);
    return { slug, json: segmentJson(segmentId(input.seed, `config:${slug}`), s.name, s.description, s.pql, ids[s.mergePolicy ?? "default"]) };
  });
}

/** An export-job request body (`POST /export/jobs`), field for field as the platform's examples. */
export interface ExportJobRequest {
  fields?: string;
  mergePolicy?: { id: string; version?: number };
  filter?: {
    segments?: { segmentId: string; segmentNs?: string; status?: string[] }[];
    segmentQualificationTime?: { startTime?: string; endTime?: string };
    fromIngestTimestamp?: string;
    emptyProfiles?: boolean;
  };
  additionalFields?: { eventList: { fields?: string; filter?: { fromIngestTimestamp?: string } } };
  destination: { datasetId: string; segmentPerBatch?: boolean };
  schema: { name: string };
}

export function buildExportJobs(input: ConfigInput): NamedJson<ExportJobRequest>[] {
  const ids = policyIds(input.seed);
  const seg = (slug: string): string => segmentId(input.seed, slug);
  const exportDataset = input.datasetIds.export;
  const schema = { name: PROFILE_SCHEMA_NAME };
  const ref = input.refMs;
  return [
    {
      // (a) Several audiences, one batch per audience, default status.
      slug: "audiences-per-batch",
      json: {
        mergePolicy: { id: ids.default, version: 1 },
        filter: {
          segments: [
            { segmentId: seg("us-residents"), segmentNs: UPS_NAMESPACE },
            { segmentId: seg("gold-platinum-loyalty"), segmentNs: UPS_NAMESPACE },
            { segmentId: seg("email-marketing-opt-in"), segmentNs: UPS_NAMESPACE },
          ],
        },
        destination: { datasetId: exportDataset, segmentPerBatch: true },
        schema,
      },
    },
    {
      // (b) All profiles (no audience filter), a few fields only.
      slug: "all-profiles-projection",
      json: {
        fields: "identityMap,person.name,homeAddress.countryCode,loyalty.tier",
        mergePolicy: { id: ids.stitched, version: 1 },
        destination: { datasetId: exportDataset, segmentPerBatch: false },
        schema,
      },
    },
    {
      // (c) One audience with its recent events attached (filtered on ingestion time, not event time).
      slug: "big-spenders-with-events",
      json: {
        fields: "identityMap,person.name,personalEmail.address,homeAddress.countryCode",
        mergePolicy: { id: ids.stitched, version: 1 },
        filter: {
          segments: [{ segmentId: seg("big-spenders"), segmentNs: UPS_NAMESPACE, status: ["realized"] }],
          fromIngestTimestamp: rfc3339(ref - 60 * DAY),
        },
        additionalFields: {
          eventList: {
            fields: "_id,timestamp,eventType,commerce.order.priceTotal",
            filter: { fromIngestTimestamp: rfc3339(ref - 30 * DAY) },
          },
        },
        destination: { datasetId: exportDataset, segmentPerBatch: false },
        schema,
      },
    },
    {
      // (d) Recently qualified members of two event audiences, explicit statuses.
      slug: "recent-qualifiers",
      json: {
        fields: "identityMap,person.name,personalEmail.address",
        mergePolicy: { id: ids.stitched, version: 1 },
        filter: {
          segments: [
            { segmentId: seg("frequent-buyers"), segmentNs: UPS_NAMESPACE, status: ["realized"] },
            { segmentId: seg("cart-abandoners-7d"), segmentNs: UPS_NAMESPACE, status: ["realized", "existing"] },
          ],
          segmentQualificationTime: { startTime: rfc3339(ref - 30 * DAY) },
        },
        destination: { datasetId: exportDataset, segmentPerBatch: false },
        schema,
      },
    },
    {
      // (e) Everything updated in the last two weeks, including event-only ("empty") profiles.
      slug: "recently-updated-incl-empty",
      json: {
        fields: "identityMap",
        mergePolicy: { id: ids.default, version: 1 },
        filter: { fromIngestTimestamp: rfc3339(ref - 14 * DAY), emptyProfiles: true },
        destination: { datasetId: exportDataset },
        schema,
      },
    },
  ];
}
