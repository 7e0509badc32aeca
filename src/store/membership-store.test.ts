import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { ParquetFileWriter } from "../io/parquet-writer.js";
import type { JsonObject, SegmentMembershipEntry } from "../xdm/types.js";
import { MEMBERSHIP_ROW, replaceMemberships } from "./membership-part.js";
import { MembershipStore, type MembershipSnapshot } from "./membership-store.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-membership-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function store(): MembershipStore {
  const dir = join(root, `s${n++}`);
  return new MembershipStore(join(dir, ".profile-lab/membership"), dir);
}

const entry = (status: string, lastQualificationTime: string, more: Partial<SegmentMembershipEntry> = {}): SegmentMembershipEntry =>
  ({ status, lastQualificationTime, ...more }) as SegmentMembershipEntry;

const SNAPSHOT: MembershipSnapshot = new Map([
  ["email:b@example.com", new Map([["seg-b", entry("exited", "2026-11-02T00:00:00.000Z", { version: "2" })], ["seg-a", entry("realized", "2026-11-01T00:00:00Z", { version: "1" })]])],
  ["crmid:a", new Map([["seg-a", entry("existing", "2026-10-01T12:30:00.123Z", { version: "1", validUntil: "2027-01-01T00:00:00Z" })]])],
  ["crmid:none", new Map()],
]);

/** Commits one part of the given rows, written as they are (damaged snapshots). */
async function commitRows(s: MembershipStore, rows: JsonObject[]): Promise<string> {
  const generation = s.begin();
  const file = generation.partFile(0);
  const w = await ParquetFileWriter.open(file, MEMBERSHIP_ROW);
  await w.write(rows);
  await w.close();
  generation.commit();
  return file;
}

const row = (key: string, segmentId: string, status: unknown = "realized"): JsonObject => ({ key, segmentId, status: status as string, lastQualificationTime: "2026-11-01T00:00:00Z", version: "1", validUntil: null });

describe("the membership snapshot, stored as Parquet", () => {
  it("gives back what was stored: profiles by key, entries by segment id, optional fields only where set", async () => {
    const s = store();
    expect(await s.readAll()).toEqual(new Map());
    replaceMemberships(s, SNAPSHOT);
    expect(s.parts()).toHaveLength(1);
    expect(s.parts()[0]).toMatch(/part-00000\.parquet$/);
    const back = await s.readAll();
    expect([...back.keys()]).toEqual(["crmid:a", "email:b@example.com"]); // a profile without entries is not stored
    expect(back.get("email:b@example.com")).toEqual(SNAPSHOT.get("email:b@example.com"));
    expect([...back.get("email:b@example.com")!.keys()]).toEqual(["seg-a", "seg-b"]);
    expect(back.get("crmid:a")).toEqual(SNAPSHOT.get("crmid:a"));
    expect(await s.text()).toBe(
      '{"key":"crmid:a","ups":{"seg-a":{"status":"existing","lastQualificationTime":"2026-10-01T12:30:00.123Z","version":"1","validUntil":"2027-01-01T00:00:00Z"}}}\n' +
        '{"key":"email:b@example.com","ups":{"seg-a":{"status":"realized","lastQualificationTime":"2026-11-01T00:00:00Z","version":"1"},"seg-b":{"status":"exited","lastQualificationTime":"2026-11-02T00:00:00.000Z","version":"2"}}}\n',
    );
  });

  it("is one row an entry for any Parquet reader", async () => {
    const s = store();
    replaceMemberships(s, SNAPSHOT);
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${s.parts()[0]}')`)).getRowObjectsJson();
    c.closeSync();
    db.closeSync();
    expect(rows).toEqual([
      { key: "crmid:a", segmentId: "seg-a", status: "existing", lastQualificationTime: "2026-10-01T12:30:00.123Z", version: "1", validUntil: "2027-01-01T00:00:00Z" },
      { key: "email:b@example.com", segmentId: "seg-a", status: "realized", lastQualificationTime: "2026-11-01T00:00:00Z", version: "1", validUntil: null },
      { key: "email:b@example.com", segmentId: "seg-b", status: "exited", lastQualificationTime: "2026-11-02T00:00:00.000Z", version: "2", validUntil: null },
    ]);
  });

  it("says where a damaged part is wrong (STO-002: file, row, field)", async () => {
    const missing = store();
    const file = await commitRows(missing, [row("k1", "s1"), row("k1", "s2", null)]);
    await expect(missing.readAll()).rejects.toMatchObject({ code: "STO-002", message: expect.stringContaining("status must be a string"), location: { file, line: 2, jsonPath: "$.status" } });

    const apart = store();
    await commitRows(apart, [row("k1", "s1"), row("k2", "s1"), row("k1", "s2")]);
    await expect(apart.readAll()).rejects.toMatchObject({ code: "STO-002", message: expect.stringContaining('the entries of profile "k1" are not together'), location: { line: 3 } });

    const twice = store();
    await commitRows(twice, [row("k1", "s1"), row("k1", "s1")]);
    await expect(twice.readAll()).rejects.toMatchObject({ code: "STO-002", message: expect.stringContaining("two entries"), location: { line: 2 } });

    const notParquet = store();
    const junk = await commitRows(notParquet, []);
    writeFileSync(junk, "not parquet at all");
    await expect(notParquet.text()).rejects.toMatchObject({ code: "STO-002", location: { file: junk } });
  });
});
