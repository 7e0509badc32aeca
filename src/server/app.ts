/**
 * The HTTP emulation of the platform's endpoints (`profile-lab serve`): the app factory. It only builds the
 * app (no listen), so tests drive it with `app.inject` and the CLI listens on it.
 *
 * Built on fastify: routing with path parameters, JSON bodies with a size limit (413 past it), one error
 * handler and a not-found handler (so every error answer comes from errors.ts), request ids, a logger,
 * `close()` with onClose hooks for graceful shutdown, and `inject()` for tests without a socket. Request
 * bodies are validated by the library's own request schemas (src/requests, ajv) — the ones the CLI uses —
 * rather than by route schemas, so the server and the CLI report the same coded problems at the same paths.
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { recoverInterruptedJobs } from "../engine/job-recovery.js";
import { parseJson } from "../io/json-file.js";
import type { StatusModel } from "../segment/membership.js";
import { version } from "../version.js";
import { errorAnswer, HttpError, missingApiKey, unauthorized } from "./errors.js";
import { JobRunner, MAX_QUEUED_JOBS } from "./job-runner.js";
import { lockSandboxFolder } from "./lock.js";
import { catalogRoutes } from "./routes/catalog.js";
import { jobRoutes } from "./routes/jobs.js";
import { mergePolicyRoutes } from "./routes/merge-policies.js";
import { previewRoutes } from "./routes/previews.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { segmentDefinitionRoutes } from "./routes/segment-definitions.js";
import { SCHEDULE_TICK_MS, startScheduleTrigger } from "./schedule-trigger.js";
import { SandboxRegistry } from "./sandboxes.js";
import type { ServerContext } from "./context.js";

/**
 * Jobs running at once: they share the server's thread (a small job runs in it, yielding every 50 ms) and its
 * memory budget, so more at once only slows every answer down.
 */
export const MAX_RUNNING_JOBS = 2;

/** Request bodies larger than this are refused with 413 (the largest PQL text allowed is 256 KiB). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface ServerOptions {
  /** A sandbox folder, or a folder of sandbox folders. */
  readonly sandboxes: string;
  /** When set, requests must carry `Authorization: Bearer <token>` with exactly this token; otherwise any bearer token is accepted. */
  readonly token?: string;
  readonly statusModel?: StatusModel;
  /** The jobs' evaluation clock (`asOf`) and the records' times; default the wall clock. */
  readonly clock?: () => number;
  /** fastify's logger: true for one JSON line per request on stdout. */
  readonly logger?: boolean;
  /** Jobs running at once (default MAX_RUNNING_JOBS); further jobs wait, recorded NEW, for one to end. */
  readonly maxRunningJobs?: number;
  /** Jobs waiting at most (default MAX_QUEUED_JOBS); a POST past it is refused with 429. */
  readonly maxQueuedJobs?: number;
  /** The runner of the jobs (default one made from the two options above); a test passes its own to hold its slots. */
  readonly jobRunner?: JobRunner;
  /** How often active schedules are looked at (default SCHEDULE_TICK_MS). */
  readonly scheduleTickMs?: number;
  /**
   * When set, the server holds each sandbox folder's lock (see lock.ts) under this description of itself (its
   * address) until it closes: a second server on the same folder is refused.
   */
  readonly lockAs?: string;
}

/** The platform's API families, to name the operation a 501 answers for. */
const PLATFORM_APIS: readonly (readonly [string, string])[] = [
  ["/data/core/ups/", "Segmentation Service / Real-Time Customer Profile API"],
  ["/data/foundation/catalog/", "Catalog Service API"],
  ["/data/foundation/export/", "Data Access API"],
  ["/data/foundation/import/", "Batch Ingestion API"],
];

/** A request id as the platform's look (32 URL-safe characters), or the client's own `x-request-id`. */
function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && /^[\w-]{1,128}$/.test(given) ? given : randomBytes(24).toString("base64url");
}

