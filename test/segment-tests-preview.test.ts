/** `preview` and `estimate` end to end: their answers, and `.profile-lab/` byte-identical after them. */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliJson, copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

/** Every file under `dir` with the SHA-256 of its bytes. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

describe("preview and estimate", () => {
  it("answer without writing: .profile-lab/ is byte-identical, and not created where there is none", () => {
    const dir = copySample();
    const asOf = ["--as-of", SAMPLE_AS_OF];
    const fresh = cliJson<{ size: number }>("preview", "--sandbox", dir, "--segment", "US residents", ...asOf);
    expect(fresh.size).toBe(531);
    expect(existsSync(join(dir, ".profile-lab"))).toBe(false);
    expect(cli("segment-job", "--sandbox", dir, ...asOf).status).toBe(0);
    const before = digest(join(dir, ".profile-lab"));
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const later = ["--as-of", "2026-11-20T00:00:00Z"];
    const p = cliJson<{ size: number; results: object[] }>("preview", "--sandbox", dir, "--pql", 'homeAddress.countryCode = "US"', "--limit", "5", ...later);
    expect([p.size, p.results.length]).toEqual([531, 5]);
    const e = cliJson<{ estimatedSize: number; confidenceRange: [number, number] }>("estimate", "--sandbox", dir, "--segment", "Gmail users", "--sample-size", "800", ...later);
    expect(e.confidenceRange[0]).toBeLessThanOrEqual(e.estimatedSize);
    const text = cli("preview", "--sandbox", dir, "--segment", "Robert or Bob", ...later);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^26 profiles qualify as of 2026-11-20T00:00:00.000Z/);
    expect(text.stdout).toContain('{"person":{"name":{"firstName":"');
    expect(digest(join(dir, ".profile-lab"))).toEqual(before);
  });

  it("refuses neither or both of --pql and --segment as a usage error", () => {
    const r = cli("estimate", "--sandbox", copySample());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("give --pql '<PQL>' or --segment <id or name>");
  });
});
