/**
 * `generate --from-sandbox` on the sample sandbox through the CLI: data for the sample's own datasets, schemas,
 * policies and segments, in the shape its rows show; `--target-audience` steers a segment to 30 % of its merge
 * policy's profiles, and a segment job on the result (not the generator's own count) finds it within ±5 points.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { GenerateSummary } from "../src/generate/index.js";
import type { SandboxManifest } from "../src/io/sandbox-manifest.js";
import { cliInProcess, cliJsonInProcess, SAMPLE, SAMPLE_AS_OF } from "./helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-from-sandbox-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const manifestOf = (dir: string): SandboxManifest => JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as SandboxManifest;
const segmentId = (name: string): string =>
  readdirSync(join(SAMPLE, "segments"))
    .map((f) => JSON.parse(readFileSync(join(SAMPLE, "segments", f), "utf8")) as { id: string; name: string })
    .find((s) => s.name === name)!.id;

interface SegmentJobJson {
  metrics: { segmentedProfileCounter: Record<string, number>; totalProfilesByMergePolicy: Record<string, number> };
}

describe("generate --from-sandbox", () => {
  const dir = join(root, "us-30");
  // Two blocks of persons (the second of one), so that two workers each make one.
  const ARGS = ["--from-sandbox", SAMPLE, "--profiles", "1001", "--target-audience", "US residents=30%", "--format", "jsonl", "--name", "same", "--quiet"];
  let summary: GenerateSummary;

  it("steers a segment to the asked share and reports the share reached", async () => {
    summary = await cliJsonInProcess<GenerateSummary>("generate", dir, ...ARGS, "--workers", "2");
    const [target] = summary.targets!;
    expect(target).toMatchObject({ segmentId: segmentId("US residents"), name: "US residents", share: 0.3 });
    expect(target!.achieved).toBeGreaterThan(0.25);
    expect(target!.achieved).toBeLessThan(0.35);
    expect(target!.profiles).toBeGreaterThan(1001);
  }, 120_000);

  it("a segment job on the result finds the share within ±5 points, with the generator's own counts", async () => {
    const job = await cliJsonInProcess<SegmentJobJson>("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF);
    const id = segmentId("US residents");
    const policy = (JSON.parse(readFileSync(join(dir, "segments", "us-residents.json"), "utf8")) as { mergePolicyId: string }).mergePolicyId;
    const members = job.metrics.segmentedProfileCounter[id]!;
    const profiles = job.metrics.totalProfilesByMergePolicy[policy]!;
    expect(Math.abs(members / profiles - 0.3)).toBeLessThanOrEqual(0.05);
    expect({ members, profiles }).toEqual({ members: summary.targets![0]!.members, profiles: summary.targets![0]!.profiles });
  }, 120_000);

  it("keeps the sandbox's datasets, definitions and event types, and check --data passes", async () => {
    const source = manifestOf(SAMPLE);
    const made = manifestOf(dir);
    expect(made.datasets.map((d) => [d.id, d.name, d.schemaRef.id])).toEqual(source.datasets.map((d) => [d.id, d.name, d.schemaRef.id]));
    for (const folder of ["merge-policies", "segments", "export-jobs"]) {
      for (const f of readdirSync(join(SAMPLE, folder))) expect(readFileSync(join(dir, folder, f), "utf8"), `${folder}/${f}`).toBe(readFileSync(join(SAMPLE, folder, f), "utf8"));
    }
    const events = made.datasets.find((d) => d.name === "Web and Commerce Events")!;
    const rows = readFileSync(join(dir, events.files![0]!), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(new Set(rows.map((r) => r["eventType"]))).toEqual(new Set(["web.webpagedetails.pageViews", "commerce.productViews", "commerce.productListAdds", "commerce.purchases"]));
    // Fields follow the event type as in the sample: page views carry no products, purchases an order.
    expect(rows.filter((r) => r["eventType"] === "web.webpagedetails.pageViews").every((r) => r["productListItems"] === undefined)).toBe(true);
    expect(rows.filter((r) => r["eventType"] === "commerce.purchases").every((r) => r["commerce"]?.order?.priceTotal !== undefined)).toBe(true);
    const check = await cliJsonInProcess<{ data: { valid: boolean; badRows: number } }>("check", "--sandbox", dir, "--data");
    expect(check.data).toMatchObject({ valid: true, badRows: 0 });
  }, 120_000);

  it("writes the same files with 1 and 2 workers when steering", async () => {
    const one = join(root, "w1");
    expect((await cliInProcess("generate", one, ...ARGS, "--workers", "1")).status).toBe(0);
    for (const f of [...manifestOf(dir).datasets.flatMap((d) => d.files ?? []), "sandbox.json"]) expect(readFileSync(join(one, f)).equals(readFileSync(join(dir, f))), f).toBe(true);
  }, 300_000);

  it("names the sandbox's segments when the target is not one of them", async () => {
    const r = await cliInProcess("generate", join(root, "unknown"), "--from-sandbox", SAMPLE, "--target-audience", "US resident=30%", "--quiet");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('GEN-T001');
    expect(r.stderr).toContain('has no segment "US resident"');
    expect(r.stderr).toContain('"US residents"');
    const usage = await cliInProcess("generate", join(root, "no-source"), "--target-audience", "US residents=30%", "--quiet");
    expect(usage.status).not.toBe(0);
    expect(usage.stderr).toContain("use it with --from-sandbox");
  });
});
