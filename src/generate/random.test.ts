import { describe, expect, it } from "vitest";
import { Rng, cyrb128, derivedHex, derivedUuid, scramble } from "./random.js";

describe("Rng", () => {
  it("is a pure function of seed and key", () => {
    const a = new Rng(42, "person", 3);
    const b = new Rng(42, "person", 3);
    const xs = Array.from({ length: 50 }, () => a.u32());
    const ys = Array.from({ length: 50 }, () => b.u32());
    expect(xs).toEqual(ys);
    expect(new Rng(42, "person", 4).u32()).not.toBe(xs[0]);
    expect(new Rng(43, "person", 3).u32()).not.toBe(xs[0]);
  });

  it("keeps its streams: the first numbers of a few keyed streams, as they always were", () => {
    const first3 = (rng: Rng): number[] => [rng.u32(), rng.u32(), rng.u32()];
    expect(first3(new Rng(42, "person", 3))).toEqual([676763203, 1573136357, 1192096845]);
    expect(first3(new Rng(7))).toEqual([374482026, 2150187769, 3252151604]);
    expect(first3(new Rng(1, "batch", "events", "h-123"))).toEqual([317406582, 134631806, 3899540739]);
    expect(first3(new Rng(-5, 1.5, "ü\u0000x"))).toEqual([2398256146, 2916838916, 2787851875]);
  });

  it("keys with different part boundaries give different streams", () => {
    expect(cyrb128("42\u0000a\u0000bc")).not.toEqual(cyrb128("42\u0000ab\u0000c"));
    expect(new Rng(1, "a", "bc").u32()).not.toBe(new Rng(1, "ab", "c").u32());
  });

  it("stays in range", () => {
    const rng = new Rng(7, "range");
    for (let i = 0; i < 10_000; i++) {
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
      const n = rng.int(-3, 5);
      expect(Number.isInteger(n) && n >= -3 && n <= 5).toBe(true);
    }
  });

  it("covers the whole integer range roughly uniformly", () => {
    const rng = new Rng(7, "uniform");
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(0, 5)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it("weighted follows the weights", () => {
    const rng = new Rng(1, "w");
    let heavy = 0;
    for (let i = 0; i < 10_000; i++) if (rng.weighted([["a", 9], ["b", 1]] as const) === "a") heavy++;
    expect(heavy).toBeGreaterThan(8_700);
    expect(heavy).toBeLessThan(9_300);
  });

  it("formats hex, digits and v4 UUIDs", () => {
    const rng = new Rng(5, "fmt");
    expect(rng.hex(32)).toMatch(/^[0-9a-f]{32}$/);
    expect(rng.digits(38)).toMatch(/^[0-9]{38}$/);
    for (let i = 0; i < 100; i++) {
      expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(derivedHex(42, 24, "dataset", "crm")).toBe(derivedHex(42, 24, "dataset", "crm"));
    expect(derivedUuid(42, "x")).not.toBe(derivedUuid(42, "y"));
  });

  it("shuffle is a permutation", () => {
    const rng = new Rng(9, "shuffle");
    const items = Array.from({ length: 100 }, (_, i) => i);
    const shuffled = rng.shuffle(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
  });
});

describe("scramble", () => {
  it("is a bijection on [0, 10^k)", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(scramble(i, 10_000, 7_331, 1_234));
    expect(seen.size).toBe(10_000);
    for (const v of seen) expect(v >= 0 && v < 10_000).toBe(true);
  });

  it("is the exact affine map mod 10^k, products beyond 2^53 included", () => {
    const exact = (i: number, m: number, a: number, b: number): number => Number((BigInt(i) * BigInt(a) + BigInt(b)) % BigInt(m));
    for (const [i, m, a, b] of [
      [9_999_999, 1e9, 618_033_989, 141_421_356],
      [2, 1e18, 3_141_592_653_589_793, 271_828_182_845_904],
      [40_000_003, 1e18, 3_141_592_653_589_793, 271_828_182_845_904],
      [2 ** 20, 1e10, 2 ** 33 - 1, 2 ** 33],
      [2 ** 20, 1e10, 2 ** 33 + 1, 2 ** 33],
    ] as const) {
      expect(scramble(i, m, a, b)).toBe(exact(i, m, a, b));
    }
  });
});
