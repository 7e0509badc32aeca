import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProfileLabError } from "../xdm/errors.js";
import { schemaFromJson } from "../xdm/schema.js";
import { parseDate, parseDateTime } from "../xdm/time.js";
import { validateRecord } from "../xdm/validate.js";
import { BUILTIN_CONFIG, DEFAULT_CONFIG_FILE, parseGeneratorConfig, readGeneratorConfig } from "./gen-config.js";
import { GENERATOR_CONFIG_SCHEMA } from "./gen-config-schema.js";
import { generateSandbox, type GenerateOptions } from "./index.js";

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = mkdtempSync(join(tmpdir(), "profile-lab-gen-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROFILE = "https://ns.adobe.com/xdm/context/profile";
const EVENT = "https://ns.adobe.com/xdm/context/experienceevent";
const IDENTITY_MAP = {
  type: "object",
  "meta:xdmType": "map",
  additionalProperties: { type: "array", items: { type: "object", properties: { id: { type: "string" }, authenticatedState: { type: "string" }, primary: { type: "boolean" } } } },
};

/** A profile schema with a field of every XDM type and the constraints generation must respect. */
const MEMBER_SCHEMA = {
  $id: "https://example.test/schemas/member",
  "meta:class": PROFILE,
  type: "object",
  properties: {
    _id: { type: "string" },
    identityMap: IDENTITY_MAP,
    person: { type: "object", properties: { name: { type: "object", properties: { firstName: { type: "string" }, lastName: { type: "string" } } }, birthYear: { type: "integer" } } },
    personalEmail: { type: "object", properties: { address: { type: "string", format: "email" } } },
    mobilePhone: { type: "object", properties: { number: { type: "string" } } },
    homeAddress: { type: "object", properties: { city: { type: "string" }, postalCode: { type: "string" }, countryCode: { type: "string" } } },
    club: {
      type: "object",
      properties: {
        code: { type: "string", pattern: "^C-[0-9]{3}$" },
        tier: { type: "string", enum: ["a", "b", "c"] },
        visits: { type: "integer", "meta:xdmType": "short" },
        rating: { type: "number", minimum: 1, maximum: 5 },
        active: { type: "boolean" },
        since: { type: "string", format: "date" },
        lastSeen: { type: "string", format: "date-time" },
        homepage: { type: "string", format: "uri" },
        nickname: { type: "string", maxLength: 4 },
        tags: { type: "array", items: { type: "string" } },
        scores: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "number" } },
        visitsLog: { type: "array", items: { type: "object", properties: { at: { type: "string", format: "date-time" }, room: { type: "integer" } } } },
      },
    },
    extSourceSystemAudit: { type: "object", properties: { lastUpdatedDate: { type: "string", format: "date-time" } } },
  },
};

const VISIT_SCHEMA = {
  $id: "https://example.test/schemas/visit",
  "meta:class": EVENT,
  type: "object",
  properties: {
    _id: { type: "string" },
    timestamp: { type: "string", format: "date-time" },
    eventType: { type: "string" },
    identityMap: IDENTITY_MAP,
    visit: { type: "object", properties: { room: { type: "integer" }, minutes: { type: "number" } } },
  },
};

/** A folder with the two schemas and a config file of `text`; returns the config's path. */
function configDir(name: string, text: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "schemas"), { recursive: true });
  writeFileSync(join(dir, "schemas", "member.schema.json"), JSON.stringify(MEMBER_SCHEMA));
  writeFileSync(join(dir, "schemas", "visit.schema.json"), JSON.stringify(VISIT_SCHEMA));
  // The built-in CRM schema's person.birthYear is an integer.
  const conflict = { ...MEMBER_SCHEMA, $id: "https://example.test/schemas/conflict", properties: { ...MEMBER_SCHEMA.properties, person: { type: "object", properties: { birthYear: { type: "string" } } } } };
  writeFileSync(join(dir, "schemas", "conflict.schema.json"), JSON.stringify(conflict));
  writeFileSync(join(dir, "gen.yaml"), text);
  return join(dir, "gen.yaml");
}

const MEMBERS = `
datasets:
  - name: Club Members
    schema: schemas/member.schema.json
    primaryNamespace: MemberId
    identities:
      - { namespace: CRMID }
      - { namespace: Email, share: 0.5 }
    share: 0.4
    conflicts: 0.5
    customTimestamps: 0.5
    fields:
      club.code: { values: [C-001, C-002] }
      club.visits: { min: 3, max: 9 }
      club.tags: { values: [x, y], items: { min: 2, max: 2 } }
      club.scores: { keys: [math, art] }
      club.visitsLog.room: { value: 7 }
`;

