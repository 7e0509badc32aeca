/** Seed-vs-ours shape comparison and the tolerances the seeds' samples need. */
import { extraKeys, renameKeys, shapeDiff, shapeOf } from "./shape.js";
import type { Tolerance } from "./openapi.js";
import { at } from "./openapi.js";

export interface ShapeComparison {
  /** Seed key spellings mapped to ours before comparing (`destination.dataSetId` → `destination.datasetId`). */
  readonly renames?: Readonly<Record<string, string>>;
  /** Objects whose keys are data (see ShapeOptions.maps). */
  readonly maps?: readonly string[];
}

/** The seed's keys/types ours lacks (`missing $.a.b`, `type $.a: seed x, ours y`), sorted. */
export function shapeMismatches(seed: unknown, ours: unknown, c: ShapeComparison = {}): string[] {
  const expected = shapeOf(renameKeys(seed, c.renames ?? {}), { maps: c.maps ?? [] });
  return shapeDiff(expected, shapeOf(ours, { maps: c.maps ?? [] })).sort();
}

/** Keys only ours has (for the comments that list them). */
export function oursOnly(seed: unknown, ours: unknown, c: ShapeComparison = {}): string[] {
  return extraKeys(shapeOf(renameKeys(seed, c.renames ?? {}), { maps: c.maps ?? [] }), shapeOf(ours, { maps: c.maps ?? [] }));
}

/**
 * profile-semantics.md §5.3: "`destination.dataSetId` vs `datasetId`: both spellings appear in samples
 * [AMBIGUOUS; emit `datasetId`, accept both]." The seeds' create/get samples of 000/002/003/004 spell it
 * `dataSetId`; we emit `datasetId`.
 */
export const DATASET_ID_SPELLING = { "destination.dataSetId": "destination.datasetId", "records.[].destination.dataSetId": "records.[].destination.datasetId" };

/**
 * The spec (ExportJobResponse) models `destination.batches` as one object; the docs (seed 003 and 004, the
 * create and get responses) show an array of them, and profile-semantics.md §5.3 says: "With
 * `segmentPerBatch: true`, `destination` carries `batches: [{segmentId, segmentNs, status, batchId}, …]` … (spec
 * models `batches` as a single object — spec bug)". §9 lists "`destination.batches` (object in spec, array in
 * docs)" among the contradictions a test must tolerate. Both variants are accepted; array items are validated
 * against the spec's object.
 */
export function batchesAsArray(path = "destination.batches"): Tolerance {
  return {
    why: "destination.batches: object in spec, array in docs (§5.3, §9)",
    patch: (schema) => {
      const parent = at(schema, path.split(".").slice(0, -1).join("."));
      const key = path.split(".").at(-1)!;
      const props = parent["properties"] as Record<string, unknown>;
      const item = props[key] as object;
      props[key] = { anyOf: [item, { type: "array", items: item }] };
    },
  };
}

/** Objects keyed by data (segment id → count, namespace → count, job id → job), for shapeOf. */
export const SEGMENT_JOB_MAPS = [
  "metrics.segmentedProfileCounter",
  "metrics.segmentedProfileByNamespaceCounter",
  "metrics.segmentedProfileByNamespaceCounter.*",
  "metrics.segmentedProfileByStatusCounter",
  "metrics.segmentedProfileByStatusCounter.*",
  "metrics.totalProfilesByMergePolicy",
];

/**
 * The spec's SegmentJob requires `metrics.profileSegmentationTime`; a job that is still running has none.
 * profile-semantics.md §4.2: "While running, metrics may be partial (`totalTime.startTimeInMs` only, empty
 * `profileSegmentationTime`)"; 003's own create sample (PROCESSING) has no metrics at all. Applied to the create
 * response only, whose job is running; the get/list/bulk-get answers here are of finished jobs.
 */
export const RUNNING_METRICS: Tolerance = {
  why: "a running job's metrics have no profileSegmentationTime yet (§4.2)",
  patch: (schema) => {
    const metrics = (schema["properties"] as Record<string, { required?: string[] }>)["metrics"]!;
    metrics.required = metrics.required!.filter((r) => r !== "profileSegmentationTime");
  },
};
