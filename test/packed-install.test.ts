/**
 * Installed, not only cloned: the package as `npm pack` makes it, installed in an empty folder, runs its demo
 * (the sample sandbox comes from the package, copied to ./profile-lab-demo). The install compiles
 * better-sqlite3, so this is the suite's longest test.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-packed-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const npm = (args: string[], cwd: string): string =>
  // --ignore-scripts on pack: dist/ is already built by the global setup, and rebuilding it here would rewrite it under the other tests.
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });

describe("the packed package", () => {
  it("installs in an empty folder and runs `npx profile-lab demo` on the sample it ships", () => {
    const tarball = npm(["pack", "--ignore-scripts", "--silent", "--pack-destination", root], REPO).trim().split("\n").at(-1)!;
    const app = join(root, "app");
    mkdirSync(app);
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline", join(root, tarball)], app);
    const demo = spawnSync("npx", ["--no", "profile-lab", "demo"], { cwd: app, encoding: "utf8" });
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stderr).toContain("Copied the bundled sample sandbox to profile-lab-demo");
    expect(demo.stdout).toMatch(/Segment job \S+ SUCCEEDED/);
    expect(demo.stdout).toMatch(/Export job \d+ \(audiences-per-batch\.json\) SUCCEEDED/);
    const lake = join(app, "profile-lab-demo/.profile-lab/lake/datasets");
    expect(existsSync(lake)).toBe(true);
    expect(readdirSync(lake).length).toBeGreaterThan(0);
    // The package itself is left as installed: the demo wrote into its copy only.
    expect(existsSync(join(app, "node_modules/profile-lab/sample-data/.profile-lab"))).toBe(false);
  }, 900_000);

  it("configures the install without a project config npm does not know (npm warned on every call)", () => {
    const r = spawnSync("npm", ["pkg", "get", "name"], { cwd: REPO, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('"profile-lab"');
    expect(r.stderr).not.toContain("Unknown project config");
    expect(existsSync(join(REPO, ".npmrc"))).toBe(false);
  });
});
