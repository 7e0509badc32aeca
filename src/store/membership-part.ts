/**
 * Writing the membership snapshot's parts from JavaScript (the reference engine, fixtures): the Parquet row and the
 * part builder. Apart from membership-store.ts so that jobs on DuckDB, which write the part in SQL, do not load the
 * JavaScript Parquet writer.
 */
import { Table, type RecordBatch } from "apache-arrow";
import { batchBuilderFor } from "../io/arrow-build.js";
import { encodeTable } from "../io/parquet-writer.js";
import type { JsonObject, SegmentMembershipEntry } from "../xdm/types.js";
import { object, scalar } from "../xdm/xdm-type.js";
import { writeFileAtomic } from "./atomic-file.js";
import { codePointOrder, storeOrder } from "./store-order.js";
import type { MembershipSnapshot, MembershipStore, ProfileEntries } from "./membership-store.js";

/**
 * A stored row: one entry. The time is the text the entry holds (RFC 3339, as written), `version` and `validUntil`
 * NULL where the entry has none.
 */
export const MEMBERSHIP_ROW = object([
  ["key", scalar("string")],
  ["segmentId", scalar("string")],
  ["status", scalar("string")],
  ["lastQualificationTime", scalar("string")],
  ["version", scalar("string")],
  ["validUntil", scalar("string")],
]);

/** A profile's entries in stored order (by segment id: storeOrder's code point order). */
function sortedEntries(entries: ProfileEntries): [string, SegmentMembershipEntry][] {
  return [...entries].sort(([a], [b]) => codePointOrder(a, b));
}

/**
 * One part being built, `add` by `add` (the keys of each call in their order, keys without entries skipped; a
 * profile's entries by segment id), then written at once (`write`): the Arrow batches of its rows are kept until
 * then, one a call.
 */
export class MembershipPartBuilder {
  private readonly builder = batchBuilderFor(MEMBERSHIP_ROW);
  private readonly batches: RecordBatch[] = [];

  add(snapshot: MembershipSnapshot, orderedKeys: readonly string[]): void {
    const rows: JsonObject[] = [];
    for (const key of orderedKeys) {
      const entries = snapshot.get(key);
      if (entries === undefined) continue;
      for (const [segmentId, e] of sortedEntries(entries)) {
        rows.push({ key, segmentId, status: e.status, lastQualificationTime: e.lastQualificationTime, version: e.version ?? null, validUntil: e.validUntil ?? null });
      }
    }
    if (rows.length > 0 || this.batches.length === 0) this.batches.push(this.builder.build(rows));
  }

  /** Writes the part to `file` (atomically). */
  write(file: string): void {
    if (this.batches.length === 0) this.add(new Map(), []);
    writeFileAtomic(file, encodeTable(new Table(this.batches), { statistics: "chunk" }));
  }
}

/** Writes one part: the given keys, in the given order, with their entries (keys without entries are skipped). */
export function writeMembershipPart(file: string, snapshot: MembershipSnapshot, orderedKeys: readonly string[]): void {
  const part = new MembershipPartBuilder();
  part.add(snapshot, orderedKeys);
  part.write(file);
}

/** Replaces the store's snapshot with `snapshot`, in one part in store order (fixtures, imports). */
export function replaceMemberships(store: MembershipStore, snapshot: MembershipSnapshot): void {
  const generation = store.begin();
  try {
    writeMembershipPart(generation.partFile(0), snapshot, storeOrder(snapshot.keys()));
  } catch (e) {
    generation.abort();
    throw e;
  }
  generation.commit();
}
