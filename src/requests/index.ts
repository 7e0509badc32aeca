/**
 * Request bodies: one JSON Schema per endpoint body (POST /export/jobs, POST /segment/jobs in both forms, merge
 * policy create/replace and JSON Patch, schedule create and JSON Patch, POST /dataSets, and the merge-policy
 * document), the limits they enforce, and their validation into coded problems with JSON paths. The request
 * parsers of each stage and the HTTP server use the same schemas.
 */
export { REQUEST_LIMITS } from "./limits.js";
export {
  DATASET_REQUEST_SCHEMA,
  EXPORT_JOB_REQUEST_SCHEMA,
  MERGE_POLICY_DOCUMENT_SCHEMA,
  MERGE_POLICY_PATCH_PATHS,
  MERGE_POLICY_PATCH_SCHEMA,
  MERGE_POLICY_REQUEST_SCHEMA,
  SCHEDULE_PATCH_SCHEMA,
  SCHEDULE_REQUEST_SCHEMA,
  SEGMENT_JOB_REQUEST_SCHEMA,
  type ErrorAnnotation,
  type JsonSchema,
} from "./schemas.js";
export {
  checkRequest,
  compileRequestSchemas,
  describeValue,
  otherProblems,
  REQUEST_SCHEMAS,
  requestProblems,
  type RequestEndpoint,
  type RequestKind,
  type RequestProblem,
} from "./validate.js";
