import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxManifest } from "../io/sandbox-manifest.js";
import { EXPERIENCE_EVENT_CLASS, PROFILE_CLASS } from "../io/sandbox-manifest.js";
import { parseDate, parseDateTime } from "../xdm/time.js";
import type { MergePolicy, SegmentDefinition } from "../xdm/types.js";
import { PROFILE_SCHEMA_NAME, PROFILE_UNION_SCHEMA_ID } from "../xdm/types.js";
import type { ExportJobRequest } from "./config.js";
import { readParquetRows } from "../io/parquet-reader.js";
import { generateSandbox, type GenerateOptions, type GenerateSummary } from "./index.js";
import { ACTIVITY_CHUNK, activityScale, BUILTIN_SHAPE, DAY as MODEL_DAY, isoDate, isoTime, makePerson, type GenContext } from "./model.js";
import { BUILTIN_CONFIG, DEFAULT_CONFIG_FILE, readGeneratorConfig } from "./gen-config.js";
import { SAMPLE_OPTIONS } from "./sample-options.js";

const EXAMPLE_CONFIG_FILE = resolve(import.meta.dirname, "..", "..", "sample-data", "generator", "example.yaml");

const OPTIONS: GenerateOptions = {
  profiles: 200,
  eventsPerProfile: 10,
  seed: 7,
  referenceTime: "2026-11-01T00:00:00Z",
  name: "test",
  format: "jsonl",
};
const REF = parseDateTime(OPTIONS.referenceTime) as number;
const DAY = 86_400_000;

type AnyJson = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let root: string;
let dirA: string;
let dirB: string;
let dirC: string;
let summaryA: GenerateSummary;
let manifest: SandboxManifest;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(dir, full));
    }
  };
  await walk(dir);
  return out.sort();
}

async function readLines(dir: string, rel: string): Promise<AnyJson[]> {
  const text = await readFile(join(dir, rel), "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line, i) => {
      try {
        return JSON.parse(line) as AnyJson;
      } catch (err) {
        throw new Error(`${rel}:${i + 1} is not valid JSON: ${String(err)}`);
      }
    });
}

async function readJson(dir: string, rel: string): Promise<AnyJson> {
  return JSON.parse(await readFile(join(dir, rel), "utf8")) as AnyJson;
}

function dataset(name: string): SandboxManifest["datasets"][number] {
  const ds = manifest.datasets.find((d) => d.name === name);
  if (ds === undefined) throw new Error(`no dataset ${name}`);
  return ds;
}

async function datasetLines(name: string): Promise<AnyJson[]> {
  const out: AnyJson[] = [];
  for (const f of dataset(name).files ?? []) out.push(...(await readLines(dirA, f)));
  return out;
}

/** Keys a property schema may use in the loader's dialect. */
const ALLOWED_KEYS: Record<string, readonly string[]> = {
  string: ["type", "format", "enum"],
  integer: ["type", "meta:xdmType"],
  number: ["type"],
  boolean: ["type"],
  object: ["type", "properties"],
  map: ["type", "meta:xdmType", "additionalProperties"],
  array: ["type", "items"],
};

function checkDialect(schema: AnyJson, path: string, errors: string[]): void {
  const kind = schema.type === "object" && schema["meta:xdmType"] === "map" ? "map" : String(schema.type);
  const allowed = ALLOWED_KEYS[kind];
  if (allowed === undefined) {
    errors.push(`${path}: unsupported type ${JSON.stringify(schema.type)}`);
    return;
  }
  for (const key of Object.keys(schema)) if (!allowed.includes(key)) errors.push(`${path}: key ${key} not allowed on ${kind}`);
  if (kind === "string" && schema.format !== undefined && !["date-time", "date"].includes(schema.format)) errors.push(`${path}: format ${schema.format}`);
  if (kind === "integer" && schema["meta:xdmType"] !== undefined && !["int", "long"].includes(schema["meta:xdmType"])) errors.push(`${path}: xdmType`);
  if (kind === "object") for (const [k, v] of Object.entries(schema.properties as object)) checkDialect(v, `${path}.${k}`, errors);
  if (kind === "map") checkDialect(schema.additionalProperties, `${path}{}`, errors);
  if (kind === "array") checkDialect(schema.items, `${path}[]`, errors);
}

