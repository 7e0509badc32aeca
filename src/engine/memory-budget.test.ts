import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { duckDbMemoryBytes } from "../sql/jobs/engine-session.js";
import { inputBytes, tablesOnDisk } from "./memory-budget.js";
import { openSandbox } from "./sandbox.js";

const sample = openSandbox(join(import.meta.dirname, "../../sample-data"));

describe("tablesOnDisk", () => {
  const input = inputBytes(sample);

  it("keeps a job's tables in memory while its data is under four times DuckDB's memory, or without a budget", () => {
    expect(input).toBeGreaterThan(0);
    // DuckDB's share of a budget is three quarters of it: data of 2.7× and 3.96× its memory.
    expect(tablesOnDisk(sample, Math.ceil(input / 2))).toBe(false);
    expect(tablesOnDisk(sample, Math.ceil(input / 2.97))).toBe(false);
    expect(tablesOnDisk(sample, undefined)).toBe(false);
  });

  it("puts them in a database file past four times", () => {
    expect(input).toBeGreaterThan(4 * duckDbMemoryBytes(Math.floor(input / 3.05)));
    expect(tablesOnDisk(sample, Math.floor(input / 3.05))).toBe(true);
    expect(tablesOnDisk(sample, Math.floor(input / 20))).toBe(true);
  });
});
