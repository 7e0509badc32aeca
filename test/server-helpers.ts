/** The server under test: the seed sandbox served in-process, the platform's headers, and polling a job until it ends. */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll } from "vitest";
import { buildServer, type ServerOptions } from "../src/server/app.js";
import { writeSeedSandbox } from "./seeds/helpers/seed-sandbox.js";

export const ORG = "SEED@AdobeOrg";

/** The headers every platform call carries (the seeds' curl requests), for the seed sandbox "prod". */
export const HEADERS = {
  authorization: "Bearer any-token",
  "x-api-key": "my-api-key",
  "x-gw-ims-org-id": ORG,
  "x-sandbox-name": "prod",
} as const;

/** A folder of sandbox folders: the seed sandbox under each name. */
export function sandboxesFolder(...names: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "profile-lab-serve-"));
  const seed = writeSeedSandbox();
  for (const name of names) cpSync(seed, join(root, name), { recursive: true });
  return root;
}

export type Call = (options: InjectOptions) => Promise<LightMyRequestResponse>;

/** A server on `sandboxes` and a call with the platform's headers (overridable per call). */
export function serve(options: ServerOptions): { app: FastifyInstance; call: Call } {
  const app = buildServer({ clock: () => Date.parse("2024-06-01T00:00:00Z"), ...options });
  const call: Call = (o) => app.inject({ ...o, headers: { ...HEADERS, ...(o.headers ?? {}) } });
  return { app, call };
}

/** A server for a test file's tests: built before them (options read then), closed after them. */
export function servedInTests(options: () => ServerOptions): { readonly call: Call; readonly app: () => FastifyInstance } {
  let served: { app: FastifyInstance; call: Call } | undefined;
  beforeAll(() => {
    served = serve(options());
  });
  afterAll(async () => {
    await served?.app.close();
  });
  return { call: (o) => served!.call(o), app: () => served!.app };
}

const ENDED = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** GETs `url` until the job it answers has ended; returns every status seen, in order, and the last body. */
export async function poll(call: Call, url: string, headers: Record<string, string> = {}): Promise<{ statuses: string[]; job: Record<string, unknown> }> {
  const statuses: string[] = [];
  for (let i = 0; i < 600; i++) {
    const r = await call({ method: "GET", url, headers });
    const job = r.json() as Record<string, unknown>;
    if (statuses.at(-1) !== job["status"]) statuses.push(String(job["status"]));
    if (ENDED.has(String(job["status"]))) return { statuses, job };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not end within 30 s: ${statuses.join(" → ")}`);
}

/** GETs `url` until the job it answers has `status` (checking between turns of the event loop, so a job running here is seen in it). */
export async function until(call: Call, url: string, status: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100_000; i++) {
    const job = (await call({ method: "GET", url })).json() as Record<string, unknown>;
    if (job["status"] === status) return job;
    if (ENDED.has(String(job["status"]))) throw new Error(`${url} ended ${String(job["status"])} before it was seen ${status}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${url} was not seen ${status}`);
}
