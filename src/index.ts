/**
 * profile-lab's public library API: the only module other projects import.
 */
export { checkSandboxSegments, openSandbox, type Dataset, type Sandbox, type SegmentCheckResult } from "./engine/sandbox.js";
export { createSegmentJob, runSegmentJob, type SegmentJobOptions } from "./engine/run-segment-job.js";
export { createExportJob, runExportJob, type ExportJobOptions, type ExportResult } from "./engine/run-export-job.js";
export { JOB_ENGINES, type JobEngine } from "./engine/job-engine.js";
export type { SqlStatement } from "./sql/jobs/engine-session.js";
export { explain, type AsOfSource, type Explanation, type ExplainOptions } from "./engine/explain.js";
export {
  evaluate,
  evaluateSegments,
  memoryData,
  memorySandbox,
  type DatasetInput,
  type DatasetRows,
  type EvaluateOptions,
  type Evaluation,
  type Memberships,
  type ProfileResult,
  type SandboxDefinition,
  type SegmentResult,
} from "./engine/evaluate.js";
export { estimate, preview, profilePaths, type EstimateResult, type PreviewOptions, type PreviewResult } from "./engine/preview.js";
export { runSegmentTests, testFilesOf, type AssertionResult, type RunTestsOptions, type TestResult, type TestSummary } from "./testing/run-tests.js";
export { parseTestFile, readTestFile, TestFileError, type ParsedTestFile } from "./testing/test-file.js";
export { TEST_FILE_SCHEMA, type Assertion, type TestFile } from "./testing/test-file-schema.js";
export { jsonReport, junitReport, prettyReport, type ReporterName } from "./testing/reporters.js";
export { checkSandboxData, formatDataCheck, formatDataIssue, type DataCheckOptions, type DataCheckProgress, type DataCheckReport, type DataIssue } from "./engine/check-data.js";
export { runSchedules, schedulesOf, type ScheduleRunOptions, type ScheduleRunResult } from "./engine/run-schedules.js";
export { recoverInterruptedJobs } from "./engine/job-recovery.js";
export type { JobProgress } from "./engine/job-progress.js";
export { generateSandbox, type GenerateOptions, type GenerateSummary } from "./generate/index.js";
export { mergeFragments, type MergedProfile } from "./merge/merge-fragments.js";
export { DEFAULT_CONVENTIONS, type MergeConventions } from "./merge/merge-options.js";
export { parseConventions, type Conventions } from "./engine/conventions.js";
export { MergePolicyStore } from "./merge/merge-policy-store.js";
export type { EventFragment, RecordFragment } from "./merge/fragment.js";
export { nextMembership, type StatusModel } from "./segment/membership.js";
export type { SegmentJob, SegmentJobStatus, JobError } from "./segment/segment-job.js";
export { bulkGetSegmentJobs, listSegmentJobs, parseSegmentJobRequest, type SegmentJobList } from "./segment/segment-job-list.js";
export type { ExportJob, ExportJobStatus } from "./export/export-job.js";
export { listExportJobs, type ExportJobList } from "./export/export-job-list.js";
export { parseExportRequest, type ExportJobRequest, type ExportPlan } from "./export/export-request.js";
export { REQUEST_LIMITS, REQUEST_SCHEMAS, requestProblems, type JsonSchema, type RequestKind, type RequestProblem } from "./requests/index.js";
export { Schedules, type Schedule } from "./schedule/index.js";
export { Catalog } from "./store/catalog.js";
export { DataAccess } from "./store/data-access.js";
export { SandboxState } from "./store/sandbox-state.js";
export type { BatchRecord } from "./store/catalog-types.js";
export {
  astToPqlJson,
  checkPql,
  checkSegment,
  compilePql,
  compileSegmentDefinitionExpression,
  compileSegmentExpression,
  compileSegmentSet,
  formatPql,
  parsePql,
  PqlError,
  pqlJsonToAst,
  tracePql,
  type PqlContext,
  type PqlSchema,
  type PqlTraceNode,
} from "./pql/index.js";
export { ProfileLabError, type SourceLocation } from "./xdm/errors.js";
export { buildServer, type ServerOptions } from "./server/app.js";
export { SegmentDefinitionStore, type SegmentDefinitionRecord } from "./segment/segment-definition-store.js";
export type * from "./xdm/types.js";
export type { SandboxManifest, DatasetEntry } from "./io/sandbox-manifest.js";
