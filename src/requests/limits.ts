/**
 * Size limits of request bodies. Where the platform documents a limit it is used and cited (doc paths are in
 * AdobeDocs/experience-platform.en, at the commit read); where it documents none, the bound is profile-lab's
 * own ("ours"), chosen far above any real request so that no body can make a job do unbounded work.
 */
export const REQUEST_LIMITS = {
  /**
   * Segments of one segment job listed by id: "Less than or equal to 1500 segments in your segment job" is the
   * array form; "When running a segment job with more than 1500 segments, you will need to pass `*` as the
   * segment ID" (help/segmentation/api/segment-jobs.md @16ad057b, "Create a new segment job").
   */
  segmentJobSegments: 1500,
  /**
   * Entries of an export job's `filter.segments`. The export-job pages document no maximum; an export names
   * audiences of one sandbox, which holds at most 4000 batch audiences (help/profile/guardrails.md @0063f08c,
   * "Segmentation guardrails": "Batch audiences per sandbox | 4000").
   */
  exportFilterSegments: 4000,
  /** A schedule's `properties.segments`: each run is a segment job, so the segment job's 1500 (above). */
  scheduleSegments: 1500,
  /**
   * `attributeMerge.order`: "You can select up to 50 datasets" of Profile data and "up to 50 ExperienceEvent
   * datasets" (help/profile/merge-policies/ui-guide.md @258dddcc); the API's one list holds both.
   */
  mergePolicyOrder: 100,
  /** Merge-policy versions are int32 in the spec (segmentation.yaml, SegmentJob `mergePolicy.version`, format int32). */
  maxVersion: 2_147_483_647,
  /** Ids and codes (segment, dataset, merge policy, namespace): platform ids are 24–36 characters. Ours. */
  idLength: 256,
  /** Display names (merge policy, schedule, dataset). Ours. */
  nameLength: 512,
  /** Free text (dataset description). Ours. */
  descriptionLength: 16_384,
  /** A comma-separated `fields` list. Ours. */
  fieldListLength: 65_536,
  /** An RFC 3339 timestamp: 35 characters with nanoseconds and an offset. Ours. */
  timestampLength: 64,
  /** A Quartz cron expression. Ours. */
  cronLength: 256,
  /** Operations in one JSON Patch body. Ours. */
  patchOperations: 100,
  /** Catalog tags: names, values per name, and each value's length. Ours. */
  tags: 100,
  tagValues: 100,
  tagValueLength: 1024,
  /** Schema `$id` URIs and content types (`schemaRef`). Ours. */
  uriLength: 2048,
} as const;
