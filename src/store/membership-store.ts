/**
 * The membership snapshot: profile key → segment id → the `ups` membership entry, as of the last segment
 * job. Stored as JSON Lines sorted by key (one profile per line) and replaced atomically by each job.
 */
import { existsSync, readFileSync } from "node:fs";
import type { SegmentMembershipEntry } from "../xdm/types.js";
import { writeFileAtomic } from "./atomic-file.js";
import { StoreError } from "./store-error.js";

export type MembershipSnapshot = Map<string, Map<string, SegmentMembershipEntry>>;

export function readMembership(file: string): MembershipSnapshot {
  const snapshot: MembershipSnapshot = new Map();
  if (!existsSync(file)) return snapshot;
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((text, i) => {
    if (text === "") return;
    try {
      const { key, ups } = JSON.parse(text) as { key: string; ups: Record<string, SegmentMembershipEntry> };
      snapshot.set(key, new Map(Object.entries(ups)));
    } catch (e) {
      throw new StoreError("STO-002", `corrupt membership snapshot: ${e instanceof Error ? e.message : String(e)}`, { file, line: i + 1 });
    }
  });
  return snapshot;
}

export function writeMembership(file: string, snapshot: MembershipSnapshot): void {
  const keys = [...snapshot.keys()].filter((k) => snapshot.get(k)!.size > 0).sort();
  const lines = keys.map((key) => {
    const entries = [...snapshot.get(key)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify({ key, ups: Object.fromEntries(entries) });
  });
  writeFileAtomic(file, lines.length ? `${lines.join("\n")}\n` : "");
}
