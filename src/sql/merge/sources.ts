/**
 * What the SQL merge reads: a sandbox's profile and event datasets with their files in load order (the order
 * src/engine/load-data.ts reads them, which the reference's last tie-break follows), their own schemas, the union
 * schemas and the merge conventions.
 */
import { join } from "node:path";
import type { Sandbox } from "../../engine/sandbox.js";
import { listedAt } from "../../io/data-file.js";
import { MANIFEST_FILE } from "../../io/sandbox-files.js";
import { checkReadable } from "../../io/sandbox-path.js";
import type { MergeConventions } from "../../merge/merge-options.js";
import type { XdmObject } from "../../xdm/xdm-type.js";

export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  /** As listed in sandbox.json (relative to the sandbox), for located errors. */
  readonly rel: string;
  /** Position of the file in the sandbox's load order (all datasets). */
  readonly ordinal: number;
}

export interface SourceDataset {
  /** Position in sandbox.json's datasets. */
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly kind: "profile" | "event";
  /** The dataset's own schema: what its files are read as. */
  readonly type: XdmObject;
  readonly primaryNamespace: string | undefined;
  readonly files: readonly SourceFile[];
}

export interface MergeSources {
  readonly datasets: readonly SourceDataset[];
  readonly profileType: XdmObject;
  readonly eventType: XdmObject;
  readonly conventions: MergeConventions;
}

/** The merge's view of an opened sandbox. */
export function mergeSourcesOf(sandbox: Sandbox): MergeSources {
  let ordinal = 0;
  const datasets: SourceDataset[] = [];
  sandbox.datasets.forEach((d, index) => {
    if (d.kind === "union") return;
    const files = (d.entry.files ?? []).map((rel, i) => {
      const path = join(sandbox.dir, rel);
      // DuckDB opens the files itself, so the path policy is checked here: inside the sandbox, regular files (io/sandbox-path.ts).
      checkReadable(path, { listed: listedAt(join(sandbox.dir, MANIFEST_FILE), index, i, rel) });
      return { path, rel, ordinal: ordinal++ };
    });
    datasets.push({ index, id: d.entry.id, name: d.entry.name, kind: d.kind, type: d.schema!.type, primaryNamespace: d.entry.primaryIdentityNamespace, files });
  });
  return { datasets, profileType: sandbox.profileType, eventType: sandbox.eventType, conventions: sandbox.conventions };
}
