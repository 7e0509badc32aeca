/**
 * The version of a sandbox's data as the SQL merge reads it, and the file its linked identities are kept in under
 * `.profile-lab/engine/<version>.duckdb` (src/sql/merge/kept-tables.ts). The version changes whenever anything
 * those tables depend on does: a data file's stat (as the data check stamps it: validate-sources.ts), the datasets'
 * manifest entries, the merge's sources (schemas, union schemas, files and their order, conventions), the code that
 * reads and links (a digest of its modules) and DuckDB's version.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { version as duckDbVersion } from "@duckdb/node-api";
import { KEPT_EXTENSION } from "../sql/merge/kept-tables.js";
import type { MergeSources } from "../sql/merge/sources.js";
import { SandboxState } from "../store/sandbox-state.js";
import { moduleDigest } from "./module-digest.js";
import type { Sandbox } from "./sandbox.js";
import { fileStat } from "./validate-sources.js";

/** The modules whose code decides what SqlMerge.prepare builds (reading, types, keys and hashes, links, keeping). */
const LINKING_MODULES = [
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

let codeDigest: string | undefined;

/** JSON with Maps (the XDM types' fields) as arrays of entries, in their order. */
const withMaps = (_: string, v: unknown): unknown => (v instanceof Map ? [...v] : v);

/** The version of the data `sources` reads (throws when a file cannot be stat'ed: the job then fails reading it). */
function dataVersion(sandbox: Sandbox, sources: MergeSources): string {
  codeDigest ??= moduleDigest(import.meta.url, LINKING_MODULES);
  const stats = sources.datasets.flatMap((d) => d.files.map((f) => fileStat(f.path)));
  const entries = sandbox.datasets.map((d) => d.entry);
  return createHash("sha256")
    .update(JSON.stringify([duckDbVersion(), codeDigest, entries, sources, stats], withMaps))
    .digest("hex")
    .slice(0, 24);
}

/** The file the linked identities of this version of the data are kept in. */
export function keptLinksFile(sandbox: Sandbox, sources: MergeSources): string {
  return join(new SandboxState(sandbox.dir).engineDir, `${dataVersion(sandbox, sources)}${KEPT_EXTENSION}`);
}
