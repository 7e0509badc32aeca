/**
 * A version of some modules' code: a digest of their source text (the `.ts` files when running from source, the
 * built `.js` files otherwise), so a cache keyed by it is dropped whenever any of them changes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** `modules` are paths without extension, relative to `base` (the caller's `import.meta.url`). */
export function moduleDigest(base: string, modules: readonly string[]): string {
  const ext = base.endsWith(".ts") ? ".ts" : ".js";
  const hash = createHash("sha256");
  for (const m of modules) hash.update(readFileSync(new URL(`${m}${ext}`, base))).update("\0");
  return hash.digest("hex").slice(0, 16);
}
