/**
 * Membership transitions between evaluations (profile-semantics.md §3.2). The default is the seeds'
 * three-status model (realized → existing → exited); `current` is the platform's post-2023 model where a
 * profile that still qualifies stays `realized`.
 */
import type { MembershipStatus, SegmentMembershipEntry } from "../xdm/types.js";

export type StatusModel = "legacy" | "current";

/** The membership behaviours the platform leaves open ([CONVENTION] S2 and S5), as switches. */
export interface MembershipConventions {
  /** S2: `onChange` (default) — LQT moves only on entry and exit; `everyRun` — also every run a profile still qualifies. */
  readonly lastQualificationTime: "onChange" | "everyRun";
  /** S5: `30days` (default) — exited entries older than 30 days are removed; `keep` — they stay. */
  readonly exitedRetention: "30days" | "keep";
}

export const DEFAULT_MEMBERSHIP_CONVENTIONS: MembershipConventions = { lastQualificationTime: "onChange", exitedRetention: "30days" };

/** Every setting of every membership switch, the default first. */
export const MEMBERSHIP_SWITCHES: { readonly [K in keyof MembershipConventions]: readonly MembershipConventions[K][] } = {
  lastQualificationTime: ["onChange", "everyRun"],
  exitedRetention: ["30days", "keep"],
};

/** Exited entries older than this (by lastQualificationTime) are purged. */
export const EXITED_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** Statuses that mean "member of the audience" under a status model. */
export function memberStatuses(model: StatusModel): readonly MembershipStatus[] {
  return model === "legacy" ? ["realized", "existing"] : ["realized"];
}

/**
 * The entry after an evaluation at `now` (epoch ms), or undefined when the profile has none (never
 * qualified, or an exited entry past retention). By default LQT moves only when the profile enters or exits.
 */
export function nextMembership(
  before: SegmentMembershipEntry | undefined,
  qualifies: boolean,
  now: number,
  model: StatusModel,
  version: string,
  conventions: MembershipConventions = DEFAULT_MEMBERSHIP_CONVENTIONS,
): SegmentMembershipEntry | undefined {
  const at = new Date(now).toISOString();
  if (before === undefined) return qualifies ? { status: "realized", lastQualificationTime: at, version } : undefined;
  if (before.status === "exited") {
    if (qualifies) return { status: "realized", lastQualificationTime: at, version };
    const lqt = Date.parse(before.lastQualificationTime);
    return conventions.exitedRetention === "30days" && now - lqt > EXITED_RETENTION_MS ? undefined : before;
  }
  if (!qualifies) return { status: "exited", lastQualificationTime: at, version };
  const lastQualificationTime = conventions.lastQualificationTime === "everyRun" ? at : before.lastQualificationTime;
  return { status: model === "legacy" ? "existing" : "realized", lastQualificationTime, version };
}
