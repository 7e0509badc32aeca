import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LINKING_MODULES, MERGING_MODULES } from "./data-version.js";

const MERGE_DIR = new URL("../sql/merge/", import.meta.url);

/** The modules of src/sql/merge that `module` imports for more than types, and theirs, `module` included. */
function reached(module: string, seen = new Set<string>()): Set<string> {
  if (seen.has(module)) return seen;
  seen.add(module);
  const source = readFileSync(new URL(`${module}.ts`, MERGE_DIR), "utf8");
  for (const m of source.matchAll(/^import (?!type )[^;]*? from "\.\/([\w-]+)\.js";/gm)) reached(m[1]!, seen);
  return seen;
}

describe("the versions kept files are named by", () => {
  it("digest every module of src/sql/merge that the SQL merge runs: a change to any is another version", () => {
    const digested = new Set([...LINKING_MODULES, ...MERGING_MODULES].filter((m) => m.startsWith("../sql/merge/")).map((m) => m.slice("../sql/merge/".length)));
    expect([...reached("sql-merge")].filter((m) => !digested.has(m))).toEqual([]);
    expect(reached("sql-merge").has("identity-map-union")).toBe(true);
  });
});
