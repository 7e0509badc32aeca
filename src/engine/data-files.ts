/**
 * The sandbox's data files as listed in sandbox.json, apart from reading them (load-data.ts): what the jobs on
 * DuckDB and the memory budget need of them without loading the JS readers.
 */
import { join } from "node:path";
import { listedAt, type ListedAt } from "../io/data-file.js";
import { MANIFEST_FILE } from "../io/sandbox-files.js";
import type { Dataset, Sandbox } from "./sandbox.js";

/** One data file of a profile or event dataset, in load order. */
export interface DataFile {
  readonly dataset: Dataset;
  /** Index of the dataset in `sandbox.datasets`. */
  readonly datasetIndex: number;
  /** Path relative to the sandbox, as listed in the manifest. */
  readonly rel: string;
  readonly path: string;
  /** Its entry in sandbox.json, where a missing file or a directory is reported. */
  readonly listed: ListedAt;
}

/** The sandbox's data files in load order (dataset order, then file order). */
export function dataFiles(sandbox: Sandbox): DataFile[] {
  return sandbox.datasets.flatMap((dataset, datasetIndex) =>
    dataset.kind === "union"
      ? []
      : (dataset.entry.files ?? []).map((rel, i) => ({ dataset, datasetIndex, rel, path: join(sandbox.dir, rel), listed: listedAt(join(sandbox.dir, MANIFEST_FILE), datasetIndex, i, rel) })),
  );
}
