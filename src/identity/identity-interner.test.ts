import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IdentityInterner } from "./identity-interner.js";

describe("identity interner", () => {
  it("gives each distinct key one index, in order of first sight, and the key back", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 40 }), { maxLength: 3000 }), (keys) => {
        const interner = new IdentityInterner();
        const reference = new Map<string, number>();
        for (const key of keys) {
          if (!reference.has(key)) reference.set(key, reference.size);
          expect(interner.intern(key)).toBe(reference.get(key));
        }
        expect(interner.size).toBe(reference.size);
        for (const [key, index] of reference) {
          expect(interner.indexOf(key)).toBe(index);
          expect(interner.keyAt(index)).toBe(key);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("answers -1 for a key never interned, and grows past its first arena and table", () => {
    const interner = new IdentityInterner();
    for (let i = 0; i < 50_000; i++) interner.intern(`ecid:${i.toString().padStart(38, "0")}`);
    expect(interner.size).toBe(50_000);
    expect(interner.indexOf("ecid:nope")).toBe(-1);
    expect(interner.keyAt(49_999)).toBe(`ecid:${"49999".padStart(38, "0")}`);
  });

  it("orders keys as JS strings do, accents, private-use characters and emoji included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }), (a, b) => {
        const interner = new IdentityInterner();
        const ia = interner.intern(a);
        const ib = interner.intern(b);
        expect(Math.sign(interner.compare(ia, ib))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
    const interner = new IdentityInterner();
    const pua = interner.intern("email:\uE000");
    const emoji = interner.intern("email:\u{1F600}");
    expect(interner.compare(emoji, pua)).toBeLessThan(0);
    expect(interner.compare(interner.intern("email:zoë"), interner.intern("email:zoe"))).toBeGreaterThan(0);
  });
});