/** Every value in `value` must be declared by `schema` with a matching type. */
function checkValue(value: unknown, schema: AnyJson, path: string, errors: string[]): void {
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") errors.push(`${path}: expected string, got ${JSON.stringify(value)}`);
      else if (schema.format === "date-time" && parseDateTime(value) === undefined) errors.push(`${path}: not a date-time: ${value}`);
      else if (schema.format === "date" && parseDate(value) === undefined) errors.push(`${path}: not a date: ${value}`);
      else if (schema.enum !== undefined && !(schema.enum as string[]).includes(value)) errors.push(`${path}: ${value} not in enum`);
      return;
    case "integer":
      if (!Number.isInteger(value)) errors.push(`${path}: expected integer, got ${JSON.stringify(value)}`);
      return;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) errors.push(`${path}: expected number`);
      return;
    case "boolean":
      if (typeof value !== "boolean") errors.push(`${path}: expected boolean`);
      return;
    case "array":
      if (!Array.isArray(value)) errors.push(`${path}: expected array`);
      else value.forEach((item, i) => checkValue(item, schema.items, `${path}[${i}]`, errors));
      return;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        errors.push(`${path}: expected object`);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        if (schema["meta:xdmType"] === "map") checkValue(v, schema.additionalProperties, `${path}.${k}`, errors);
        else if (schema.properties[k] === undefined) errors.push(`${path}.${k}: not declared in the schema`);
        else checkValue(v, schema.properties[k], `${path}.${k}`, errors);
      }
      return;
    }
    default:
      errors.push(`${path}: schema type ${String(schema.type)}`);
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "profile-lab-generate-"));
  dirA = join(root, "a");
  dirB = join(root, "b");
  dirC = join(root, "c");
  summaryA = await generateSandbox(dirA, OPTIONS);
  await generateSandbox(dirB, OPTIONS);
  await generateSandbox(dirC, { ...OPTIONS, seed: 8 });
  manifest = (await readJson(dirA, "sandbox.json")) as SandboxManifest;
});

afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe("determinism", () => {
  it("writes byte-identical files for the same options", async () => {
    const filesA = await listFiles(dirA);
    const filesB = await listFiles(dirB);
    expect(filesB).toEqual(filesA);
    expect(summaryA.files).toEqual(filesA);
    for (const f of filesA) {
      const [a, b] = await Promise.all([readFile(join(dirA, f)), readFile(join(dirB, f))]);
      expect(a.equals(b), f).toBe(true);
    }
  });

  it("writes different data for a different seed", async () => {
    const manifestC = (await readJson(dirC, "sandbox.json")) as SandboxManifest;
    expect(manifestC.datasets.map((d) => d.id)).not.toEqual(manifest.datasets.map((d) => d.id));
    for (const f of ["datasets/crm-profiles.jsonl", "datasets/web-commerce-events.jsonl"]) {
      const [a, c] = await Promise.all([readFile(join(dirA, f), "utf8"), readFile(join(dirC, f), "utf8")]);
      expect(a).not.toBe(c);
      const firstA = JSON.parse(a.split("\n")[0] as string) as AnyJson;
      const firstC = JSON.parse(c.split("\n")[0] as string) as AnyJson;
      expect(firstA._id).not.toBe(firstC._id);
    }
  });

  it("refuses a non-empty directory and reports bad options", async () => {
    await expect(generateSandbox(dirA, OPTIONS)).rejects.toThrow(/not empty/);
    const file = join(root, "plain-file");
    await writeFile(file, "x");
    await expect(generateSandbox(file, OPTIONS)).rejects.toThrow(/not a directory/);
    await expect(generateSandbox(join(root, "bad-time"), { ...OPTIONS, referenceTime: "yesterday" })).rejects.toThrow(/referenceTime/);
    await expect(generateSandbox(join(root, "bad-n"), { ...OPTIONS, profiles: -1 })).rejects.toThrow(/profiles/);
  });
});

