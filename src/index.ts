/**
 * profile-lab's public library API: the only module other projects import.
 */
export { openSandbox, type Dataset, type Sandbox } from "./engine/sandbox.js";
export { runSegmentJob, type SegmentJobOptions } from "./engine/run-segment-job.js";
export { runExportJob, type ExportJobOptions, type ExportResult } from "./engine/run-export-job.js";
export type { BatchRecord } from "./store/catalog-types.js";
export { generateSandbox, type GenerateOptions, type GenerateSummary } from "./generate/index.js";
export { mergeFragments, type MergedProfile } from "./merge/merge-fragments.js";
export type { EventFragment, RecordFragment } from "./merge/fragment.js";
export { nextMembership, type StatusModel } from "./segment/membership.js";
export type { SegmentJob, SegmentJobStatus, JobError } from "./segment/segment-job.js";
export type { ExportJob, ExportJobStatus } from "./export/export-job.js";
export { parseExportRequest, type ExportJobRequest, type ExportPlan } from "./export/export-request.js";
export { ProfileLabError, type SourceLocation } from "./xdm/errors.js";
export type * from "./xdm/types.js";
export type { SandboxManifest, DatasetEntry } from "./io/sandbox-manifest.js";
