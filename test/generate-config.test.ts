/**
 * `generate --config` end to end through the CLI: a config with a schema of its own (fields the built-in shape
 * lacks, a GamerTag namespace, event types of its own) makes data that `check --data` passes and that segments
 * on the new fields evaluate — the audience counted again from the rows themselves; deliberately bad rows are
 * the ones `check --data` reports; mistakes in the config are located.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { GenerateSummary } from "../src/generate/index.js";
import { cliInProcess, cliJsonInProcess, REPO, SAMPLE_AS_OF } from "./helpers/cli.js";

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = mkdtempSync(join(tmpdir(), "profile-lab-generate-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// The example's schemas (sample-data/generator/schemas), beside the configs written here.
cpSync(join(REPO, "sample-data", "generator", "schemas"), join(root, "schemas"), { recursive: true });

const CONFIG = `
datasets:
  - name: Game Accounts
    schema: schemas/game-account.schema.json
    primaryNamespace: GamerTag
    identities: [{ namespace: Email, share: 0.8 }]
    share: 0.5
    fields:
      gaming.level: { min: 1, max: 60 }
      gaming.platform: { values: [pc, console, mobile], weights: [5, 3, 2] }
  - name: Game Events
    schema: schemas/game-event.schema.json
    primaryNamespace: ECID
    identities: [{ namespace: GamerTag, share: 0.7 }]
    share: 0.4
    events:
      perPerson: { distribution: uniform, min: 1, max: 6 }
      types:
        - { type: game.matchCompleted, rate: 6 }
        - { type: game.itemPurchased, rate: 1, fields: { gaming.price: { min: 1, max: 50 } } }
segments:
  - name: Console players above level 40
    pql: gaming.platform = "console" and gaming.level > 40
  - name: Game item buyers
    pql: xEvent[eventType = "game.itemPurchased"].count() > 0
    mergePolicy: stitched
`;

function writeConfig(name: string, text: string): string {
  const file = join(root, name);
  writeFileSync(file, text);
  return file;
}

function rows(dir: string, file: string): Row[] {
  return readFileSync(join(dir, "datasets", file), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Row);
}

interface CheckJson {
  data: { valid: boolean; rowsChecked: number; badRows: number; byFile: { datasetName: string; rowsChecked: number; badRows: number }[] };
}
interface SegmentJobJson {
  metrics: { segmentedProfileCounter: Record<string, number> };
}

async function generate(dir: string, config: string, ...args: string[]): Promise<void> {
  const r = await cliInProcess("generate", dir, "--config", config, "--profiles", "600", "--events-per-profile", "4", "--quiet", ...args);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

describe("generate --config", () => {
  const config = writeConfig("game.yaml", CONFIG);

  it.each(["jsonl", "parquet"])("writes %s data of the config's own schemas that check --data passes", async (format) => {
    const dir = join(root, `game-${format}`);
    await generate(dir, config, "--format", format);
    const check = await cliJsonInProcess<CheckJson>("check", "--sandbox", dir, "--data");
    expect(check.data.valid).toBe(true);
    expect(check.data.badRows).toBe(0);
    const checked = new Map(check.data.byFile.map((f) => [f.datasetName, f.rowsChecked]));
    expect(checked.get("Game Accounts")).toBeGreaterThan(200);
    expect(checked.get("Game Events")).toBeGreaterThan(200);
    expect(checked.get("CRM Profiles")).toBeGreaterThan(0);
  });

  it("segments on the new fields evaluate: the audience is the one the rows give", async () => {
    const dir = join(root, "game-jsonl");
    const job = await cliJsonInProcess<SegmentJobJson>("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF);
    const size = (slug: string): number => {
      const { id } = JSON.parse(readFileSync(join(dir, "segments", `${slug}.json`), "utf8")) as { id: string };
      return job.metrics.segmentedProfileCounter[id] ?? 0;
    };
    // Under the default policy a profile is the rows of one primary identity: one Game Accounts row per GamerTag.
    const accounts = rows(dir, "game-accounts.jsonl");
    const expected = accounts.filter((r) => r["gaming"]?.platform === "console" && r["gaming"]?.level > 40).length;
    expect(expected).toBeGreaterThan(10);
    expect(size("console-players-above-level-40")).toBe(expected);
    // Stitched: the buyers are persons with an itemPurchased event (devices stitched to one person count once).
    const buyers = rows(dir, "game-events.jsonl").filter((e) => e["eventType"] === "game.itemPurchased");
    const bought = size("game-item-buyers");
    expect(bought).toBeGreaterThan(0);
    expect(bought).toBeLessThanOrEqual(new Set(buyers.map((e) => e["identityMap"].ECID[0].id)).size);
  });

  it("writes the share of deliberately bad rows asked for, and check --data reports exactly those", async () => {
    const bad = writeConfig("bad-rows.yaml", CONFIG.replace("    share: 0.5\n", "    share: 0.5\n    badRows: 0.2\n"));
    const dir = join(root, "bad-rows");
    await generate(dir, bad, "--format", "jsonl");
    const accounts = rows(dir, "game-accounts.jsonl");
    const spoiled = accounts.filter((r) => r["identityMap"] === undefined || typeof r["_id"] !== "string").length;
    expect(spoiled / accounts.length).toBeGreaterThan(0.1);
    expect(spoiled / accounts.length).toBeLessThan(0.3);
    const r = await cliInProcess("check", "--sandbox", dir, "--data", "--json");
    expect(r.status).not.toBe(0);
    const check = JSON.parse(r.stdout) as CheckJson;
    expect(check.data.byFile.find((f) => f.datasetName === "Game Accounts")!.badRows).toBe(spoiled);
    expect(check.data.badRows).toBe(spoiled);
  });

  it("reports the distributions reached: persons with rows, rows each, events per type", async () => {
    const summary = await cliJsonInProcess<GenerateSummary>("generate", join(root, "distributions"), "--config", config, "--profiles", "600", "--events-per-profile", "2", "--format", "jsonl", "--quiet");
    const [accounts, events] = summary.distributions;
    expect(accounts).toMatchObject({ name: "Game Accounts", rowsPerPerson: 1 });
    expect(Math.abs(accounts!.share - 0.5)).toBeLessThan(0.06);
    expect(accounts!.persons).toBe(rows(join(root, "distributions"), "game-accounts.jsonl").length);
    expect(events!.name).toBe("Game Events");
    expect(Math.abs(events!.share - 0.4)).toBeLessThan(0.06);
    expect(events!.rowsPerPerson).toBeGreaterThan(2.5); // uniform 1–6: 3.5 on average
    expect(events!.rowsPerPerson).toBeLessThan(4.5);
    const types = events!.eventTypes!;
    expect(Object.keys(types)).toEqual(["game.itemPurchased", "game.matchCompleted"]);
    expect(types["game.matchCompleted"]! / (types["game.matchCompleted"]! + types["game.itemPurchased"]!)).toBeGreaterThan(0.8); // rates 6 : 1
    expect(types["game.matchCompleted"]! + types["game.itemPurchased"]!).toBe(summary.datasets["Game Events"]!.rows);
  });

  it("locates a mistake in the config: file, line, column, JSON path and a source frame", async () => {
    const file = writeConfig("typo.yaml", CONFIG.replace("gaming.level: { min: 1, max: 60 }", "gaming.levl: { min: 1, max: 60 }"));
    const r = await cliInProcess("generate", join(root, "typo"), "--config", file, "--quiet");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`GEN-C005 ${file}:9:7 at $.datasets[0].fields["gaming.levl"]: the schema declares no field gaming.levl; did you mean gaming.level?`);
    expect(r.stderr).toContain(">  9 |       gaming.levl:");
  });

  it("prints the default config, which makes the built-in shape", async () => {
    const r = await cliInProcess("generate", "--print-config");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(REPO, "sample-data", "generator", "default.yaml"), "utf8"));
  });
});
