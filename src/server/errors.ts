/**
 * The server's one error factory: every error answer is built here, in the platform's shapes, so that clients
 * written against the platform read ours unchanged.
 *
 * - Errors of the library (a coded ProfileLabError: a request body against its schema, PQL with line and
 *   column, an unknown merge policy) answer as the platform's services do (segmentation.yaml's examples):
 *   `{type: "https://ns.adobe.com/aep/errors/<code>", title, status, requestId, detail, errors: [{code,
 *   message, path, line, column}]}`, with the error's HTTP status (StatusError) or 400.
 * - Catalog and Data Access errors keep the Catalog's own problem body (`{"type":"/placeholder/type/uri",
 *   "status":404,"title":"NotFoundError","detail":…}`).
 * - The gateway's answers (missing token or API key) add the gateway's own `error_code` and `message`.
 * - Anything else is a bug: 500 with no stack in the answer (the server's log has it).
 */
import { CatalogError } from "../store/catalog.js";
import { ProfileLabError, StatusError } from "../xdm/errors.js";

export const ERROR_TYPE_PREFIX = "https://ns.adobe.com/aep/errors/";

/** One problem of a request, located as precisely as the library located it. */
export interface ProblemItem {
  readonly code: string;
  readonly message: string;
  /** JSON path in the request body (or `query.<name>`, `header.<name>`). */
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
}

/** An error answer's body (the Catalog's bodies aside). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly requestId: string;
  readonly detail?: string;
  readonly errors?: readonly ProblemItem[];
  readonly [extra: string]: unknown;
}

/** An answer the server itself decides on (a missing header, an unknown job, a route not emulated). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Fields added to the body (the gateway's `error_code`, the operation a 501 names). */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export interface ErrorAnswer {
  readonly status: number;
  readonly body: object;
  /** Whether it is a bug of ours (logged with its stack). */
  readonly internal: boolean;
}

/** Errors of the HTTP layer (fastify's: body too large, unsupported media type) carry their status. */
function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

function itemOf(e: ProfileLabError): ProblemItem {
  const { jsonPath, line, column, embeddedIn } = e.location;
  const path = embeddedIn ?? jsonPath;
  return { code: e.code, message: e.message, ...(path !== undefined ? { path } : {}), ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) };
}

/** An error carrying every problem of one request (a segment definition's PQL errors) lists each; others are one problem. */
function problemsOf(e: ProfileLabError): readonly ProfileLabError[] {
  const all = (e as { errors?: unknown }).errors;
  return Array.isArray(all) && all.length > 0 && all.every((x) => x instanceof ProfileLabError) ? all : [e];
}

function libraryProblem(e: ProfileLabError, requestId: string): Problem {
  const status = e instanceof StatusError ? e.status : 400;
  return { type: `${ERROR_TYPE_PREFIX}${e.code}`, title: e.message, status, requestId, detail: problemsOf(e).map((p) => p.format()).join("\n"), errors: problemsOf(e).map(itemOf) };
}

/** The status and body answering `error`. */
export function errorAnswer(error: unknown, requestId: string): ErrorAnswer {
  if (error instanceof HttpError) {
    return { status: error.status, internal: false, body: { type: `${ERROR_TYPE_PREFIX}${error.code}`, title: error.message, status: error.status, requestId, ...error.extra } };
  }
  if (error instanceof CatalogError) return { status: error.status, internal: error.status >= 500, body: error.problem() };
  if (error instanceof ProfileLabError) {
    const body = libraryProblem(error, requestId);
    return { status: body.status, internal: body.status >= 500, body };
  }
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    return { status, internal: false, body: { type: `${ERROR_TYPE_PREFIX}${typeof code === "string" ? code : `HTTP-${status}`}`, title: message, status, requestId } };
  }
  return {
    status: 500,
    internal: true,
    body: { type: `${ERROR_TYPE_PREFIX}PLAB-500`, title: "internal error: a bug in profile-lab; please report it with the request and the server's log line of this requestId", status: 500, requestId },
  };
}

/** The gateway's 401 for a request without a valid bearer token. */
export function unauthorized(): HttpError {
  return new HttpError(401, "401013", "Oauth token is not valid", { error_code: "401013", message: "Oauth token is not valid" });
}

/** The gateway's 403 for a request without an API key. */
export function missingApiKey(): HttpError {
  return new HttpError(403, "403000", "Api Key is required", { error_code: "403000", message: "Api Key is required" });
}