/** The gateway's checks: a bearer token (the one `--token` requires, if any) and an API key. */
function checkCredentials(request: FastifyRequest, token: string | undefined): void {
  const auth = request.headers.authorization;
  const bearer = typeof auth === "string" ? /^Bearer\s+(\S.*)$/i.exec(auth)?.[1]?.trim() : undefined;
  if (bearer === undefined || (token !== undefined && bearer !== token)) throw unauthorized();
  const apiKey = request.headers["x-api-key"];
  if (typeof apiKey !== "string" || apiKey.trim() === "") throw missingApiKey();
}

function send(reply: FastifyReply, error: unknown): FastifyReply {
  const answer = errorAnswer(error, String(reply.request.id));
  if (answer.internal) reply.log.error({ err: error }, "internal error");
  return reply.code(answer.status).type("application/json").send(answer.body);
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT_BYTES, genReqId: requestIdOf, requestIdHeader: false });
  const registry = new SandboxRegistry(options.sandboxes);
  const clock = options.clock ?? Date.now;
  const runner = options.jobRunner ?? new JobRunner(options.maxRunningJobs ?? MAX_RUNNING_JOBS, clock, (e) => app.log.warn({ err: e }, "job failed"), options.maxQueuedJobs ?? MAX_QUEUED_JOBS);
  const releases: (() => void)[] = [];
  try {
    if (options.lockAs !== undefined) for (const entry of registry.list()) releases.push(lockSandboxFolder(entry.dir, options.lockAs));
  } catch (e) {
    for (const release of releases) release();
    throw e;
  }
  // Jobs a killed server left waiting or running are recorded FAILED (INTERRUPTED) before any request is answered.
  for (const entry of registry.list()) if (entry.sandbox !== undefined) recoverInterruptedJobs(entry.dir, clock);
  const context: ServerContext = { registry, runner, clock, statusModel: options.statusModel ?? "legacy" };

  // Every body is JSON on these APIs, whatever its Content-Type says (curl's -d sends a form type): it is
  // parsed with the library's parser, so that a syntax error is IO-J001 at its line and column. A request to
  // a path not emulated is answered 501 whatever its body (a Postman template's unset `{{body}}`).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (request, body, done) => {
    try {
      done(null, request.is404 || (body as string).trim() === "" ? undefined : parseJson(body as string, "request body"));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onRequest", async (request) => {
    if (request.url.split("?")[0] !== "/health") checkCredentials(request, options.token);
  });
  app.setErrorHandler((error, _request, reply) => send(reply, error));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const api = PLATFORM_APIS.find(([prefix]) => path.startsWith(prefix));
    const operation = `${request.method} ${path}`;
    return send(
      reply,
      api === undefined
        ? new HttpError(404, "PLAB-404", `no such endpoint: ${operation}`)
        : new HttpError(501, "PLAB-501", `${operation} (${api[1]}) is not emulated by profile-lab`, { operation, api: api[1] }),
    );
  });
  const trigger = startScheduleTrigger(registry, { ...context, tickMs: options.scheduleTickMs ?? SCHEDULE_TICK_MS, onFailure: (e) => app.log.warn({ err: e }, "scheduled job failed") });
  app.addHook("onClose", async () => {
    await trigger.stop();
    await runner.stopAll();
    for (const release of releases) release();
  });

  app.get("/health", async (_request, reply) => {
    const sandboxes = registry.list().map((e) => ({
      name: e.name,
      dir: e.dir,
      status: e.sandbox ? "ready" : "unavailable",
      ...(e.sandbox ? { imsOrgId: e.sandbox.manifest.imsOrgId, sandboxName: e.sandbox.manifest.sandbox.sandboxName } : { error: e.error }),
    }));
    return reply.send({ status: "ready", version: version(), sandboxes });
  });
  jobRoutes(app, context);
  mergePolicyRoutes(app, context);
  segmentDefinitionRoutes(app, context);
  scheduleRoutes(app, context);
  previewRoutes(app, context);
  catalogRoutes(app, context);
  return app;
}
