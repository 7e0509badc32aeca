/**
 * Installed, not only cloned: the package as `npm pack` makes it, installed in an empty folder, runs its demo
 * (the sample sandbox comes from the package, copied to ./profile-lab-demo).
 *
 * better-sqlite3's install (prebuild-install) takes the binary this clone's own `npm ci` compiled, offered as a
 * local prebuild: compiling it again here took a core for about a minute and proved nothing about our package
 * (the fresh clone in .ci/run compiles it), and nothing is downloaded either way — its download host is pointed
 * at a closed local port, so a prebuild that does not match would make it compile from source, as before.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-packed-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false", ...env } });

/**
 * A folder holding the compiled better-sqlite3 of this clone as the prebuild archive prebuild-install looks for
 * (`<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz`, see prebuild-install's util.js), and the
 * environment that points its install there.
 */
function localSqlitePrebuild(): NodeJS.ProcessEnv {
  const pkg = join(REPO, "node_modules/better-sqlite3");
  const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string };
  const dir = join(root, "prebuilds");
  mkdirSync(dir);
  const archive = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync("tar", ["-czf", join(dir, archive), "-C", pkg, "build/Release/better_sqlite3.node"]);
  return { npm_config_better_sqlite3_local_prebuilds: dir, npm_config_better_sqlite3_binary_host: "http://127.0.0.1:9" };
}

describe("the packed package", () => {
  it("installs in an empty folder and runs `npx profile-lab demo` on the sample it ships", () => {
    // --ignore-scripts on pack: dist/ is already built by the global setup, and rebuilding it here would rewrite it under the other tests.
    const tarball = npm(["pack", "--ignore-scripts", "--silent", "--pack-destination", root], REPO).trim().split("\n").at(-1)!;
    const app = join(root, "app");
    mkdirSync(app);
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline", join(root, tarball)], app, localSqlitePrebuild());
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
