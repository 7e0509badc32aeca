/**
 * `"conventions"` in sandbox.json: the switches for what the platform's documents leave open — the merge's
 * (MergeConventions) and the memberships' (MembershipConventions). Absent keys keep their defaults.
 */
import { DEFAULT_CONVENTIONS, MERGE_SWITCHES, type MergeConventions } from "../merge/merge-options.js";
import { DEFAULT_MEMBERSHIP_CONVENTIONS, MEMBERSHIP_SWITCHES, type MembershipConventions } from "../segment/membership.js";
import { SandboxError } from "./sandbox-error.js";

export type Conventions = MergeConventions & MembershipConventions;

export const ALL_DEFAULTS: Conventions = { ...DEFAULT_CONVENTIONS, ...DEFAULT_MEMBERSHIP_CONVENTIONS };
const SWITCHES: Record<string, readonly string[]> = { ...MERGE_SWITCHES, ...MEMBERSHIP_SWITCHES };

export function parseConventions(value: unknown, file: string, jsonPath = "$.conventions"): Conventions {
  if (value === undefined) return ALL_DEFAULTS;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SandboxError("SBX-003", "\"conventions\" must be an object", { file, jsonPath });
  }
  const out: Record<string, unknown> = { ...ALL_DEFAULTS };
  for (const [key, v] of Object.entries(value)) {
    const allowed = SWITCHES[key];
    if (allowed === undefined) {
      throw new SandboxError("SBX-003", `unknown convention "${key}" (known: ${Object.keys(SWITCHES).join(", ")})`, { file, jsonPath: `${jsonPath}.${key}` });
    }
    if (!allowed.includes(v as string)) {
      throw new SandboxError("SBX-003", `${key} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, not ${JSON.stringify(v)}`, { file, jsonPath: `${jsonPath}.${key}` });
    }
    out[key] = v;
  }
  return out as unknown as Conventions;
}
