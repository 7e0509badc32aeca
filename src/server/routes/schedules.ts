/**
 * `/data/core/ups/config/schedules`: list (`start`, `limit`), get, create, patch (JSON Patch on `/state` and
 * `/schedule`, 204 as on the platform) and delete (204), on the Schedules the CLI's `schedule` command uses.
 * Active schedules fire by the wall clock (schedule-trigger.ts).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { schedulesOf } from "../../engine/run-schedules.js";
import type { Schedules } from "../../schedule/index.js";
import { baseUrlOf, queryInt, queryOf, sandboxOf, type ServerContext } from "../context.js";
import { UPS } from "./jobs.js";

const BASE = `${UPS}/config/schedules`;

interface IdParams {
  readonly id: string;
}

export function scheduleRoutes(app: FastifyInstance, context: ServerContext): void {
  const schedules = (request: FastifyRequest): Schedules => schedulesOf(sandboxOf(context, request), context.clock);

  app.get(BASE, async (request) => {
    const list = schedules(request).list(queryOf(request, { start: queryInt, limit: queryInt }));
    const next = list._links.next.href;
    return { ...list, _links: { next: next === undefined ? {} : { href: `${baseUrlOf(request)}${UPS}${next}` } } };
  });
  app.post(BASE, async (request) => schedules(request).create(request.body));
  app.get<{ Params: IdParams }>(`${BASE}/:id`, async (request) => schedules(request).get(request.params.id));
  app.patch<{ Params: IdParams }>(`${BASE}/:id`, async (request, reply) => {
    schedules(request).patch(request.params.id, request.body);
    return reply.code(204).send();
  });
  app.delete<{ Params: IdParams }>(`${BASE}/:id`, async (request, reply) => {
    schedules(request).delete(request.params.id);
    return reply.code(204).send();
  });
}
