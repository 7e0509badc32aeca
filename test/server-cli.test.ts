/**
 * `profile-lab serve` as a user starts it: the built CLI on a free port, called with `fetch`; a second server
 * on the same sandbox folder is refused; SIGTERM stops it cleanly and frees the folder.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, REPO } from "./helpers/cli.js";
import { fixture } from "./seeds/seed-bodies.js";
import { HEADERS, sandboxesFolder } from "./server-helpers.js";

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly baseUrl: string;
  readonly exited: Promise<number | null>;
}

/** Starts `profile-lab serve --port 0` and waits for the line naming its address. */
function start(sandboxes: string): Promise<Running> {
  const child = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), "serve", "--port", "0", "--sandboxes", sandboxes], { cwd: REPO });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, baseUrl: m[1]!, exited });
    });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

let folder: string;
let server: Running;

beforeAll(async () => {
  folder = sandboxesFolder("prod");
  server = await start(folder);
}, 60_000);
afterAll(() => {
  if (server.child.exitCode === null) server.child.kill("SIGKILL");
});

describe("profile-lab serve", () => {
  it("answers /health and runs an export job over HTTP", async () => {
    const health = (await (await fetch(`${server.baseUrl}/health`)).json()) as { sandboxes: unknown[] };
    expect(health.sandboxes).toMatchObject([{ name: "prod", status: "ready" }]);
    const created = await fetch(`${server.baseUrl}/data/core/ups/export/jobs`, {
      method: "POST",
      headers: { ...HEADERS, "content-type": "application/json" },
      body: JSON.stringify(fixture("000-create-export-job.request.json")),
    });
    expect(created.status).toBe(200);
    const job = (await created.json()) as { id: number; status: string };
    expect(created.headers.get("x-location")).toBe(`${server.baseUrl}/data/core/ups/export/jobs/${job.id}`);
    let status = job.status;
    for (let i = 0; i < 300 && status !== "SUCCEEDED" && status !== "FAILED"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = ((await (await fetch(`${server.baseUrl}/data/core/ups/export/jobs/${job.id}`, { headers: HEADERS })).json()) as { status: string }).status;
    }
    expect(status).toBe("SUCCEEDED");
  }, 60_000);

  it("refuses a second server on the same sandbox folder", () => {
    const r = cli("serve", "--port", "0", "--sandboxes", folder);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SRV-002 .*is already served by another profile-lab server \(process \d+/);
  }, 60_000);

  it("refuses a port in use with a located message, and frees the folder it locked", () => {
    const other = sandboxesFolder("prod");
    const r = cli("serve", "--port", new URL(server.baseUrl).port, "--sandboxes", other);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SRV-003 cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    expect(existsSync(join(other, "prod", ".profile-lab", "server.lock"))).toBe(false);
  }, 60_000);

  it("records the jobs a killed server left waiting or running FAILED (INTERRUPTED) when the next one starts", async () => {
    const killedFolder = sandboxesFolder("prod");
    const killed = await start(killedFolder);
    const post = () =>
      fetch(`${killed.baseUrl}/data/core/ups/export/jobs`, { method: "POST", headers: { ...HEADERS, "content-type": "application/json" }, body: JSON.stringify(fixture("000-create-export-job.request.json")) });
    // Ten POSTs at once: each answers NEW at once, two jobs run, the others wait.
    const ids = await Promise.all(Array.from({ length: 10 }, async () => ((await (await post()).json()) as { id: number }).id));
    const list = async (baseUrl: string) => ((await (await fetch(`${baseUrl}/data/core/ups/export/jobs?limit=100`, { headers: HEADERS })).json()) as { records: { id: number; status: string; errors?: { code: string }[] }[] }).records;
    const inFlight = (await list(killed.baseUrl)).filter((j) => j.status === "NEW" || j.status === "PROCESSING").map((j) => j.id);
    killed.child.kill("SIGKILL");
    await killed.exited;
    expect(inFlight.length).toBeGreaterThan(0);
    const next = await start(killedFolder);
    const after = await list(next.baseUrl);
    expect(after.map((j) => j.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    // A job seen in flight may still have ended in the moment before the kill landed; none is left in flight.
    for (const job of after) {
      if (job.status !== "SUCCEEDED") expect(job).toMatchObject({ status: "FAILED", errors: [{ code: "INTERRUPTED" }] });
      if (!inFlight.includes(job.id)) expect(job.status).toBe("SUCCEEDED");
    }
    expect(after.filter((j) => j.status === "FAILED").length).toBeGreaterThan(0);
    next.child.kill("SIGTERM");
    expect(await next.exited).toBe(0);
  }, 60_000);

  it("stops on SIGTERM and releases the folder", async () => {
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(existsSync(join(folder, "prod", ".profile-lab", "server.lock"))).toBe(false);
  }, 60_000);
});
