import { describe, expect, it } from "vitest";
import { closest, editDistance } from "./did-you-mean.js";

describe("editDistance", () => {
  it.each([
    ["segment", "segment", 0],
    ["segmnet", "segment", 1],
    ["sandbx", "sandbox", 1],
    ["", "abc", 3],
    ["export", "expert", 1],
    ["jobs", "schedule", 8],
  ] as const)("from %s to %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe("closest", () => {
  const commands = ["demo", "generate", "check", "segment-job", "export", "jobs", "explain"];
  it("suggests a candidate within a third of the word's length in edits", () => {
    expect(closest("segmnet-job", commands)).toBe("segment-job");
    expect(closest("EXPROT", commands)).toBe("export");
    expect(closest("chek", commands)).toBe("check");
  });
  it("suggests the only candidate a prefix names", () => {
    expect(closest("gen", commands)).toBe("generate");
    expect(closest("ex", commands)).toBeUndefined();
  });
  it("suggests nothing for a word far from every candidate", () => {
    expect(closest("frobnicate", commands)).toBeUndefined();
    expect(closest("x", commands)).toBeUndefined();
  });
});
