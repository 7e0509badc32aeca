/**
 * Export jobs: the platform's job JSON (`/export/jobs`), the batches a job writes, and the per-profile
 * filters (segments + status + qualification time, ingest time, empty profiles).
 */
import type { JobError, TimeMetric } from "../segment/segment-job.js";
import type { MembershipStatus, SegmentMembership } from "../xdm/types.js";
import type { ExportJobRequest, ExportPlan, ResolvedSegmentFilter } from "./export-request.js";

export type ExportJobStatus = "NEW" | "PROCESSING" | "SUCCEEDED" | "FAILED";

export interface ExportBatchRef {
  segmentId: string;
  segmentNs: string;
  status: MembershipStatus[];
  batchId: string;
}

/** An export job, field for field as `GET /export/jobs/{id}` returns it. */
export interface ExportJob {
  id: number;
  jobType: "BATCH";
  profileInstanceId: "ups";
  status: ExportJobStatus;
  fields?: string;
  schema: { name: string };
  mergePolicy: { id: string; version: number };
  filter?: ExportJobRequest["filter"];
  additionalFields?: ExportJobRequest["additionalFields"];
  destination: { datasetId: string; segmentPerBatch: boolean; batchId?: string; batches?: ExportBatchRef[] };
  metrics: {
    totalTime: TimeMetric;
    profileExportTime?: TimeMetric;
    aCPDatasetWriteTime?: TimeMetric;
    totalExportedProfileCounter?: number;
    exportedProfileByNamespaceCounter?: Record<string, number>;
    /** Not a platform field: profiles left out of the export, by reason (identity graphs over 50 identities). */
    excludedProfileCounter?: { identityGraphOverLimit: number };
  };
  computeGatewayJobId: { exportJob?: string; pushJob?: string };
  errors?: JobError[];
  imsOrgId: string;
  requestId: string;
  creationTime: number;
  updateTime: number;
  /**
   * Not a platform field: the job's evaluation clock, RFC 3339 — the instant of its segmentation when the
   * request asks for one (`runSegmentation`), and of external audiences' validity. The platform's export job
   * has no free-form object (a segment job's sits in `properties`), so it is a top-level field, last, named
   * like nothing the platform's export job JSON has. Absent on jobs recorded before it was stored.
   */
  asOf?: string;
}

/** One output batch: which profiles go in it (any of its filters; no filters = every profile). */
export interface BatchSpec {
  readonly batchId: string;
  readonly filters: readonly ResolvedSegmentFilter[] | undefined;
}

/** One batch for the whole job, or one per segment filter entry with `segmentPerBatch`. */
export function planBatches(plan: ExportPlan, batchIdFor: (index: number) => string): BatchSpec[] {
  if (plan.segmentPerBatch && plan.segments && plan.segments.length > 0) {
    return plan.segments.map((f, i) => ({ batchId: batchIdFor(i), filters: [f] }));
  }
  return [{ batchId: batchIdFor(0), filters: plan.segments }];
}

/** The job's `destination` object for a plan and its batches. */
export function destinationOf(plan: ExportPlan, batches: readonly BatchSpec[]): ExportJob["destination"] {
  if (plan.segmentPerBatch && plan.segments && plan.segments.length > 0) {
    return {
      datasetId: plan.datasetId,
      segmentPerBatch: true,
      batches: batches.map((b) => {
        const f = b.filters![0]!;
        return { segmentId: f.segmentId, segmentNs: f.segmentNs, status: [...f.status], batchId: b.batchId };
      }),
    };
  }
  return { datasetId: plan.datasetId, segmentPerBatch: plan.segmentPerBatch, batchId: batches[0]!.batchId };
}

/** Whether a profile's memberships (every namespace) satisfy one segment filter entry (status and qualification window). */
export function matchesSegmentFilter(memberships: SegmentMembership, filter: ResolvedSegmentFilter, plan: ExportPlan): boolean {
  const ns = Object.keys(memberships).find((k) => k.toLowerCase() === filter.segmentNs.toLowerCase());
  const entry = ns === undefined ? undefined : memberships[ns]![filter.segmentId];
  if (entry === undefined || !filter.status.includes(entry.status)) return false;
  if (plan.qualificationStart === undefined && plan.qualificationEnd === undefined) return true;
  const lqt = Date.parse(entry.lastQualificationTime);
  return (plan.qualificationStart === undefined || lqt >= plan.qualificationStart) && (plan.qualificationEnd === undefined || lqt <= plan.qualificationEnd);
}

/** Whether a profile passes the profile-level filters: empty profiles and `fromIngestTimestamp` (strictly after). */
export function passesProfileFilters(plan: ExportPlan, hasRecords: boolean, lastUpdate: number): boolean {
  if (!hasRecords && !plan.emptyProfiles) return false;
  return plan.fromIngestTimestamp === undefined || lastUpdate > plan.fromIngestTimestamp;
}
