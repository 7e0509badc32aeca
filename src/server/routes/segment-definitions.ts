/**
 * `/data/core/ups/segment/definitions` (list, get, bulk-get, create, patch, delete) on SegmentDefinitionStore,
 * and `/data/core/ups/segment/conversion` (pql/text ↔ pql/json) on the PQL library's parser, formatter and
 * pql/json converters. PQL errors answer 400 with every problem's line and column in `$.expression.value`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { astToPqlJson, formatPql, parsePql, PqlError, pqlJsonToAst } from "../../pql/index.js";
import { SegmentDefinitionError, SegmentDefinitionStore } from "../../segment/segment-definition-store.js";
import { ProfileLabError } from "../../xdm/errors.js";
import { baseUrlOf, bulkIds, queryInt, sandboxOf, type Query, type ServerContext } from "../context.js";
import { UPS } from "./jobs.js";

const BASE = `${UPS}/segment/definitions`;

interface IdParams {
  readonly id: string;
}

/** A conversion request's expression, converted to the other format (a PQL error located in `$.expression.value`). */
function convert(body: unknown): Record<string, unknown> {
  const b = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const expression = b["expression"] as { type?: unknown; format?: unknown; value?: unknown } | undefined;
  const where = { file: "request body", jsonPath: "$.expression" };
  if (typeof expression?.value !== "string" || (expression.format !== "pql/text" && expression.format !== "pql/json")) {
    throw new SegmentDefinitionError([new ProfileLabError("SEG-D001", 'expression must be {"type": "PQL", "format": "pql/text" or "pql/json", "value": "<PQL>"}', where)]);
  }
  try {
    const value = expression.format === "pql/text" ? astToPqlJson(parsePql(expression.value, "request body")) : formatPql(pqlJsonToAst(expression.value, "request body"));
    return { ...b, expression: { type: "PQL", format: expression.format === "pql/text" ? "pql/json" : "pql/text", value } };
  } catch (e) {
    throw e instanceof PqlError ? new SegmentDefinitionError([e.inJsonValue("$.expression.value")]) : e;
  }
}

export function segmentDefinitionRoutes(app: FastifyInstance, context: ServerContext): void {
  const storeOf = (request: FastifyRequest): SegmentDefinitionStore => SegmentDefinitionStore.of(sandboxOf(context, request), context.clock);
  /** A change to the definitions: the sandbox is opened again, so that the next job sees it. */
  const changed = <T>(request: FastifyRequest, result: T): T => {
    context.registry.reload(sandboxOf(context, request));
    return result;
  };

  app.get(BASE, async (request) => {
    const query = request.query as Query;
    const limit = queryInt(query, "limit");
    const page = queryInt(query, "page");
    const start = queryInt(query, "start") ?? (page !== undefined ? page * (limit ?? 100) : undefined);
    const list = storeOf(request).list({ ...(start !== undefined ? { start } : {}), ...(limit !== undefined ? { limit } : {}) });
    return { ...list, link: list.link.next === undefined ? {} : { next: `${baseUrlOf(request)}${UPS}${list.link.next}` } };
  });
  app.post(`${BASE}/bulk-get`, async (request, reply) => reply.code(207).send(storeOf(request).bulkGet(bulkIds(request.body, "segment definition", "SEG-L002"))));
  app.get<{ Params: IdParams }>(`${BASE}/:id`, async (request) => storeOf(request).get(request.params.id));
  app.post(BASE, async (request, reply) => {
    const created = changed(request, storeOf(request).create(request.body));
    return reply.header("x-location", `${baseUrlOf(request)}${BASE}/${created.id}`).send(created);
  });
  app.patch<{ Params: IdParams }>(`${BASE}/:id`, async (request) => changed(request, storeOf(request).patch(request.params.id, request.body)));
  app.delete<{ Params: IdParams }>(`${BASE}/:id`, async (request, reply) => {
    storeOf(request).delete(request.params.id);
    changed(request, undefined);
    return reply.code(204).send();
  });

  app.post(`${UPS}/segment/conversion`, async (request) => {
    sandboxOf(context, request);
    return convert(request.body);
  });
}
