/**
 * `/data/core/ups/config/mergePolicies`: list (`start`, `limit`, `orderby`, `schema.name`, `default`), get,
 * bulk-get (207), create, replace (PUT), patch (JSON Patch) and delete, on the MergePolicyStore the CLI's
 * `merge-policies` command uses. What a body asked for that was read leniently is logged as a warning.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MergePolicyStore } from "../../merge/merge-policy-store.js";
import type { MergePolicy } from "../../xdm/types.js";
import { bulkIds, defined, queryInt, queryString, sandboxOf, type Query, type ServerContext } from "../context.js";
import { HttpError } from "../errors.js";
import { UPS } from "./jobs.js";

interface PolicyParams {
  readonly id: string;
}

const BASE = `${UPS}/config/mergePolicies`;

function booleanQuery(query: Query, name: string): boolean | undefined {
  const v = queryString(query, name);
  if (v === undefined || v === "true" || v === "false") return v === undefined ? undefined : v === "true";
  throw new HttpError(400, "PLAB-Q003", `query parameter ${name} must be true or false, not "${v.slice(0, 64)}"`, { errors: [{ code: "PLAB-Q003", message: "not true or false", path: `query.${name}` }] });
}

export function mergePolicyRoutes(app: FastifyInstance, context: ServerContext): void {
  const storeOf = (request: FastifyRequest): MergePolicyStore => MergePolicyStore.of(sandboxOf(context, request), context.clock, (w) => request.log.warn(w));
  /** A change to the policies: the sandbox is opened again, so that the next job sees it. */
  const changed = <T>(request: FastifyRequest, result: T): T => {
    context.registry.reload(sandboxOf(context, request));
    return result;
  };

  app.get(BASE, async (request) => {
    const query = request.query as Query;
    return storeOf(request).list(
      defined({
        start: queryInt(query, "start"),
        limit: queryInt(query, "limit"),
        orderBy: queryString(query, "orderby") ?? queryString(query, "orderBy"),
        schemaName: queryString(query, "schema.name"),
        default: booleanQuery(query, "default"),
      }),
    );
  });

  app.post(`${BASE}/bulk-get`, async (request, reply) => {
    const ids = bulkIds(request.body, "merge policy", "MRG-P010");
    const all = new Map(storeOf(request).list({ limit: Number.MAX_SAFE_INTEGER }).children.map((p) => [p.id, p]));
    const results: Record<string, MergePolicy> = {};
    for (const id of ids) {
      const policy = all.get(id);
      if (policy !== undefined) results[id] = policy;
    }
    return reply.code(207).send({ results });
  });

  app.get<{ Params: PolicyParams }>(`${BASE}/:id`, async (request) => storeOf(request).get(request.params.id));
  app.post(BASE, async (request) => changed(request, storeOf(request).create(request.body)));
  app.put<{ Params: PolicyParams }>(`${BASE}/:id`, async (request) => changed(request, storeOf(request).replace(request.params.id, request.body)));
  app.patch<{ Params: PolicyParams }>(`${BASE}/:id`, async (request) => changed(request, storeOf(request).patch(request.params.id, request.body)));
  app.delete<{ Params: PolicyParams }>(`${BASE}/:id`, async (request, reply) => {
    storeOf(request).delete(request.params.id);
    changed(request, undefined);
    return reply.code(200).send();
  });
}
