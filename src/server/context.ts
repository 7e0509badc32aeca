/** What every route needs: the sandboxes, the job runner, the clock, and the request's sandbox, base URL and query values. */
import type { FastifyRequest } from "fastify";
import type { Sandbox } from "../engine/sandbox.js";
import type { StatusModel } from "../segment/membership.js";
import { HttpError } from "./errors.js";
import type { JobRunner } from "./job-runner.js";
import type { SandboxRegistry } from "./sandboxes.js";

export interface ServerContext {
  readonly registry: SandboxRegistry;
  readonly runner: JobRunner;
  readonly clock: () => number;
  readonly statusModel: StatusModel;
}

/**
 * The sandbox of a request (`x-sandbox-name`), which must belong to the request's organization
 * (`x-gw-ims-org-id`): an organization sees only its own sandboxes.
 */
export function sandboxOf(context: ServerContext, request: FastifyRequest): Sandbox {
  const name = request.headers["x-sandbox-name"];
  const sandbox = context.registry.get(typeof name === "string" ? name : undefined);
  const org = request.headers["x-gw-ims-org-id"];
  if (org !== sandbox.manifest.imsOrgId) {
    throw new HttpError(403, "PDP-4041-403", "The user is not entitled to the specified organization. Please try again with a valid user.", {
      detail: typeof org === "string" ? `sandbox "${sandbox.manifest.sandbox.sandboxName}" does not belong to organization "${org.slice(0, 128)}"` : "the x-gw-ims-org-id header is missing",
    });
  }
  return sandbox;
}

/** `http://host:port` as the client reached the server, for the `_links` of answers. */
export function baseUrlOf(request: FastifyRequest): string {
  const host = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(request.host) ? request.host : "localhost";
  return `${request.protocol}://${host}`;
}

export type Query = Readonly<Record<string, string | string[] | undefined>>;

/**
 * A query parameter given once, or undefined; an empty value counts as absent (a request template's
 * `limit={{limit}}` with the variable left empty).
 */
export function queryString(query: Query, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) throw new HttpError(400, "PLAB-Q001", `query parameter ${name} is given ${v.length} times; give it once`, { errors: [{ code: "PLAB-Q001", message: "given more than once", path: `query.${name}` }] });
  return v === "" ? undefined : v;
}

/** A whole-number query parameter, or undefined. */
export function queryInt(query: Query, name: string): number | undefined {
  const v = queryString(query, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isSafeInteger(n) || n < 0) {
    const message = `query parameter ${name} must be a whole number, not "${v.slice(0, 64)}"`;
    throw new HttpError(400, "PLAB-Q002", message, { errors: [{ code: "PLAB-Q002", message, path: `query.${name}` }] });
  }
  return n;
}

/** The given entries whose value is defined (optional query fields for the library's query objects). */
export function defined<T extends object>(values: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

type QueryReader = (query: Query, name: string) => string | number | undefined;

/** The query parameters `spec` names (each read by its reader: queryInt or queryString), those given only. */
export function queryOf<S extends Readonly<Record<string, QueryReader>>>(request: FastifyRequest, spec: S): { [K in keyof S]?: Exclude<ReturnType<S[K]>, undefined> } {
  const query = request.query as Query;
  return defined(Object.fromEntries(Object.entries(spec).map(([name, read]) => [name, read(query, name)]))) as { [K in keyof S]?: Exclude<ReturnType<S[K]>, undefined> };
}

/** The ids of a bulk-get body `{"ids": [{"id": …}, …]}`; 400 at `$.ids` otherwise. */
export function bulkIds(body: unknown, what: string, code: string): string[] {
  const ids = typeof body === "object" && body !== null ? (body as { ids?: unknown }).ids : undefined;
  if (!Array.isArray(ids) || !ids.every((x) => typeof (x as { id?: unknown } | null)?.id === "string")) {
    const message = `the body must be {"ids": [{"id": "<${what} id>"}, …]}`;
    throw new HttpError(400, code, message, { errors: [{ code, message, path: "$.ids" }] });
  }
  return (ids as { id: string }[]).map((x) => x.id);
}
