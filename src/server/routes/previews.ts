/**
 * `/data/core/ups/preview` and `/estimate` on the stateless preview and estimate of the engine (the CLI's
 * `preview` and `estimate`): a POST evaluates the PQL in memory from the stored memberships (nothing is
 * written to the sandbox) and keeps the result; `GET /preview/{id}` pages its members, `GET /estimate/{id}`
 * answers the estimate of the same PQL, `DELETE /preview/{id}` drops it. The POST answers once both are
 * computed (state RESULT_READY), so a PQL error is its 400 with the line and column in `$.predicateExpression`.
 * Results live in the server's memory only, as the platform's previews expire.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { estimate, preview, type EstimateResult, type PreviewResult } from "../../engine/preview.js";
import { PqlError } from "../../pql/index.js";
import { ProfileLabError } from "../../xdm/errors.js";
import { baseUrlOf, queryInt, queryString, sandboxOf, type Query, type ServerContext } from "../context.js";
import { HttpError } from "../errors.js";
import { UPS } from "./jobs.js";

/** Members a preview keeps (the platform's page limit); its size counts them all. */
const PREVIEW_MEMBERS = 1000;
/** Previews kept at once; the oldest is dropped past this many. */
const MAX_PREVIEWS = 100;

interface StoredPreview {
  readonly sandboxDir: string;
  readonly preview: PreviewResult;
  readonly estimate: EstimateResult;
}

interface IdParams {
  readonly id: string;
}

/** The POST body's PQL and merge policy (`predicateType` PQL only; `graphType` follows the policy). */
function previewRequest(body: unknown): { pql: string; mergePolicy?: string } {
  const b = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const fail = (path: string, message: string): never => {
    throw new ProfileLabError("PRV-R001", message, { file: "request body", jsonPath: path });
  };
  if (typeof b["predicateExpression"] !== "string" || b["predicateExpression"].trim() === "") fail("$.predicateExpression", "predicateExpression must be a PQL text");
  if (b["predicateType"] !== undefined && b["predicateType"] !== "PQL") fail("$.predicateType", `predicateType must be "PQL", not ${JSON.stringify(b["predicateType"])}`);
  if (b["mergePolicyId"] !== undefined && typeof b["mergePolicyId"] !== "string") fail("$.mergePolicyId", "mergePolicyId must be a string");
  return { pql: b["predicateExpression"] as string, ...(typeof b["mergePolicyId"] === "string" ? { mergePolicy: b["mergePolicyId"] } : {}) };
}

export function previewRoutes(app: FastifyInstance, context: ServerContext): void {
  const previews = new Map<string, StoredPreview>();
  let executions = 0;

  const stored = (dir: string, id: string): StoredPreview => {
    const found = previews.get(id);
    if (found === undefined || found.sandboxDir !== dir) throw new HttpError(404, "PLAB-P404", `preview "${id.slice(0, 128)}" not found (previews are kept in the server's memory)`);
    return found;
  };

  app.post(`${UPS}/preview`, async (request, reply) => {
    const sandbox = sandboxOf(context, request);
    const options = { ...previewRequest(request.body), asOf: context.clock(), statusModel: context.statusModel };
    let result: [PreviewResult, EstimateResult];
    try {
      result = await Promise.all([preview(sandbox, { ...options, limit: PREVIEW_MEMBERS }), estimate(sandbox, options)]);
    } catch (e) {
      throw e instanceof PqlError ? e.inJsonValue("$.predicateExpression") : e;
    }
    const id = randomBytes(18).toString("base64url");
    previews.set(id, { sandboxDir: sandbox.dir, preview: result[0], estimate: result[1] });
    if (previews.size > MAX_PREVIEWS) previews.delete(previews.keys().next().value!);
    executions++;
    return reply
      .code(201)
      .header("x-location", `${baseUrlOf(request)}${UPS}/preview/${id}`)
      .send({ state: "RESULT_READY", previewQueryId: id, previewQueryStatus: "RESULT_READY", previewId: id, previewExecutionId: executions });
  });

  app.get<{ Params: IdParams }>(`${UPS}/preview/:id`, async (request) => {
    const { preview: p } = stored(sandboxOf(context, request).dir, request.params.id);
    const query = request.query as Query;
    const offset = Number(queryString(query, "offset") ?? 0);
    const limit = queryInt(query, "limit") ?? PREVIEW_MEMBERS;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new HttpError(400, "PLAB-Q002", "query parameter offset must be a whole number");
    const results = p.results.slice(offset, offset + limit);
    return { ...p, page: { offset, limit, count: results.length }, results };
  });

  app.delete<{ Params: IdParams }>(`${UPS}/preview/:id`, async (request) => {
    stored(sandboxOf(context, request).dir, request.params.id);
    previews.delete(request.params.id);
    return { status: true, message: "Preview job has been deleted" };
  });

  app.get<{ Params: IdParams }>(`${UPS}/estimate/:id`, async (request) => stored(sandboxOf(context, request).dir, request.params.id).estimate);
}