describe("manifest and schemas", () => {
  it("declares five datasets with 24-hex ids, schemas and files", async () => {
    expect(manifest.name).toBe("test");
    expect(manifest.referenceTime).toBe(OPTIONS.referenceTime);
    expect(manifest.imsOrgId).toMatch(/^[0-9A-F]{24}@AdobeOrg$/);
    expect(manifest.datasets.map((d) => d.name)).toEqual([
      "CRM Profiles",
      "Loyalty Members",
      "Web Sign-ups",
      "Web and Commerce Events",
      "Profile Export",
    ]);
    const ids = manifest.datasets.map((d) => d.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(5);

    const schemaFiles = (await listFiles(dirA)).filter((f) => f.startsWith("schemas/"));
    expect(schemaFiles).toHaveLength(4);
    const schemaIds = new Map<string, AnyJson>();
    for (const f of schemaFiles) {
      expect(f).toMatch(/\.schema\.json$/);
      const schema = await readJson(dirA, f);
      schemaIds.set(schema.$id, schema);
    }
    const exportDs = dataset("Profile Export");
    expect(exportDs.schemaRef.id).toBe(PROFILE_UNION_SCHEMA_ID);
    expect(exportDs.files).toEqual([]);
    for (const ds of manifest.datasets.filter((d) => d !== exportDs)) {
      const schema = schemaIds.get(ds.schemaRef.id);
      expect(schema, ds.name).toBeDefined();
      expect(schema["meta:class"]).toBe(ds.name === "Web and Commerce Events" ? EXPERIENCE_EVENT_CLASS : PROFILE_CLASS);
      expect(ds.files?.length).toBeGreaterThan(0);
      for (const f of ds.files ?? []) expect(existsSync(join(dirA, f))).toBe(true);
    }
    expect(dataset("CRM Profiles").primaryIdentityNamespace).toBe("CRMID");
    expect(dataset("Web Sign-ups").primaryIdentityNamespace).toBe("Email");
  });

  it("writes schemas only in the loader's dialect, without system fields", async () => {
    for (const f of (await listFiles(dirA)).filter((x) => x.startsWith("schemas/"))) {
      const schema = await readJson(dirA, f);
      expect(Object.keys(schema).sort()).toEqual(["$id", "meta:class", "properties", "title", "type"]);
      expect(schema.$id).toMatch(/^https:\/\/ns\.profile-lab\.dev\/test\/schemas\/[a-z0-9-]+$/);
      expect(schema.type).toBe("object");
      const errors: string[] = [];
      for (const [k, v] of Object.entries(schema.properties as object)) checkDialect(v, `${f}:${k}`, errors);
      expect(errors).toEqual([]);
      expect(schema.properties._acp_system_metadata).toBeUndefined();
      expect(schema.properties.segmentMembership).toBeUndefined();
      expect(schema.properties._id).toEqual({ type: "string" });
      expect(schema.properties.identityMap["meta:xdmType"]).toBe("map");
      if (schema["meta:class"] === EXPERIENCE_EVENT_CLASS) {
        expect(schema.properties.timestamp).toEqual({ type: "string", format: "date-time" });
        expect(schema.properties.eventType).toEqual({ type: "string" });
      }
    }
  });
});

describe("data lines", () => {
  it("are valid JSON with system metadata, within the time window, and match the summary", async () => {
    const allIds = new Set<string>();
    let total = 0;
    for (const ds of manifest.datasets) {
      const lines = await datasetLines(ds.name);
      const isEvents = ds.name === "Web and Commerce Events";
      if (ds.name !== "Profile Export") {
        expect(lines.length, ds.name).toBe(isEvents ? summaryA.events : summaryA.records[ds.name]);
        expect(lines.length, ds.name).toBeGreaterThan(0);
      }
      for (const line of lines) {
        const meta = line._acp_system_metadata;
        expect(Object.keys(meta)).toEqual(["ingestTime", "sourceBatchId"]);
        const ingest = parseDateTime(meta.ingestTime);
        expect(ingest, meta.ingestTime).toBeDefined();
        expect(meta.sourceBatchId).toMatch(/^[0-9a-f]{32}$/);
        expect(ingest as number).toBeLessThanOrEqual(REF);
        expect(typeof line._id).toBe("string");
        expect(allIds.has(line._id)).toBe(false);
        allIds.add(line._id);
        total++;
        if (isEvents) {
          const ts = parseDateTime(line.timestamp) as number;
          expect(ts).toBeGreaterThanOrEqual(REF - 90 * DAY);
          expect(ts).toBeLessThan(REF);
          expect(ingest as number).toBeGreaterThanOrEqual(ts);
        } else {
          expect(ingest as number).toBeGreaterThanOrEqual(REF - 120 * DAY);
        }
      }
    }
    expect(allIds.size).toBe(total);
  });

  it("declare every field in their dataset's schema", async () => {
    for (const ds of manifest.datasets.filter((d) => (d.files ?? []).length > 0)) {
      const schemaFile = (await listFiles(dirA)).filter((f) => f.startsWith("schemas/"));
      let schema: AnyJson;
      for (const f of schemaFile) {
        const s = await readJson(dirA, f);
        if (s.$id === ds.schemaRef.id) schema = s;
      }
      const errors: string[] = [];
      const lines = await datasetLines(ds.name);
      lines.forEach((line, i) => {
        const { _acp_system_metadata: _meta, ...rest } = line;
        checkValue(rest, { type: "object", properties: schema.properties }, `${ds.name}:${i + 1}`, errors);
      });
      expect(errors.slice(0, 10)).toEqual([]);
    }
  });

  it("records appear in the file out of ingest order", async () => {
    const times = (await datasetLines("CRM Profiles")).map((l) => parseDateTime(l._acp_system_metadata.ingestTime) as number);
    expect(times.some((t, i) => i > 0 && t < (times[i - 1] as number))).toBe(true);
  });

  it("profile records use their primary namespaces and the expected fields", async () => {
    const primaryNs = (line: AnyJson): string[] =>
      Object.entries(line.identityMap as Record<string, { primary?: boolean }[]>)
        .filter(([, items]) => items.some((i) => i.primary === true))
        .map(([ns]) => ns);
    for (const line of await datasetLines("CRM Profiles")) {
      expect(primaryNs(line)).toEqual(["CRMID"]);
      expect(line.identityMap.Email).toHaveLength(1);
    }
    const loyalty = await datasetLines("Loyalty Members");
    for (const line of loyalty) {
      expect(primaryNs(line)).toEqual(["CRMID"]);
      expect(["bronze", "silver", "gold", "platinum"]).toContain(line.loyalty.tier);
      expect(Number.isInteger(line.loyalty.points)).toBe(true);
      expect(line.loyalty.joinDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const withAudit = loyalty.filter((l) => l.extSourceSystemAudit?.lastUpdatedDate !== undefined).length;
    expect(withAudit / loyalty.length).toBeGreaterThan(0.2);
    expect(withAudit / loyalty.length).toBeLessThan(0.6);
    for (const line of await datasetLines("Web Sign-ups")) {
      expect(primaryNs(line)).toEqual(["Email"]);
      expect(line.identityMap.ECID).toHaveLength(1);
      expect(["y", "n"]).toContain(line.consents.marketing.email.val);
    }
  });

  it("CRM and loyalty disagree for some people", async () => {
    const crm = new Map<string, AnyJson[]>();
    for (const line of await datasetLines("CRM Profiles")) {
      const id = line.identityMap.CRMID[0].id as string;
      crm.set(id, [...(crm.get(id) ?? []), line]);
    }
    let nameConflicts = 0;
    let cityConflicts = 0;
    let loyaltyEarlier = 0;
    let loyaltyLater = 0;
    let customOlderThanCrm = 0;
    for (const line of await datasetLines("Loyalty Members")) {
      const records = crm.get(line.identityMap.CRMID[0].id);
      if (records === undefined) continue;
      const first = records[0];
      if (records.some((r) => r.person.name.firstName !== line.person.name.firstName)) nameConflicts++;
      if (records.some((r) => r.homeAddress !== undefined && r.homeAddress.city !== line.homeAddress.city)) cityConflicts++;
      const lIngest = parseDateTime(line._acp_system_metadata.ingestTime) as number;
      const cIngest = parseDateTime(first._acp_system_metadata.ingestTime) as number;
      if (lIngest < cIngest) loyaltyEarlier++;
      else loyaltyLater++;
      const custom = line.extSourceSystemAudit?.lastUpdatedDate;
      if (custom !== undefined && (parseDateTime(custom) as number) < cIngest && lIngest > cIngest) customOlderThanCrm++;
    }
    expect(nameConflicts).toBeGreaterThan(0);
    expect(cityConflicts).toBeGreaterThan(0);
    expect(loyaltyEarlier).toBeGreaterThan(0);
    expect(loyaltyLater).toBeGreaterThan(0);
    expect(customOlderThanCrm).toBeGreaterThan(0);
    expect([...crm.values()].some((r) => r.length === 2)).toBe(true);
  });

  it("contains realistic, non-ASCII values", async () => {
    const crm = await datasetLines("CRM Profiles");
    const text = crm.map((l) => JSON.stringify(l)).join("\n");
    expect(/[^\u0000-\u007f]/.test(text)).toBe(true);
    const countries = new Set(crm.map((l) => l.homeAddress?.countryCode));
    for (const c of ["US", "CA", "GB", "FR", "DE", "JP"]) expect(countries.has(c), c).toBe(true);
    const emails = crm.map((l) => l.personalEmail?.address as string | undefined).filter((e): e is string => e !== undefined);
    expect(emails.some((e) => e.endsWith("@example.com"))).toBe(true);
    expect(new Set(emails).size).toBe(new Set(crm.map((l) => l.identityMap.CRMID[0].id)).size);
  });
});

describe("identities and events", () => {
  it("overlap as designed", async () => {
    const crmEmails = new Set<string>();
    for (const line of await datasetLines("CRM Profiles")) for (const item of line.identityMap.Email) crmEmails.add(item.id);
    const web = await datasetLines("Web Sign-ups");
    const webEmails = web.map((l) => l.identityMap.Email[0].id as string);
    const shared = webEmails.filter((e) => crmEmails.has(e)).length;
    expect(shared).toBeGreaterThan(0);
    expect(shared).toBeLessThan(webEmails.length); // some web-only or alternate addresses

    const events = await datasetLines("Web and Commerce Events");
    const linked = events.filter((e) => e.identityMap.ECID?.[0]?.primary === true && e.identityMap.CRMID !== undefined);
    expect(linked.length).toBeGreaterThan(events.length * 0.2);
    for (const e of events) {
      expect(e.identityMap.ECID).toHaveLength(1);
      expect(e.identityMap.ECID[0].primary).toBe(true);
    }

    // ECIDs never seen with another identity nor on a sign-up record: anonymous ("empty") profiles.
    const linkedEcids = new Set<string>(linked.map((e) => e.identityMap.ECID[0].id));
    for (const l of web) linkedEcids.add(l.identityMap.ECID[0].id);
    const anonymousEvents = events.filter((e) => !linkedEcids.has(e.identityMap.ECID[0].id));
    expect(anonymousEvents.length).toBeGreaterThan(0);
  });

  it("are commerce-shaped, in funnel order", async () => {
    const events = await datasetLines("Web and Commerce Events");
    const types = new Set(events.map((e) => e.eventType));
    expect([...types].sort()).toEqual(["commerce.productListAdds", "commerce.productViews", "commerce.purchases", "web.webpagedetails.pageViews"]);
    const addsByEcid = new Map<string, number[]>();
    for (const e of events) {
      if (e.eventType === "commerce.productListAdds") {
        const ecid = e.identityMap.ECID[0].id as string;
        addsByEcid.set(ecid, [...(addsByEcid.get(ecid) ?? []), parseDateTime(e.timestamp) as number]);
      }
    }
    for (const e of events) {
      if (e.eventType === "web.webpagedetails.pageViews") {
        expect(typeof e.web.webPageDetails.name).toBe("string");
        expect(e.web.webPageDetails.URL).toMatch(/^https:\/\//);
      } else {
        expect(e.productListItems.length).toBeGreaterThanOrEqual(1);
        expect(e.productListItems.length).toBeLessThanOrEqual(4);
        for (const item of e.productListItems) expect(Object.keys(item)).toEqual(["SKU", "name", "quantity", "priceTotal"]);
      }
      if (e.eventType === "commerce.purchases") {
        expect(e.commerce.purchases.value).toBe(1);
        expect(typeof e.commerce.order.purchaseID).toBe("string");
        expect(typeof e.commerce.order.priceTotal).toBe("number");
        expect(e.commerce.order.currencyCode).toBe("USD");
        const ts = parseDateTime(e.timestamp) as number;
        const adds = addsByEcid.get(e.identityMap.ECID[0].id) ?? [];
        expect(adds.some((t) => t < ts && ts - t < 2 * 3_600_000)).toBe(true);
      }
      expect(typeof e.environment.browserDetails.name).toBe("string");
      expect(["desktop", "mobile", "tablet"]).toContain(e.device.type);
    }
  });

  it("are skewed across people and ingested after they happen, a few of them late", async () => {
    const ctx: GenContext = {
      seed: OPTIONS.seed,
      refMs: REF,
      profiles: OPTIONS.profiles,
      eventsPerProfile: OPTIONS.eventsPerProfile,
      activityScale: activityScale(OPTIONS.seed, OPTIONS.profiles, OPTIONS.eventsPerProfile),
      datasetIds: { crm: "a", loyalty: "b", web: "c", events: "d", export: "e" },
      shape: BUILTIN_SHAPE,
      batchCache: new Map(),
      time: isoTime,
    };
    const targets = Array.from({ length: OPTIONS.profiles }, (_, i) => makePerson(ctx, i).eventTarget);
    const mean = targets.reduce((a, b) => a + b, 0) / targets.length;
    expect(targets.filter((t) => t === 0).length).toBeGreaterThan(0);
    expect(Math.max(...targets)).toBeGreaterThan(3 * mean);

    const events = await datasetLines("Web and Commerce Events");
    expect(events.length).toBeGreaterThan(OPTIONS.profiles * OPTIONS.eventsPerProfile * 0.85);
    expect(events.length).toBeLessThan(OPTIONS.profiles * OPTIONS.eventsPerProfile * 1.15);
    const delays = events.map((e) => (parseDateTime(e._acp_system_metadata.ingestTime) as number) - (parseDateTime(e.timestamp) as number));
    expect(delays.every((d) => d >= 0)).toBe(true);
    expect(delays.some((d) => d > 7 * DAY)).toBe(true);
  });
});

describe("configuration", () => {
  let policies: MergePolicy[];
  let segments: SegmentDefinition[];
  let jobs: ExportJobRequest[];

  beforeAll(async () => {
    const files = await listFiles(dirA);
    policies = await Promise.all(files.filter((f) => f.startsWith("merge-policies/")).map((f) => readJson(dirA, f)));
    segments = await Promise.all(files.filter((f) => f.startsWith("segments/")).map((f) => readJson(dirA, f)));
    jobs = await Promise.all(files.filter((f) => f.startsWith("export-jobs/")).map((f) => readJson(dirA, f)));
  });

  it("has the three merge policies", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(policies).toHaveLength(3);
    for (const p of policies) {
      expect(p.id).toMatch(uuid);
      expect(p.schema).toEqual({ name: PROFILE_SCHEMA_NAME });
      expect(p.version).toBe(1);
      expect(p.imsOrgId).toBe(manifest.imsOrgId);
      expect(Number.isInteger(p.updateEpoch)).toBe(true);
      expect(typeof p.default).toBe("boolean");
      expect(p.id).not.toBe("timestampOrdered-none-mp");
    }
    const byName = new Map(policies.map((p) => [p.name, p]));
    expect(byName.get("Default Time-based")).toMatchObject({
      identityGraph: { type: "none" },
      attributeMerge: { type: "timestampOrdered" },
      default: true,
    });
    expect(byName.get("Time-based, stitched")).toMatchObject({ identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, default: false });
    expect(byName.get("Loyalty first")).toMatchObject({
      identityGraph: { type: "pdg" },
      attributeMerge: {
        type: "dataSetPrecedence",
        order: [dataset("Loyalty Members").id, dataset("CRM Profiles").id, dataset("Web Sign-ups").id, dataset("Web and Commerce Events").id],
      },
    });
    expect(policies.filter((p) => p.default)).toHaveLength(1);
  });

  it("has at least 8 segment definitions in the platform's shape", () => {
    expect(segments.length).toBeGreaterThanOrEqual(8);
    const policyIds = new Set(policies.map((p) => p.id));
    for (const s of segments) {
      expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(s.name.length).toBeGreaterThan(0);
      expect(s.schema).toEqual({ name: PROFILE_SCHEMA_NAME });
      expect(s.expression.type).toBe("PQL");
      expect(s.expression.format).toBe("pql/text");
      expect(s.expression.value).not.toContain("'");
      expect(policyIds.has(s.mergePolicyId as string)).toBe(true);
      expect(s.version).toBe(1);
    }
    expect(new Set(segments.map((s) => s.id)).size).toBe(segments.length);
    const policyOf = (name: string): string => policies.find((p) => p.name === name)?.id as string;
    expect(segments.some((s) => s.mergePolicyId === policyOf("Time-based, stitched"))).toBe(true);
    expect(segments.some((s) => s.mergePolicyId === policyOf("Loyalty first"))).toBe(true);
  });

  it("has export-job requests that reference existing segments and the export dataset", () => {
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    const segmentIds = new Set(segments.map((s) => s.id));
    const policyIds = new Set(policies.map((p) => p.id));
    const exportId = dataset("Profile Export").id;
    for (const job of jobs) {
      expect(job.destination.datasetId).toBe(exportId);
      expect(job.schema).toEqual({ name: PROFILE_SCHEMA_NAME });
      if (job.mergePolicy !== undefined) {
        expect(policyIds.has(job.mergePolicy.id)).toBe(true);
        expect(job.mergePolicy.version).toBe(1);
      }
      for (const s of job.filter?.segments ?? []) {
        expect(segmentIds.has(s.segmentId)).toBe(true);
        if (s.segmentNs !== undefined) expect(s.segmentNs).toBe("ups");
      }
      if (job.filter?.fromIngestTimestamp !== undefined) expect(parseDateTime(job.filter.fromIngestTimestamp)).toBeDefined();
    }
    expect(jobs.some((j) => j.destination.segmentPerBatch === true && (j.filter?.segments?.length ?? 0) > 1)).toBe(true);
    expect(jobs.some((j) => j.filter?.segments === undefined && j.fields === "identityMap,person.name,homeAddress.countryCode,loyalty.tier")).toBe(true);
    const withEvents = jobs.find((j) => j.additionalFields !== undefined);
    expect(withEvents?.additionalFields?.eventList.fields).toBe("_id,timestamp,eventType,commerce.order.priceTotal");
    expect(withEvents?.additionalFields?.eventList.filter?.fromIngestTimestamp).toBeDefined();
    expect(withEvents?.filter?.segments).toHaveLength(1);
    expect(withEvents?.filter?.fromIngestTimestamp).toBeDefined();
  });
});

describe("checked-in sample", () => {
  const sampleDir = resolve(import.meta.dirname, "..", "..", "sample-data");
  it.skipIf(!existsSync(join(sampleDir, "sandbox.json")))("matches a fresh generation with the default config file (run src/generate/make-sample.ts after changes)", async () => {
    const fresh = join(root, "sample");
    const config = readGeneratorConfig(DEFAULT_CONFIG_FILE);
    expect(config).toEqual(BUILTIN_CONFIG);
    const summary = await generateSandbox(fresh, { ...SAMPLE_OPTIONS, config });
    expect(summary.persons).toBe(1000);
    expect(summary.events).toBeGreaterThan(18_000);
    expect(summary.events).toBeLessThan(22_000);
    const files = await listFiles(fresh);
    // tests/ holds the sample's segment tests and generator/ the generator configs, written by hand (make-sample.ts keeps them).
    expect((await listFiles(sampleDir)).filter((f) => !f.startsWith(".profile-lab/") && !f.startsWith("tests/") && !f.startsWith("generator/"))).toEqual(files);
    for (const f of files) {
      const [a, b] = await Promise.all([readFile(join(fresh, f)), readFile(join(sampleDir, f))]);
      expect(a.equals(b), f).toBe(true);
    }
  });
});

async function rowsOf(dir: string, files: readonly string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const f of files) for await (const { value } of readParquetRows(join(dir, f))) out.push(value);
  return out;
}

/** The datasets with files, in the manifest's order. */
async function datasetsOf(dir: string): Promise<SandboxManifest["datasets"]> {
  return ((await readJson(dir, "sandbox.json")) as SandboxManifest).datasets.filter((d) => (d.files ?? []).length > 0);
}

/** Every file of `b` has the bytes of the same file of `a`, and there are no others. */
async function expectSameFiles(a: string, b: string, label: string): Promise<void> {
  const files = await listFiles(a);
  expect(await listFiles(b), label).toEqual(files);
  for (const f of files) {
    const [x, y] = await Promise.all([readFile(join(a, f)), readFile(join(b, f))]);
    expect(x.equals(y), `${label}: ${f}`).toBe(true);
  }
}

describe("Parquet part files", () => {
  const PQ: GenerateOptions = { ...OPTIONS, profiles: 300, eventsPerProfile: 8, seed: 5, format: "parquet" };

  it("splits each dataset into part files every rowsPerFile rows, listed in order in the manifest", async () => {
    const dir = join(root, "pq-parts");
    const summary = await generateSandbox(dir, { ...PQ, rowsPerFile: 700 });
    const datasets = await datasetsOf(dir);
    const events = datasets.find((d) => d.name === "Web and Commerce Events")!;
    const parts = Math.ceil(summary.events / 700);
    expect(parts).toBeGreaterThan(2);
    expect(events.files).toEqual(Array.from({ length: parts }, (_, i) => `datasets/web-commerce-events/part-${String(i).padStart(5, "0")}.parquet`));
    const counts: number[] = [];
    for (const f of events.files!) counts.push((await rowsOf(dir, [f])).length);
    expect(counts).toEqual(Array.from({ length: parts }, (_, i) => (i < parts - 1 ? 700 : summary.events - 700 * (parts - 1))));
    expect(datasets.find((d) => d.name === "CRM Profiles")!.files).toEqual(["datasets/crm-profiles/part-00000.parquet"]);
    // Every file written is in the summary, and only those exist under datasets/.
    const listed = summary.files.filter((f) => f.startsWith("datasets/"));
    expect(listed).toEqual(datasets.flatMap((d) => d.files!).sort());
    expect((await listFiles(dir)).filter((f) => f.startsWith("datasets/"))).toEqual(listed);
  });

  it("holds the rows of the JSON Lines output, whatever rowsPerFile and the threads", async () => {
    const jsonl = await generateSandbox(join(root, "pq-jsonl"), { ...PQ, format: "jsonl" });
    const one = join(root, "pq-one");
    const many = join(root, "pq-many");
    const manyLocal = join(root, "pq-many-local");
    await generateSandbox(one, { ...PQ, workers: 0 });
    await generateSandbox(many, { ...PQ, rowsPerFile: 333, workers: 2 });
    await generateSandbox(manyLocal, { ...PQ, rowsPerFile: 333, workers: 0 });
    const jsonlSets = await datasetsOf(jsonl.dir);
    const [oneSets, manySets] = [await datasetsOf(one), await datasetsOf(many)];
    for (const [k, ds] of jsonlSets.entries()) {
      const expected: unknown[] = [];
      for (const f of ds.files!) expected.push(...(await readLines(jsonl.dir, f)));
      const a = await rowsOf(one, oneSets[k]!.files!);
      const b = await rowsOf(many, manySets[k]!.files!);
      expect(a.length, ds.name).toBe(expected.length);
      expect(a, ds.name).toEqual(expected);
      expect(b, ds.name).toEqual(a);
    }
    // The same options give the same bytes, whether worker threads make and encode the rows or this one.
    await expectSameFiles(many, manyLocal, "worker threads");
  });

  it("writes one empty part for a dataset without rows", async () => {
    const dir = join(root, "pq-empty");
    const summary = await generateSandbox(dir, { ...PQ, profiles: 20, eventsPerProfile: 0 });
    expect(summary.events).toBe(0);
    const events = (await datasetsOf(dir)).find((d) => d.name === "Web and Commerce Events")!;
    expect(events.files).toEqual(["datasets/web-commerce-events/part-00000.parquet"]);
    expect(await rowsOf(dir, events.files!)).toEqual([]);
  });

  it("reports progress every 1,000 persons and at the end", async () => {
    const calls: [number, number][] = [];
    await generateSandbox(join(root, "pq-progress"), { ...PQ, profiles: 2500, eventsPerProfile: 1, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual([
      [1000, 2500],
      [2000, 2500],
      [2500, 2500],
    ]);
  });

  it("rejects a bad rowsPerFile", async () => {
    await expect(generateSandbox(join(root, "pq-bad"), { ...PQ, rowsPerFile: 0 })).rejects.toThrow(/rowsPerFile/);
  });
});

describe("blocks of persons on worker threads", () => {
  // Three blocks of persons (the last one partial), and parts smaller and larger than a block's rows.
  const BLOCKS: GenerateOptions = { ...OPTIONS, profiles: 2300, eventsPerProfile: 2, seed: 17, format: "parquet" };
  const ROWS_PER_FILE = [700, 3000] as const;
  /** rows per file → the sandbox generated in this thread, and its summary. */
  const here = new Map<number, { dir: string; summary: GenerateSummary }>();
  beforeAll(async () => {
    for (const rowsPerFile of ROWS_PER_FILE) {
      const dir = join(root, `blocks-${rowsPerFile}-here`);
      here.set(rowsPerFile, { dir, summary: await generateSandbox(dir, { ...BLOCKS, rowsPerFile, workers: 0 }) });
    }
  }, 120_000);

  // The reference makes and encodes the rows in this thread; the others on worker threads.
  it.each(ROWS_PER_FILE)("write byte-identical Parquet files with 1, 2 and 4 workers (%i rows per file)", async (rowsPerFile) => {
    const { dir: reference, summary } = here.get(rowsPerFile)!;
    expect(summary.workers).toBe(0);
    expect(summary.events).toBeGreaterThan(rowsPerFile); // several parts
    for (const workers of [1, 2, 4]) {
      const dir = join(root, `blocks-${rowsPerFile}-w${workers}`);
      const other = await generateSandbox(dir, { ...BLOCKS, rowsPerFile, workers });
      expect(other.workers).toBe(workers);
      expect({ ...other, dir: reference, workers: 0 }).toEqual(summary);
      await expectSameFiles(reference, dir, `${workers} workers`);
    }
  }, 300_000);

  it("write byte-identical files with 1, 2 and 4 workers with a config's own datasets", async () => {
    // The example's own datasets alone (the built-in ones are held to this above).
    const config = { ...readGeneratorConfig(EXAMPLE_CONFIG_FILE), builtin: false };
    const options: GenerateOptions = { ...BLOCKS, profiles: 2100, rowsPerFile: 1500, config };
    const reference = join(root, "config-here");
    const summary = await generateSandbox(reference, { ...options, workers: 0 });
    expect(summary.datasets["Game Events"]!.rows).toBeGreaterThan(1500); // several parts
    for (const workers of [1, 2, 4]) {
      const dir = join(root, `config-w${workers}`);
      const other = await generateSandbox(dir, { ...options, workers });
      expect({ ...other, dir: reference, workers: 0 }).toEqual(summary);
      await expectSameFiles(reference, dir, `${workers} workers`);
    }
  }, 300_000);

  it("hold the same rows in the same order whatever the rows per file: those of the JSON Lines output", async () => {
    const jsonl = join(root, "blocks-jsonl");
    await generateSandbox(jsonl, { ...BLOCKS, format: "jsonl", workers: 2 });
    const jsonlSets = await datasetsOf(jsonl);
    for (const rowsPerFile of ROWS_PER_FILE) {
      const { dir } = here.get(rowsPerFile)!;
      const sets = await datasetsOf(dir);
      for (const [k, ds] of jsonlSets.entries()) {
        const expected: unknown[] = [];
        for (const f of ds.files!) expected.push(...(await readLines(jsonl, f)));
        expect(sets[k]!.files!.length, ds.name).toBe(Math.max(1, Math.ceil(expected.length / rowsPerFile)));
        expect(await rowsOf(dir, sets[k]!.files!), `${ds.name}, ${rowsPerFile} rows per file`).toEqual(expected);
      }
    }
  }, 300_000);

  it("write the JSON Lines files of the one-pass generator whatever the workers", async () => {
    const dir = join(root, "blocks-jsonl-here");
    await generateSandbox(dir, { ...BLOCKS, format: "jsonl", workers: 0 });
    await expectSameFiles(dir, join(root, "blocks-jsonl"), "JSON Lines, 2 workers");
  }, 300_000);

  it("report rows and bytes per dataset", async () => {
    const { dir, summary } = here.get(ROWS_PER_FILE[0])!;
    const sets = await datasetsOf(dir);
    expect(Object.keys(summary.datasets)).toEqual(sets.map((d) => d.name));
    for (const ds of sets) {
      let bytes = 0;
      for (const f of ds.files!) bytes += (await readFile(join(dir, f))).byteLength;
      expect(summary.datasets[ds.name], ds.name).toEqual({ rows: (await rowsOf(dir, ds.files!)).length, bytes });
    }
    expect(summary.datasets["Web and Commerce Events"]!.rows).toBe(summary.events);
    expect(summary.datasets["CRM Profiles"]!.rows).toBe(summary.records["CRM Profiles"]);
  });

  it("compute the activity scale on the workers, chunk by chunk, to the bit of the one computed here", async () => {
    // Three chunks of persons' weights (ACTIVITY_CHUNK), the last one partial; a different scale would change
    // some persons' event counts.
    const options: GenerateOptions = { ...OPTIONS, profiles: 2 * ACTIVITY_CHUNK + 500, eventsPerProfile: 1, seed: 5, format: "jsonl" };
    const reference = join(root, "activity-here");
    const summary = await generateSandbox(reference, { ...options, workers: 0 });
    const dir = join(root, "activity-w2");
    expect({ ...(await generateSandbox(dir, { ...options, workers: 2 })), dir: reference, workers: 0 }).toEqual(summary);
    await expectSameFiles(reference, dir, "2 workers");
  }, 300_000);

  it("rejects a bad worker count", async () => {
    await expect(generateSandbox(join(root, "blocks-bad"), { ...BLOCKS, workers: -1 })).rejects.toThrow(/options\.workers/);
  });
});

describe("isoTime", () => {
  it("formats like Date.toISOString", () => {
    for (const ms of [0, 1, 999, 1000, 59_999, 3_599_999, MODEL_DAY - 1, MODEL_DAY, Date.UTC(2026, 10, 1, 23, 59, 59, 999), Date.UTC(2000, 1, 29, 12), 253_402_300_799_999, 253_402_300_800_000, -1, 1.5]) {
      expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    }
    for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 7_777_777) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});

describe("isoDate", () => {
  it("is the date of Date.toISOString, the day's first and last instants and days before 1970 included", () => {
    for (const ms of [0, -1, MODEL_DAY - 1, MODEL_DAY, Date.UTC(1955, 2, 3), Date.UTC(1955, 2, 3) - 1, Date.UTC(2000, 1, 29, 23, 59, 59, 999), 253_402_300_800_000, 1.5]) {
      expect(isoDate(ms), String(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
    }
  });
});
