/**
 * Date-times stored as epoch milliseconds in JSON Lines (XDM allows a long for a date-time; pql.md §3: timestamps in
 * data are epoch ms or RFC 3339 text): a segment comparing such a field with a date-time literal, or testing it with
 * `in`, gives the same memberships on both engines — the reference compares the number and the text as instants,
 * as DuckDB compares the TIMESTAMP it reads the number into.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBoth, twins } from "./job-twins.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-epoch-ms-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const asOf = Date.parse("2026-11-01T00:00:00Z");

/** Rewrites every other row's date-time at `path` (dot-separated) in a JSON Lines file as epoch ms; returns how many. */
function toEpochMs(file: string, path: string[]): number {
  let changed = 0;
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .map((line, i) => {
      if (line === "" || i % 2 === 1) return line;
      const row = JSON.parse(line) as Record<string, unknown>;
      let at = row;
      for (const k of path.slice(0, -1)) at = (at?.[k] ?? undefined) as Record<string, unknown>;
      const last = path[path.length - 1]!;
      if (typeof at?.[last] !== "string") return line;
      at[last] = Date.parse(at[last] as string);
      changed++;
      return JSON.stringify(row);
    });
  writeFileSync(file, lines.join("\n"));
  return changed;
}

const SEGMENTS: Record<string, string> = {
  "audit-after": 'extSourceSystemAudit.lastUpdatedDate > "2026-07-30T00:00:00Z"',
  "audit-not-before": 'not (extSourceSystemAudit.lastUpdatedDate <= "2026-07-30T00:00:00.000+00:00")',
  "recent-events": 'xEvent[timestamp >= "2026-10-15T00:00:00Z"].count() > 2',
};

describe("epoch-ms date-times in JSON Lines", () => {
  it("compare as instants with date-time literals on both engines", async () => {
    const t = twins("sample-data", scratch, "epoch");
    for (const dir of [t.reference, t.sql]) {
      expect(toEpochMs(join(dir, "datasets/crm-profiles.jsonl"), ["extSourceSystemAudit", "lastUpdatedDate"])).toBeGreaterThan(100);
      expect(toEpochMs(join(dir, "datasets/web-commerce-events.jsonl"), ["timestamp"])).toBeGreaterThan(5000);
      for (const [id, value] of Object.entries(SEGMENTS)) {
        writeFileSync(join(dir, `segments/${id}.json`), JSON.stringify({ id, name: id, schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/text", value } }));
      }
    }
    const { reference } = await runBoth(t, { asOf, statusModel: "current", segmentIds: Object.keys(SEGMENTS) });
    const counts = reference.metrics.segmentedProfileCounter ?? {};
    // Each segment holds some profiles and not all: rows in both forms on either side of the threshold count.
    for (const id of Object.keys(SEGMENTS)) expect(counts[id], id).toBeGreaterThan(20);
  }, 240_000);
});
