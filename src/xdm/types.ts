/**
 * The platform's XDM shapes, in the form Experience Platform exposes them (`xdm:` dropped, `@id` → `_id`).
 * Field names mirror the platform's JSON exactly.
 */

/** A JSON value as read from a dataset file. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type AuthenticatedState = "ambiguous" | "authenticated" | "loggedOut";

/** One identity in an identityMap namespace. */
export interface IdentityItem {
  id: string;
  authenticatedState?: AuthenticatedState;
  primary?: boolean;
}

/** Namespace code → identities (e.g. `{ "CRMID": [{ "id": "c1", "primary": true }] }`). */
export type IdentityMap = Record<string, IdentityItem[]>;

/** Segment membership statuses: `existing` is the legacy (pre-2023) status for "still qualifies". */
export type MembershipStatus = "realized" | "existing" | "exited";

export interface SegmentMembershipEntry {
  status: MembershipStatus;
  /** RFC 3339: when the profile entered or exited. */
  lastQualificationTime: string;
  /** Version of the segment definition that produced the entry. */
  version?: string;
  /** RFC 3339: after this the assertion is ignored (external audiences). */
  validUntil?: string;
}

/** Namespace (`ups`) → segment id → membership. */
export type SegmentMembership = Record<string, Record<string, SegmentMembershipEntry>>;

/** The system columns of a data-lake row: when and in which batch it was ingested. */
export interface AcpSystemMetadata {
  /** Epoch milliseconds, or RFC 3339 in hand-written files. */
  ingestTime: number | string;
  sourceBatchId?: string;
}

/** An XDM Individual Profile record as stored in a dataset file. */
export interface ProfileRecord extends JsonObject {}

/** An XDM ExperienceEvent as stored in a dataset file (`_id` and `timestamp` required). */
export interface ExperienceEventRecord extends JsonObject {}

export type MergePolicyIdentityGraph = "none" | "pdg";
export type AttributeMergeType = "timestampOrdered" | "dataSetPrecedence";

/** A merge policy, field for field as `GET /config/mergePolicies/{id}` returns it. */
export interface MergePolicy {
  id: string;
  name: string;
  imsOrgId?: string;
  sandbox?: { sandboxId: string; sandboxName: string; type: string; default: boolean };
  schema: { name: string };
  version: number;
  identityGraph: { type: MergePolicyIdentityGraph };
  attributeMerge: { type: AttributeMergeType; order?: string[] };
  isActiveOnEdge?: boolean;
  default: boolean;
  updateEpoch?: number;
}

export type PqlFormat = "pql/text" | "pql/json";

/** A segment definition as the Segmentation API returns it. */
export interface SegmentDefinition {
  id: string;
  name: string;
  description?: string;
  schema: { name: string };
  expression: { type: "PQL"; format: PqlFormat; value: string };
  mergePolicyId?: string;
  version?: number;
  evaluationInfo?: Record<string, unknown>;
}

export const PROFILE_SCHEMA_NAME = "_xdm.context.profile";
export const PROFILE_UNION_SCHEMA_ID = "https://ns.adobe.com/xdm/context/profile__union";
export const UPS_NAMESPACE = "ups";
