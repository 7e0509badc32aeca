/**
 * The version of a sandbox's data as the SQL merge reads it, and the files what the merge builds is kept in under
 * `.profile-lab/engine/` (src/sql/merge/kept-tables.ts): the linked identities in `<version>.duckdb`, each merge
 * policy's merged profiles in `<version>.<policy's slot>-<digest>.duckdb`. The version changes whenever anything those
 * tables depend on does: a data file's stat (as the data check stamps it: validate-sources.ts), the datasets'
 * manifest entries, the merge's sources (schemas, union schemas, files and their order, conventions), the code that
 * reads and links (a digest of its modules) and DuckDB's version; a policy's digest, when the policy or the code
 * that merges does.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { version as duckDbVersion } from "@duckdb/node-api";
import { KEPT_EXTENSION } from "../sql/merge/kept-tables.js";
import type { MergeSources } from "../sql/merge/sources.js";
import type { KeptFiles } from "../sql/merge/sql-merge.js";
import { SandboxState } from "../store/sandbox-state.js";
import { moduleDigest } from "./module-digest.js";
import type { Sandbox } from "./sandbox.js";
import { fileStat } from "./validate-sources.js";

/** The modules whose code decides what SqlMerge.prepare builds (reading, types, keys and hashes, links, keeping). */
export const LINKING_MODULES = [
  "../sql/merge/sql-merge",
  "../sql/merge/identities",
  "../sql/merge/read-datasets",
  "../sql/merge/read-as",
  "../sql/merge/file-types",
  "../sql/merge/sources",
  "../sql/merge/kept-tables",
  "../sql/merge/duckdb-session",
  "../sql/duckdb",
  "../sql/dialect",
  "../sql/types",
  "./profile-groups",
  "./data-version",
];

/** The modules whose code decides a policy's merged profiles, beside the linking ones. */
export const MERGING_MODULES = ["../sql/merge/merge-profiles", "../sql/merge/identity-map-union", "../sql/merge/field-use", "../sql/row-shape", "../merge/merge-fragments"];

let codeDigest: string | undefined;
let mergeDigest: string | undefined;

/** JSON with Maps (the XDM types' fields) as arrays of entries, in their order. */
const withMaps = (_: string, v: unknown): unknown => (v instanceof Map ? [...v] : v);

/** The version of the data `sources` reads (throws when a file cannot be stat'ed: the job then fails reading it). */
function dataVersion(sandbox: Sandbox, sources: MergeSources): string {
  codeDigest ??= moduleDigest(import.meta.url, LINKING_MODULES);
  const stats = sources.datasets.flatMap((d) => d.files.map((f) => fileStat(f.path)));
  const entries = sandbox.datasets.map((d) => d.entry);
  // Files by their place in the sandbox, not by the path the sandbox was opened by (`--sandbox x`, `./x`, `/abs/x`).
  const placed = { ...sources, datasets: sources.datasets.map((d) => ({ ...d, files: d.files.map(({ rel, ordinal }) => ({ rel, ordinal })) })) };
  return createHash("sha256")
    .update(JSON.stringify([duckDbVersion(), codeDigest, entries, placed, stats], withMaps))
    .digest("hex")
    .slice(0, 24);
}

/** The files what the SQL merge builds over this version of the data is kept in. */
export function keptFiles(sandbox: Sandbox, sources: MergeSources): KeptFiles {
  const dir = new SandboxState(sandbox.dir).engineDir;
  const version = dataVersion(sandbox, sources);
  mergeDigest ??= moduleDigest(import.meta.url, MERGING_MODULES);
  return {
    links: join(dir, `${version}${KEPT_EXTENSION}`),
    merged: (policy) => {
      // The policy's slot (its id) and what its merged profiles depend on (the policy and the merging code).
      const slot = createHash("sha256").update(policy.id).digest("hex").slice(0, 8);
      const digest = createHash("sha256").update(JSON.stringify([mergeDigest, policy])).digest("hex").slice(0, 16);
      return join(dir, `${version}.${slot}-${digest}${KEPT_EXTENSION}`);
    },
  };
}
