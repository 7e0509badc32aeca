import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { DUCKDB } from "../sql/duckdb.js";
import type { SegmentMembershipEntry } from "../xdm/types.js";
import { writeMembershipPart } from "./membership-part.js";
import type { MembershipSnapshot } from "./membership-store.js";
import { codePointOrder, storeOrder } from "./store-order.js";

const dir = mkdtempSync(join(tmpdir(), "profile-lab-store-order-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Keys where UTF-16 order and code point order part: U+E000–U+FFFF against characters past U+FFFF (two units from
// U+D800), with prefixes, ASCII, Latin-1 and an empty id around them.
const KEYS = ["ecid:\u{1F600}", "ecid:\uE000", "ecid:\uFFFF", "ecid:\uFFFFa", "ecid:\u{10000}", "ecid:\u{10FFFF}", "ecid:é", "ecid:z", "ecid:", "crmid:a", "crmid:\u{1F600}b", "crmid:\uFB01"];

describe("storeOrder", () => {
  it("orders keys as DuckDB orders VARCHAR (a job on DuckDB writes the snapshot with ORDER BY key)", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const c = await instance.connect();
      const values = KEYS.map((k) => `(${DUCKDB.string(k)})`).join(", ");
      const sorted = (await c.runAndReadAll(`SELECT k FROM (VALUES ${values}) AS t(k) ORDER BY k`)).getRows().map((r) => String(r[0]));
      expect(storeOrder(KEYS)).toEqual(sorted);
      // Not UTF-16 order, which puts the characters past U+FFFF before U+E000.
      expect([...KEYS].sort()).not.toEqual(sorted);
    } finally {
      instance.closeSync();
    }
  });

  it("is the order of a part written in JavaScript, keys and a key's entries alike: DuckDB's ORDER BY key, segmentId", async () => {
    const entry = { status: "realized", lastQualificationTime: "2026-11-01T00:00:00Z" } as SegmentMembershipEntry;
    const segments = ["\u{1F600}", "\uE000", "a", "\u{10000}x"];
    const snapshot: MembershipSnapshot = new Map(KEYS.map((k) => [k, new Map(segments.map((s) => [s, entry]))]));
    const file = join(dir, "part.parquet");
    writeMembershipPart(file, snapshot, storeOrder(snapshot.keys()));
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const c = await instance.connect();
      const read = async (sql: string): Promise<string[]> => (await c.runAndReadAll(sql)).getRows().map((r) => `${String(r[0])} ${String(r[1])}`);
      const stored = await read(`SELECT key, segmentId FROM read_parquet('${file}')`);
      expect(stored).toHaveLength(KEYS.length * segments.length);
      expect(stored).toEqual(await read(`SELECT key, segmentId FROM read_parquet('${file}') ORDER BY key, segmentId`));
    } finally {
      instance.closeSync();
    }
  });

  it("compares by code point, shorter prefix first", () => {
    expect(codePointOrder("a", "ab")).toBeLessThan(0);
    expect(codePointOrder("\uFFFF", "\u{10000}")).toBeLessThan(0);
    expect(codePointOrder("\u{10000}", "\uFFFF")).toBeGreaterThan(0);
    expect(codePointOrder("\uD7FF", "\uE000")).toBeLessThan(0);
    expect(codePointOrder("x", "x")).toBe(0);
  });
});