async function generate(name: string, config: string, options: Partial<GenerateOptions> = {}): Promise<string> {
  const dir = join(root, `${name}-out`);
  await generateSandbox(dir, { profiles: 1000, eventsPerProfile: 2, seed: 3, referenceTime: "2026-11-01T00:00:00Z", name, format: "jsonl", config: readGeneratorConfig(configDir(name, config)), ...options });
  return dir;
}

function rows(dir: string, file: string): Row[] {
  return readFileSync(join(dir, "datasets", file), "utf8").trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);
}

const idOf = (row: Row, ns: string): string | undefined => row["identityMap"]?.[ns]?.[0]?.id;

/** Rows by their id in a namespace, in file order. */
function byIdentity(rs: readonly Row[], ns: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rs) {
    const id = idOf(r, ns)!;
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  return out;
}

describe("generator config files", () => {
  it("the published schema is the one configs are validated with", () => {
    const published = readFileSync(new URL("../../schemas/generator-config.schema.json", import.meta.url), "utf8");
    expect(published).toBe(`${JSON.stringify(GENERATOR_CONFIG_SCHEMA, null, 2)}\n`);
  });

  it("the shipped default config is the built-in shape", () => {
    expect(readGeneratorConfig(DEFAULT_CONFIG_FILE)).toEqual(BUILTIN_CONFIG);
  });

  const D = "datasets:\n  - name: M\n    schema: schemas/member.schema.json\n    primaryNamespace: MemberId\n    fields:\n      club.code: { value: C-001 }\n";
  it.each([
    ["a YAML syntax error", "datasets: [\n", "GEN-C001", 2, 1, "$"],
    ["an unknown top-level key, with the one meant", "segmnts: []\n", "GEN-C002", 1, 1, "$.segmnts"],
    ["a share above 1", `${D}    share: 1.5\n`, "GEN-C002", 7, 5, "$.datasets[0].share"],
    ["a schema file that does not exist", "datasets:\n  - name: M\n    schema: schemas/none.json\n    primaryNamespace: X\n", "GEN-C003", 3, 5, "$.datasets[0].schema"],
    ["a field the schema does not declare", `${D}      club.tire: { values: [a] }\n`, "GEN-C005", 7, 7, '$.datasets[0].fields["club.tire"]'],
    ["a value outside the field's enum", `${D}      club.tier: { values: [a, z] }\n`, "GEN-C006", 7, 32, '$.datasets[0].fields["club.tier"].values[1]'],
    ["a date bound on a number", `${D}      club.rating: { min: "2020-01-01" }\n`, "GEN-C006", 7, 22, '$.datasets[0].fields["club.rating"].min'],
    ["a generator that cannot make the field's type", `${D}      club.active: { generator: email }\n`, "GEN-C006", 7, 22, '$.datasets[0].fields["club.active"].generator'],
    ["a rule on the identity map", `${D}      identityMap: { omit: true }\n`, "GEN-C006", 7, 7, "$.datasets[0].fields.identityMap"],
    // No rule to point at: the dataset is located, the JSON path names the rule to add.
    ["a pattern field without values", "datasets:\n  - name: M\n    schema: schemas/member.schema.json\n    primaryNamespace: MemberId\n", "GEN-C008", 2, 5, '$.datasets[0].fields["club.code"]'],
    ["events on a profile schema", `${D}    events: { perPerson: { distribution: uniform, min: 1, max: 2 }, types: [{ type: t, rate: 1 }] }\n`, "GEN-C011", 7, 5, "$.datasets[0].events"],
    ["a field typed otherwise than in the built-in schemas", "datasets:\n  - name: M\n    schema: schemas/conflict.schema.json\n    primaryNamespace: X\n    fields: { club.code: { value: C-001 } }\n", "GEN-C004", 3, 5, "$.datasets[0].schema"],
    ["a built-in dataset's name", "datasets:\n  - name: CRM Profiles\n    schema: schemas/member.schema.json\n    primaryNamespace: X\n", "GEN-C009", 2, 5, "$.datasets[0].name"],
    ["the loyaltyFirst policy without the built-in shape", `builtin: false\n${D}segments:\n  - { name: s, pql: "true", mergePolicy: loyaltyFirst }\n`, "GEN-C010", 9, 29, "$.segments[0].mergePolicy"],
  ])("locates %s (file, line, column, JSON path)", (_, text, code, line, column, jsonPath) => {
    const file = configDir("bad", text);
    let error: unknown;
    try {
      readGeneratorConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProfileLabError);
    const e = error as ProfileLabError;
    expect({ code: e.code, ...e.location }).toEqual({ code, file, line, column, jsonPath });
    expect(e.detail).toMatch(new RegExp(`> +${line} \\|`));
  });

  it("changes the built-in shape's rates, keeping the others", async () => {
    const file = configDir("rates", "builtin:\n  crm: { share: 0.5, updates: 0 }\n  web: { shareOfCrm: 1 }\n");
    const config = readGeneratorConfig(file);
    expect(config.shape.crm).toEqual({ share: 0.5, updates: 0, customTimestamps: 0.3 });
    expect(config.shape.loyalty).toEqual(BUILTIN_CONFIG.shape.loyalty);
    const dir = join(root, "rates-out");
    await generateSandbox(dir, { profiles: 1000, eventsPerProfile: 0, seed: 3, referenceTime: "2026-11-01T00:00:00Z", name: "rates", format: "jsonl", config });
    const crm = rows(dir, "crm-profiles.jsonl");
    expect(crm.length).toBeGreaterThan(450); // one row each: no updates
    expect(crm.length).toBeLessThan(550);
    expect(new Set(crm.map((r) => idOf(r, "CRMID"))).size).toBe(crm.length);
    // Every CRM customer signed up on the web.
    const web = new Set(rows(dir, "web-signups.jsonl").map((r) => r["personalEmail"].address));
    const emails = crm.map((r) => r["personalEmail"].address as string);
    expect(emails.filter((e) => web.has(e)).length / emails.length).toBeGreaterThan(0.6); // the others used another e-mail
    expect(() => parseGeneratorConfig("builtin:\n  events: { delayed: 0.7, late: 0.5 }\n", join(root, "rates", "g.yaml"))).toThrow("add up to more than 1");
  });

  it("says which field was meant", () => {
    expect(() => parseGeneratorConfig(`datasets:\n  - { name: M, schema: schemas/member.schema.json, primaryNamespace: M, fields: { club.tire: { omit: true } } }\n`, join(root, "bad", "g.yaml"))).toThrow(
      "the schema declares no field club.tire; did you mean club.tier?",
    );
  });
});

