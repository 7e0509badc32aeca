import { describe, expect, it } from "vitest";
import { table } from "./table.js";

const rows = [
  ["Recent purchasers of everything in the catalogue", "1,234", "sample-data/.profile-lab/lake/datasets/e34187414a7a1f2ebb920497/batches/01JABC/part-00000.parquet"],
  ["US residents", "56", "short.parquet"],
];

describe("table", () => {
  it("pads columns and right-aligns numbers when there is no width limit", () => {
    const text = table(["segment", "rows", "file"], rows, [false, true, false], undefined);
    expect(text.split("\n")[3]).toBe(`  ${"US residents".padEnd(rows[0]![0]!.length)}  ${"56".padStart(5)}  short.parquet`);
  });

  it("fits the given width by cutting the widest text columns with an ellipsis, never the numbers", () => {
    const text = table(["segment", "rows", "file"], rows, [false, true, false], 60);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(60);
    expect(text).toContain("1,234");
    expect(text).toContain("…");
    expect(text).toContain("US residents");
  });

  it("stops cutting at a minimum column width when the terminal is very narrow", () => {
    const text = table(["segment", "rows", "file"], rows, [false, true, false], 10);
    expect(text.split("\n")[2]).toMatch(/^ {2}Recent …\s+1,234 {2}sample-…$/);
  });
});
