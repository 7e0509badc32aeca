/**
 * The merge behaviours the platform's documents leave open ([CONVENTION] in scenarios.md), each a switch
 * with the documented reading as its default. A sandbox sets them in `sandbox.json` under `"conventions"`
 * (parsed with the membership switches by the engine).
 */

export interface MergeConventions {
  /**
   * M5: `acrossDatasets` (default) — `extSourceSystemAudit.lastUpdatedDate` orders fragments of different
   * datasets only, records of one dataset replace each other in ingestion order (API guide); `all` — it also
   * orders records within a dataset (older UI guide).
   */
  readonly customTimestampScope: "acrossDatasets" | "all";
  /**
   * M4: `perFragment` (default) — each fragment ranks by its custom timestamp when it has one, else by its
   * ingestion time; `ingestUnlessAll` — custom timestamps count only when every fragment of the profile has
   * one, otherwise all rank by ingestion time.
   */
  readonly mixedTimestamps: "perFragment" | "ingestUnlessAll";
  /** M12: `atomic` (default) — an array comes whole from the winning fragment; `union` — distinct items of all fragments, winner's first. */
  readonly arrayMerge: "atomic" | "union";
  /** M11: `single` (default) — one identity stays `primary: true` (the winning fragment's); `asIngested` — flags kept as each fragment has them. */
  readonly identityPrimary: "single" | "asIngested";
  /**
   * M9: how a lookup (`explain --identity`) finds a profile under identity graph `none`: `primary` (default)
   * — the fragments whose primary identity it is; `anyIdentity` — every fragment that carries it.
   */
  readonly noneLookup: "primary" | "anyIdentity";
}

export const DEFAULT_CONVENTIONS: MergeConventions = {
  customTimestampScope: "acrossDatasets",
  mixedTimestamps: "perFragment",
  arrayMerge: "atomic",
  identityPrimary: "single",
  noneLookup: "primary",
};

/** Every setting of every merge switch, the default first. */
export const MERGE_SWITCHES: { readonly [K in keyof MergeConventions]: readonly MergeConventions[K][] } = {
  customTimestampScope: ["acrossDatasets", "all"],
  mixedTimestamps: ["perFragment", "ingestUnlessAll"],
  arrayMerge: ["atomic", "union"],
  identityPrimary: ["single", "asIngested"],
  noneLookup: ["primary", "anyIdentity"],
};