describe("config datasets", () => {
  it("generate every declared field within its type and constraints, with the person's own values", async () => {
    const dir = await generate("members", MEMBERS);
    const members = rows(dir, "club-members.jsonl");
    const type = schemaFromJson(MEMBER_SCHEMA, "member.schema.json").type;
    const crm = new Map(rows(dir, "crm-profiles.jsonl").map((r) => [idOf(r, "CRMID"), r]));
    for (const row of members) {
      const { _acp_system_metadata: meta, ...data } = row;
      expect(validateRecord(data, type)).toBeUndefined();
      expect(parseDateTime(meta.ingestTime)).toBeDefined();
      expect(row["club"].visits).toBeGreaterThanOrEqual(3);
      expect(row["club"].visits).toBeLessThanOrEqual(9);
      expect(row["club"].tags).toHaveLength(2);
      expect(Object.keys(row["club"].scores)).toEqual(["math", "art"]);
      expect(row["club"].nickname.length).toBeLessThanOrEqual(4);
      expect(parseDate(row["club"].since)).toBeDefined();
      for (const v of row["club"].visitsLog) expect(v.room).toBe(7);
      // The CRM knows the same person by the same CRMID: same first name, and the CRM e-mail on the first row.
      const c = crm.get(idOf(row, "CRMID"));
      if (c !== undefined) expect(row["person"].name.firstName).toBe(c["person"].name.firstName);
    }
    // Every field is there on some row; names, e-mails and cities look like the person's, not like words.
    expect(members.some((r) => r["extSourceSystemAudit"] !== undefined)).toBe(true);
    expect(members.some((r) => r["extSourceSystemAudit"] === undefined)).toBe(true);
    expect(members.every((r) => /@/.test(r["personalEmail"].address) && /^\+?[\d -]+$/.test(r["mobilePhone"].number))).toBe(true);
  });

  it("give about `share` of persons a row, `conflicts` of them a second, later row that disagrees", async () => {
    const members = rows(join(root, "members-out"), "club-members.jsonl");
    const byId = byIdentity(members, "MemberId");
    expect(byId.size).toBeGreaterThan(350);
    expect(byId.size).toBeLessThan(450);
    const twice = [...byId.values()].filter((rs) => rs.length === 2);
    expect(twice.length / byId.size).toBeGreaterThan(0.4);
    expect(twice.length / byId.size).toBeLessThan(0.6);
    for (const [a, b] of twice) {
      expect(Date.parse(b!["_acp_system_metadata"].ingestTime)).toBeGreaterThanOrEqual(Date.parse(a!["_acp_system_metadata"].ingestTime));
      expect(b!["personalEmail"].address).not.toBe(a!["personalEmail"].address);
    }
    // Secondary identities at their share: CRMID always, Email about half the time.
    expect(members.every((r) => idOf(r, "CRMID") !== undefined)).toBe(true);
    const withEmail = members.filter((r) => idOf(r, "Email") !== undefined).length / members.length;
    expect(withEmail).toBeGreaterThan(0.4);
    expect(withEmail).toBeLessThan(0.6);
  });

  const visits = (perPerson: string, extra = ""): string =>
    `builtin: false\ndatasets:\n  - name: Visits\n    schema: schemas/visit.schema.json\n    primaryNamespace: VisitorId\n    events:\n      perPerson: ${perPerson}\n      types: [{ type: visit.entered, rate: 3 }, { type: visit.paid, rate: 1, fields: { visit.room: { omit: true } } }]\n${extra}`;

  it.each([
    ["uniform", "{ distribution: uniform, min: 2, max: 4 }", (n: number[]) => n.every((k) => k >= 2 && k <= 4)],
    ["normal", "{ distribution: normal, mean: 6, sd: 1, max: 8 }", (n: number[]) => n.every((k) => k <= 8) && Math.abs(n.reduce((a, b) => a + b, 0) / n.length - 6) < 0.3],
    ["zipf", "{ distribution: zipf, exponent: 1.5, max: 30 }", (n: number[]) => { const c = (k: number): number => n.filter((x) => x === k).length; return c(1) > c(2) && c(2) > c(3) && n.every((k) => k >= 1 && k <= 30); }],
  ])("draw each person's event count from a %s distribution", async (name, perPerson, holds) => {
    const dir = await generate(`visits-${name}`, visits(perPerson));
    const counts = [...byIdentity(rows(dir, "visits.jsonl"), "VisitorId").values()].map((rs) => rs.length);
    expect(counts.length).toBe(1000);
    expect(holds(counts)).toBe(true);
  });

  it("place events by type rates, hourly and weekly patterns, and ingest a share late", async () => {
    const hourly = Array.from({ length: 24 }, (_, h) => (h === 20 ? 1 : 0));
    const extra = `      days: 28\n      hourly: [${hourly.join(", ")}]\n      weekly: [0, 0, 0, 0, 0, 1, 0]\n      late: { share: 0.5, minHours: 48, maxHours: 72 }\n`;
    const dir = await generate("visits-pattern", visits("{ distribution: uniform, min: 4, max: 4 }", extra));
    const events = rows(dir, "visits.jsonl");
    const ref = Date.parse("2026-11-01T00:00:00Z");
    // Late among the events that could arrive late before the reference time (later ones arrive just before it).
    let late = 0;
    let early = 0;
    for (const e of events) {
      const t = new Date(e["timestamp"]);
      expect(t.getUTCHours()).toBe(20);
      expect(t.getUTCDay()).toBe(6); // Saturday
      expect(t.getTime()).toBeGreaterThan(ref - 28 * 86_400_000);
      const delay = Date.parse(e["_acp_system_metadata"].ingestTime) - t.getTime();
      if (t.getTime() < ref - 72 * 3_600_000) {
        early++;
        if (delay >= 48 * 3_600_000) late++;
      }
      if (e["eventType"] === "visit.paid") expect(e["visit"]?.room).toBeUndefined();
    }
    expect(late / early).toBeGreaterThan(0.4);
    expect(late / early).toBeLessThan(0.6);
    const paid = events.filter((e) => e["eventType"] === "visit.paid").length / events.length;
    expect(paid).toBeGreaterThan(0.2);
    expect(paid).toBeLessThan(0.3);
  });
});
