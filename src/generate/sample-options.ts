import type { GenerateOptions } from "./index.js";

/** The options of the checked-in `sample-data/` sandbox (regenerate with `src/generate/make-sample.ts`). */
export const SAMPLE_OPTIONS: GenerateOptions = {
  profiles: 1000,
  eventsPerProfile: 20,
  seed: 42,
  referenceTime: "2026-11-01T00:00:00Z",
  name: "sample",
  format: "jsonl",
};
