/**
 * Catalog (`/data/foundation/catalog`: dataSets, batches) and Data Access (`/data/foundation/export`: a
 * batch's files, a file's parts and bytes with `Range`, HEAD) on the Catalog and DataAccess objects the CLI's
 * `datasets`, `batches` and `files` commands use; their errors keep the Catalog's problem body. File ids and
 * paths are looked up among the recorded batches and their part names, never joined onto a path as given.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Catalog } from "../../store/catalog.js";
import { DataAccess, parseRangeHeader } from "../../store/data-access.js";
import { SandboxState } from "../../store/sandbox-state.js";
import { baseUrlOf, queryOf, queryString, sandboxOf, type Query, type ServerContext } from "../context.js";

const CATALOG = "/data/foundation/catalog";
const EXPORT = "/data/foundation/export";

interface IdParams {
  readonly id: string;
}

export function catalogRoutes(app: FastifyInstance, context: ServerContext): void {
  const catalogOf = (request: FastifyRequest): Catalog => {
    const sandbox = sandboxOf(context, request);
    return new Catalog(new SandboxState(sandbox.dir), sandbox.manifest, { clock: context.clock });
  };
  const accessOf = (request: FastifyRequest): DataAccess => {
    const sandbox = sandboxOf(context, request);
    return new DataAccess(new SandboxState(sandbox.dir), sandbox.manifest, { baseUrl: `${baseUrlOf(request)}${EXPORT}` });
  };
  /** The Catalog's list and projection parameters, passed through as the Catalog validates them. */
  const listQuery = (request: FastifyRequest) => queryOf(request, { limit: queryString, start: queryString, properties: queryString });

  app.get(`${CATALOG}/dataSets`, async (request) => catalogOf(request).listDatasets(listQuery(request)));
  app.post(`${CATALOG}/dataSets`, async (request, reply) => reply.code(201).send(catalogOf(request).createDataset(request.body)));
  app.get<{ Params: IdParams }>(`${CATALOG}/dataSets/:id`, async (request) => catalogOf(request).getDataset(request.params.id, listQuery(request)));
  app.get(`${CATALOG}/batches`, async (request) => catalogOf(request).listBatches({ ...listQuery(request), ...queryOf(request, { dataSet: queryString, orderBy: queryString }) }));
  app.get<{ Params: IdParams }>(`${CATALOG}/batches/:id`, async (request) => catalogOf(request).getBatch(request.params.id, listQuery(request)));

  app.get<{ Params: IdParams }>(`${EXPORT}/batches/:id/files`, async (request) => accessOf(request).listBatchFiles(request.params.id, queryOf(request, { start: queryString, limit: queryString })));
  // The HEAD route is its own (the file's length without reading it), not fastify's GET without a body.
  app.get<{ Params: IdParams }>(`${EXPORT}/files/:id`, { exposeHeadRoute: false }, async (request, reply) => {
    const path = queryString(request.query as Query, "path");
    if (path === undefined) return accessOf(request).getFile(request.params.id);
    const content = accessOf(request).readFile(request.params.id, path, parseRangeHeader(request.headers.range));
    reply.code(content.status).type(content.contentType).header("accept-ranges", "bytes");
    if (content.contentRange !== undefined) reply.header("content-range", content.contentRange);
    return reply.send(Buffer.from(content.bytes.buffer, content.bytes.byteOffset, content.bytes.byteLength));
  });
  app.head<{ Params: IdParams }>(`${EXPORT}/files/:id`, async (request, reply) => {
    const head = accessOf(request).headFile(request.params.id, queryString(request.query as Query, "path") ?? "");
    return reply.code(200).type(head.contentType).header("content-length", head.contentLength).header("accept-ranges", head.acceptRanges).send();
  });
}
