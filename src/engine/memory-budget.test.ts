import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { duckDbMemoryBytes } from "../sql/jobs/engine-session.js";
import { inputBytes, tablesOnDisk } from "./memory-budget.js";
import { openSandbox } from "./sandbox.js";

const sample = openSandbox(join(import.meta.dirname, "../../sample-data"));

describe("tablesOnDisk", () => {
  const input = inputBytes(sample);
  /** The budget whose DuckDB share the input is `times` of. */
  const budgetFor = (times: number): number => {
    const budget = Math.round(input / times / (duckDbMemoryBytes(2 ** 30) / 2 ** 30));
    expect(input / duckDbMemoryBytes(budget)).toBeCloseTo(times, 1);
    return budget;
  };

  it("keeps a job's tables in memory while its data is under four times DuckDB's memory, or without a budget", () => {
    expect(input).toBeGreaterThan(0);
    for (const times of [2, 3.96]) expect(tablesOnDisk(sample, budgetFor(times))).toBe(false);
    expect(tablesOnDisk(sample, undefined)).toBe(false);
  });

  it("puts them in a database file past four times", () => {
    for (const times of [4.05, 20]) expect(tablesOnDisk(sample, budgetFor(times))).toBe(true);
  });
});
