/**
 * What the engine hands to the merge: one dataset line, stamped with where it came from and when it was
 * ingested. Events carry their parsed `timestamp` so PQL and sorting never re-parse it.
 */
import type { IdentityKey } from "../identity/identity-key.js";
import type { JsonObject } from "../xdm/types.js";

export interface FragmentOrigin {
  readonly datasetId: string;
  /** Load order over the whole sandbox (dataset, file, line): the last tie-break. */
  readonly seq: number;
  readonly file: string;
  readonly line: number;
  /** System ingestion time, epoch ms (`_acp_system_metadata.ingestTime`). */
  readonly ingestTime: number;
  readonly primary: IdentityKey;
  readonly identities: readonly IdentityKey[];
  /**
   * The smallest identity of the primary identity's component in the identity graph of all datasets: every
   * fragment a profile can be built from, under any policy, shares it, so profiles are ordered by its hash.
   * The loader fills it in once the whole graph is known.
   */
  component: IdentityKey;
}

export interface RecordFragment extends FragmentOrigin {
  /** The record without its system columns. */
  readonly data: JsonObject;
}

export interface EventFragment extends FragmentOrigin {
  readonly data: JsonObject;
  /** The event's `timestamp`, epoch ms. */
  readonly timestamp: number;
}
