/**
 * Load on `profile-lab serve` over loopback: `--clients` concurrent clients for `--seconds`, each looping:
 * create an export job (a sample-data request body; the POST answers at once with the job NEW), poll it every
 * 200 ms until it ends or the time is up, list the newest jobs. Requests still unanswered 10 s after the end
 * are abandoned and counted. The server is the built CLI in its own process, on a copy of sample-data; its RSS
 * (and peak RSS) and CPU time are read from /proc before and after. Prints the requests, the 5xx count,
 * latency percentiles by kind, the jobs' statuses at the end, the server's RSS and CPU seconds, and the
 * machine's load average.
 *
 *   npm run build && node --import tsx bench/server-load.ts [--clients 200] [--seconds 60]
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const REPO = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { clients: { type: "string", default: "200" }, seconds: { type: "string", default: "60" } } });
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);

const sandbox = join(mkdtempSync(join(tmpdir(), "profile-lab-load-")), "sandbox");
cpSync(join(REPO, "sample-data"), sandbox, { recursive: true, filter: (src) => !src.includes(".profile-lab") });
const manifest = JSON.parse(readFileSync(join(sandbox, "sandbox.json"), "utf8")) as { imsOrgId: string; sandbox: { sandboxName: string } };
const body = readFileSync(join(sandbox, "export-jobs/all-profiles-projection.json"), "utf8");
const headers = {
  authorization: "Bearer load",
  "x-api-key": "load",
  "x-gw-ims-org-id": manifest.imsOrgId,
  "x-sandbox-name": manifest.sandbox.sandboxName,
  "content-type": "application/json",
};

const server = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), "serve", "--port", "0", "--sandboxes", sandbox], { stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise<string>((resolveBase) => {
  let out = "";
  server.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolveBase(m[1]!);
  });
});

/** A memory figure of the server's process from /proc (VmRSS now, VmHWM the peak), in MiB. */
function memoryMiB(field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${server.pid!}/status`, "utf8"));
  return Math.round(Number(m![1]) / 1024);
}

/** The server's CPU seconds so far, user + system (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(): number {
  const fields = readFileSync(`/proc/${server.pid!}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const latencies: Record<string, number[]> = { create: [], poll: [], list: [] };
const statuses = new Map<number, number>();
/** Requests still unanswered 10 s after the end (POSTs queued behind running jobs), abandoned. */
let cutAtEnd = 0;
const deadline = Date.now() + SECONDS * 1000;

async function timed(kind: string, url: string, init: RequestInit): Promise<Record<string, unknown> | undefined> {
  const start = performance.now();
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(Math.max(1000, deadline + 10_000 - Date.now())) });
    const json = (await r.json()) as Record<string, unknown>;
    latencies[kind]!.push(performance.now() - start);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    return json;
  } catch {
    cutAtEnd++;
    return undefined;
  }
}

let jobs = 0;

async function client(): Promise<void> {
  while (Date.now() < deadline) {
    const job = await timed("create", `${base}/data/core/ups/export/jobs`, { method: "POST", headers, body });
    if (job?.["id"] !== undefined) {
      jobs++;
      let status = job["status"];
      while ((status === "NEW" || status === "PROCESSING") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        status = (await timed("poll", `${base}/data/core/ups/export/jobs/${String(job["id"])}`, { headers }))?.["status"];
      }
    }
    await timed("list", `${base}/data/core/ups/export/jobs?limit=10`, { headers });
  }
}

const rssBefore = memoryMiB("VmRSS");
const cpuBefore = cpuSeconds();
const loadBefore = loadavg()[0]!.toFixed(1);
const started = performance.now();
await Promise.all(Array.from({ length: CLIENTS }, client));
const elapsed = (performance.now() - started) / 1000;
const rssAfter = memoryMiB("VmRSS");
const rssPeak = memoryMiB("VmHWM");
const cpu = cpuSeconds() - cpuBefore;
const loadAfter = loadavg()[0]!.toFixed(1);
const ended = (await (await fetch(`${base}/data/core/ups/export/jobs?limit=100000`, { headers })).json()) as { records: { status: string }[] };
const byStatus: Record<string, number> = {};
for (const j of ended.records) byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
server.kill("SIGTERM");

const pct = (xs: number[], p: number): string => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? "-" : `${Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!)} ms`;
};
const all = Object.values(latencies).flat();
const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
console.log(`clients ${CLIENTS}, ${elapsed.toFixed(0)} s: ${all.length} requests (${(all.length / elapsed).toFixed(0)}/s), ${jobs} export jobs created, statuses ${JSON.stringify(Object.fromEntries(statuses))}, 5xx ${fivexx}, unanswered 10 s after the end ${cutAtEnd}`);
for (const [kind, xs] of Object.entries({ ...latencies, all })) console.log(`${kind.padEnd(6)} n=${xs.length} p50 ${pct(xs, 50)} p99 ${pct(xs, 99)} max ${pct(xs, 100)}`);
console.log(`jobs at the end: ${JSON.stringify(byStatus)}`);
console.log(`server RSS: ${rssBefore} MiB before, ${rssAfter} MiB after, peak ${rssPeak} MiB; server CPU ${cpu.toFixed(1)} s (user + system); load average (1 min) ${loadBefore} before, ${loadAfter} after`);
