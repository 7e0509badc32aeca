/**
 * Interns identity keys as small integers without keeping a JS string per key: the keys' UTF-8 bytes live
 * in one growing byte arena and an open-addressing hash table maps them to their index. About 60 bytes per
 * identity instead of about 180 with a Map of strings, which is what lets the identity graph of a whole
 * sandbox (millions of identities) stay within a small memory budget. Keys are compared as UTF-8, so
 * lone surrogates (not Unicode text) would collapse to U+FFFD.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a over bytes, 32 bits. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class IdentityInterner {
  private bytes = new Uint8Array(1 << 16);
  /** Key i's bytes are bytes[offsets[i] .. offsets[i + 1]). */
  private offsets = new Uint32Array(1024);
  private hashes = new Uint32Array(1024);
  /** Open addressing, linear probing: key index + 1, 0 for an empty slot. */
  private table = new Int32Array(2048);
  private count = 0;
  private scratch = new Uint8Array(256);

  get size(): number {
    return this.count;
  }

  /** Encodes `key` into the scratch buffer; returns its byte length. */
  private encode(key: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (key.length * 3 > this.scratch.length) this.scratch = new Uint8Array(key.length * 3);
    return encoder.encodeInto(key, this.scratch).written;
  }

  private equals(index: number, length: number): boolean {
    const start = this.offsets[index]!;
    if (this.offsets[index + 1]! - start !== length) return false;
    for (let k = 0; k < length; k++) if (this.bytes[start + k] !== this.scratch[k]) return false;
    return true;
  }

  /** The slot holding the scratch key, or the empty slot where it would go. */
  private slotOf(hash: number, length: number): number {
    const mask = this.table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]!;
      if (entry === 0) return slot;
      if (this.hashes[entry - 1] === hash && this.equals(entry - 1, length)) return slot;
    }
  }

  /** The index of `key`, or -1 when it was never interned. */
  indexOf(key: string): number {
    const length = this.encode(key);
    const entry = this.table[this.slotOf(hashBytes(this.scratch, 0, length), length)]!;
    return entry - 1;
  }

  /** The index of `key`, adding it when new (indexes are 0, 1, 2, … in order of first sight). */
  intern(key: string): number {
    const length = this.encode(key);
    const hash = hashBytes(this.scratch, 0, length);
    const slot = this.slotOf(hash, length);
    const entry = this.table[slot]!;
    if (entry !== 0) return entry - 1;
    const index = this.count++;
    this.store(index, hash, length);
    this.table[slot] = index + 1;
    if (this.count * 2 > this.table.length) this.rehash();
    return index;
  }

  private store(index: number, hash: number, length: number): void {
    if (index + 2 > this.offsets.length) {
      this.offsets = grow(this.offsets, this.offsets.length * 2);
      this.hashes = grow(this.hashes, this.offsets.length);
    }
    const start = this.offsets[index]!;
    if (start + length > this.bytes.length) this.bytes = grow(this.bytes, Math.max(this.bytes.length * 2, start + length));
    this.bytes.set(this.scratch.subarray(0, length), start);
    this.offsets[index + 1] = start + length;
    this.hashes[index] = hash;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let i = 0; i < this.count; i++) {
      let slot = this.hashes[i]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
    this.table = table;
  }

  /**
   * Orders two keys as JS strings compare (UTF-16 code units). Their UTF-8 bytes order the same way except
   * where a character from U+E000 up meets one beyond U+FFFF (lead bytes 0xEE and up), so only then decode.
   */
  compare(a: number, b: number): number {
    const sa = this.offsets[a]!;
    const sb = this.offsets[b]!;
    const la = this.offsets[a + 1]! - sa;
    const lb = this.offsets[b + 1]! - sb;
    const n = Math.min(la, lb);
    for (let k = 0; k < n; k++) {
      const x = this.bytes[sa + k]!;
      const y = this.bytes[sb + k]!;
      if (x === y) continue;
      if (x >= 0xee || y >= 0xee) {
        const ka = this.keyAt(a);
        const kb = this.keyAt(b);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      }
      return x - y;
    }
    return la - lb;
  }

  /** The key with this index. */
  keyAt(index: number): string {
    return decoder.decode(this.bytes.subarray(this.offsets[index]!, this.offsets[index + 1]!));
  }
}

function grow<T extends Uint8Array | Uint32Array>(array: T, length: number): T {
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array);
  return out;
}
