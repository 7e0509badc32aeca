/**
 * `sandbox.json`: what a sandbox directory holds. Names follow the platform's vocabulary (Catalog datasets
 * with a `schemaRef`, the sandbox object of the merge-policy and job responses).
 *
 * ```
 * <sandbox>/
 *   sandbox.json                 this manifest
 *   schemas/*.schema.json        XDM JSON Schemas, found by their `$id` (a dataset's schemaRef.id)
 *   datasets/*.jsonl|*.parquet   one record or event per line (or row), each with `_acp_system_metadata.ingestTime`
 *   merge-policies/*.json        merge policies, exactly the platform's JSON
 *   segments/*.json              segment definitions, exactly the platform's JSON
 *   export-jobs/*.json           export-job request bodies (POST /export/jobs)
 *   audiences/*.json             external audiences (memberships under their own namespace, e.g. AAM)
 *   .profile-lab/                state written by the engine (jobs, membership, lake)
 * ```
 */
export interface SandboxInfo {
  sandboxId: string;
  sandboxName: string;
  type: "production" | "development";
  default: boolean;
}

export interface SchemaRef {
  /** The schema's `$id`; `https://ns.adobe.com/xdm/context/profile__union` for export targets. */
  id: string;
  contentType?: string;
}

export interface DatasetEntry {
  /**
   * Catalog dataset id (24 hex characters on the platform): here any identifier (letters, digits, `.`, `_`,
   * `-`), since an export makes it a folder name in the lake (io/sandbox-path.ts).
   */
  id: string;
  name: string;
  description?: string;
  schemaRef: SchemaRef;
  /**
   * Data files, relative to the sandbox directory and inside it (`.jsonl`, or `.parquet`; see
   * io/sandbox-path.ts). Empty for an export target.
   */
  files?: string[];
  /**
   * Namespace of the record's primary identity when no identityMap item is flagged `primary: true`
   * (the platform declares it on the schema's identity descriptor).
   */
  primaryIdentityNamespace?: string;
  tags?: Record<string, string[]>;
}

export interface SandboxManifest {
  name: string;
  imsOrgId: string;
  sandbox: SandboxInfo;
  datasets: DatasetEntry[];
  /** The RFC 3339 instant the generator anchored the data at; the demo evaluates as of it. */
  referenceTime?: string;
  /** Switches for behaviours the platform leaves open (see MergeConventions); validated by the engine. */
  conventions?: Record<string, unknown>;
}

/** XDM class of a schema (`meta:class`), which decides whether a dataset holds records or events. */
export const PROFILE_CLASS = "https://ns.adobe.com/xdm/context/profile";
export const EXPERIENCE_EVENT_CLASS = "https://ns.adobe.com/xdm/context/experienceevent";
