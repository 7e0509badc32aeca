/**
 * External audiences (`audiences/*.json`): memberships that come from outside the platform's segmentation
 * (Audience Manager, uploads) under their own namespace, e.g. `AAM`. They are never evaluated here; they sit
 * in the profile's segmentMembership beside `ups` while valid: until `validUntil`, or for 30 days after
 * `lastQualificationTime` when there is none (FG-SEG, scenario S8).
 *
 * ```json
 * { "id": "04a81716-…", "name": "AAM high value", "namespace": "AAM",
 *   "members": [ { "identity": "CRMID:c1", "lastQualificationTime": "2024-05-01T00:00:00Z", "validUntil": "…" } ] }
 * ```
 */
import { identityKey, type IdentityKey } from "../identity/identity-key.js";
import type { JsonDocument } from "../io/sandbox-files.js";
import { parseDateTime } from "../xdm/time.js";
import type { MembershipStatus, SegmentMembership, SegmentMembershipEntry } from "../xdm/types.js";
import { EXITED_RETENTION_MS } from "./membership.js";
import { SegmentError } from "./segment-error.js";

interface ExternalMembership {
  readonly namespace: string;
  readonly segmentId: string;
  readonly entry: SegmentMembershipEntry;
  /** Epoch ms after which the membership is ignored. */
  readonly validUntil: number;
}

/** External memberships by identity. */
export type ExternalAudiences = ReadonlyMap<IdentityKey, readonly ExternalMembership[]>;

const STATUSES: readonly MembershipStatus[] = ["realized", "existing", "exited"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads and validates every audience document; errors name the file and JSON path. */
export function parseExternalAudiences(docs: readonly JsonDocument[]): ExternalAudiences {
  const byIdentity = new Map<IdentityKey, ExternalMembership[]>();
  for (const doc of docs) {
    const fail = (jsonPath: string, message: string): never => {
      throw new SegmentError("SEG-A001", message, { file: doc.file, jsonPath });
    };
    const v = doc.value;
    if (!isObject(v)) return fail("$", "an audience must be a JSON object");
    if (typeof v["id"] !== "string" || v["id"] === "") fail("$.id", "an audience needs an \"id\"");
    if (typeof v["namespace"] !== "string" || v["namespace"] === "") fail("$.namespace", "an audience needs a \"namespace\" (e.g. \"AAM\")");
    if (String(v["namespace"]).toLowerCase() === "ups") fail("$.namespace", "\"ups\" memberships come from segment jobs; an external audience needs its own namespace");
    if (!Array.isArray(v["members"])) return fail("$.members", "\"members\" must be an array of {identity, lastQualificationTime, validUntil?}");
    v["members"].forEach((m: unknown, i: number) => {
      const at = `$.members[${i}]`;
      if (!isObject(m)) return fail(at, "a member must be an object");
      const identity = m["identity"];
      const colon = typeof identity === "string" ? identity.indexOf(":") : -1;
      if (typeof identity !== "string" || colon <= 0 || colon === identity.length - 1) return fail(`${at}.identity`, "identity must be \"Namespace:id\", e.g. \"CRMID:c1\"");
      const lqtText = m["lastQualificationTime"];
      const lqt = typeof lqtText === "string" ? parseDateTime(lqtText) : undefined;
      if (lqt === undefined) return fail(`${at}.lastQualificationTime`, "lastQualificationTime must be an RFC 3339 timestamp");
      let validUntil = lqt + EXITED_RETENTION_MS;
      if (m["validUntil"] !== undefined) {
        const until = typeof m["validUntil"] === "string" ? parseDateTime(m["validUntil"]) : undefined;
        if (until === undefined) return fail(`${at}.validUntil`, "validUntil must be an RFC 3339 timestamp");
        validUntil = until;
      }
      const status = m["status"] ?? "realized";
      if (!STATUSES.includes(status as MembershipStatus)) return fail(`${at}.status`, `status must be one of ${STATUSES.join(", ")}`);
      const key = identityKey(identity.slice(0, colon), identity.slice(colon + 1));
      const entry: SegmentMembershipEntry = {
        status: status as MembershipStatus,
        lastQualificationTime: new Date(lqt).toISOString(),
        ...(m["validUntil"] !== undefined ? { validUntil: new Date(validUntil).toISOString() } : {}),
      };
      const list = byIdentity.get(key) ?? [];
      list.push({ namespace: v["namespace"] as string, segmentId: v["id"] as string, entry, validUntil });
      byIdentity.set(key, list);
    });
  }
  return byIdentity;
}

/** The external memberships of a profile (any of its identities) still valid at `now`, by namespace. */
export function externalMemberships(audiences: ExternalAudiences, identities: readonly IdentityKey[], now: number): SegmentMembership {
  const out: SegmentMembership = {};
  for (const id of identities) {
    for (const m of audiences.get(id) ?? []) {
      if (now > m.validUntil) continue;
      const ns = (out[m.namespace] ??= {});
      const cur = ns[m.segmentId];
      if (cur === undefined || m.entry.lastQualificationTime > cur.lastQualificationTime) ns[m.segmentId] = m.entry;
    }
  }
  return out;
}
