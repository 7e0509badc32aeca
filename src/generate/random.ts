/**
 * Seeded randomness for the generator. `Rng` is sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit
 * state, passes PractRand) seeded through cyrb128, a string hash. Nothing here reads Math.random or the clock,
 * so a generator run is a pure function of its options.
 *
 * Streams are keyed: `new Rng(seed, "person", 17)` always yields the same sequence, independent of how many
 * numbers other streams consumed. The generator gives every person, dataset and event stream its own key,
 * so a change in one part of the data model does not reshuffle the rest.
 */

/** cyrb128: four 32-bit hashes of a string (used as the sfc32 state), fed in pieces. */
class Cyrb128 {
  private h1 = 1779033703;
  private h2 = 3144134277;
  private h3 = 1013904242;
  private h4 = 2773480762;

  /** Hashes `text` after what was fed before: pieces hash as their concatenation. */
  add(text: string): this {
    let { h1, h2, h3, h4 } = this;
    for (let i = 0; i < text.length; i++) {
      const k = text.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
    return this;
  }

  digest(): [number, number, number, number] {
    let { h1, h2, h3, h4 } = this;
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    h1 ^= h2 ^ h3 ^ h4;
    h2 ^= h1;
    h3 ^= h1;
    h4 ^= h1;
    return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
  }
}

export function cyrb128(text: string): [number, number, number, number] {
  return new Cyrb128().add(text).digest();
}

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
/** Scratch char codes of one UUID (dashes at 8, 13, 18, 23). */
const UUID_CODES: number[] = Array.from("00000000-0000-0000-0000-000000000000", (c) => c.charCodeAt(0));

/**
 * A string from char codes in one go: flat, where `+=` makes a rope of one piece per character that every
 * later read (the Arrow builder's join, once per row that repeats a batch id or an ECID) walks again.
 */
function flat(codes: readonly number[]): string {
  return String.fromCharCode.apply(null, codes as number[]);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream keyed by the seed and any number of parts (`new Rng(42, "events", 7)`). */
  constructor(seed: number, ...key: readonly (string | number)[]) {
    // The hash of `${seed}\0${key.join("\0")}`, fed piece by piece: joining the key (a rope, which the hash's
    // first read flattened) was a third of making a stream (300 → 210 ns; 7–8 streams a person).
    const hash = new Cyrb128().add(String(seed)).add("\u0000");
    for (let i = 0; i < key.length; i++) {
      if (i > 0) hash.add("\u0000");
      const part = key[i]!;
      hash.add(typeof part === "string" ? part : String(part));
    }
    const [a, b, c, d] = hash.digest();
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Next unsigned 32-bit integer (sfc32). */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`Rng.int: max ${max} < min ${min}`);
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** Uniform real in [min, max). */
  range(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.pick: empty array");
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** An element chosen with the given relative weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let x = this.float() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new RangeError("Rng.weighted: empty array");
    return last[0];
  }

  /** Standard normal deviate (Box–Muller). */
  normal(): number {
    const u = 1 - this.float(); // (0, 1]
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Number of failures before the first success of a Bernoulli(p) trial (0, 1, 2, …). */
  geometric(p: number): number {
    let n = 0;
    while (!this.chance(p) && n < 1000) n++;
    return n;
  }

  /** `n` lowercase hexadecimal characters. */
  hex(n: number): string {
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = HEX_CODES[this.u32() & 15]!;
    return flat(codes);
  }

  /** `n` decimal digits (the first may be 0). */
  digits(n: number): string {
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = 0x30 + (this.u32() % 10);
    return flat(codes);
  }

  /** An RFC 4122 version-4 UUID built from this stream. */
  uuid(): string {
    // 32 draws, one hex digit each (as `hex(32)`), with the version (4) and variant (8–b) digits forced;
    // built from char codes in one go, so the string is flat (cheap to encode later).
    const codes = UUID_CODES;
    let k = 0;
    for (let i = 0; i < 32; i++) {
      const d = this.u32() & 15;
      if (i === 8 || i === 12 || i === 16 || i === 20) k++; // the dashes stay in place
      codes[k++] = i === 12 ? 0x34 : HEX_CODES[i === 16 ? (d & 3) | 8 : d]!;
    }
    return flat(codes);
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** `k` distinct elements (in random order), or all of them when k ≥ length. */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, k));
  }
}

/** A stable id derived from the seed and a key: `n` hex characters. */
export function derivedHex(seed: number, n: number, ...key: readonly (string | number)[]): string {
  return new Rng(seed, "id", ...key).hex(n);
}

/** A stable UUID derived from the seed and a key. */
export function derivedUuid(seed: number, ...key: readonly (string | number)[]): string {
  return new Rng(seed, "uuid", ...key).uuid();
}

/**
 * A bijection on [0, modulus) for a modulus of the form 10^k (an affine map with a multiplier coprime to 10),
 * used to turn a person's index into a unique but unordered-looking number.
 */
export function scramble(index: number, modulus: number, multiplier: number, offset: number): number {
  // Exact in doubles below 2^53 (CRMIDs and e-mail numbers, ~20 ns; a double that rounded is at least 2^53);
  // BigInt (~170 ns) keeps larger products (ECIDs) exact for any modulus up to 10^15.
  const exact = index * multiplier + offset;
  if (Number.isSafeInteger(exact)) return exact % modulus;
  return Number((BigInt(index) * BigInt(multiplier) + BigInt(offset)) % BigInt(modulus));
}
