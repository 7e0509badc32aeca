/**
 * The private identity graph (`pdg`): union-find with path compression and union by rank over interned
 * identity keys. A record or event with two or more identities links them; links are transitive.
 */
import { IdentityInterner } from "./identity-interner.js";
import type { IdentityKey } from "./identity-key.js";

export class IdentityGraph {
  private readonly keys = new IdentityInterner();
  private parent = new Int32Array(1024);
  private rank = new Uint8Array(1024);

  /** Number of distinct identities seen. */
  get size(): number {
    return this.keys.size;
  }

  /** The index of an identity, added unlinked when new. */
  private intern(key: IdentityKey): number {
    const n = this.keys.size;
    const i = this.keys.intern(key);
    if (i < n) return i;
    if (i === this.parent.length) {
      const parent = new Int32Array(i * 2);
      parent.set(this.parent);
      this.parent = parent;
      const rank = new Uint8Array(i * 2);
      rank.set(this.rank);
      this.rank = rank;
    }
    this.parent[i] = i;
    return i;
  }

  private find(i: number): number {
    let root = i;
    while (this.parent[root]! !== root) root = this.parent[root]!;
    while (this.parent[i]! !== root) {
      const next = this.parent[i]!;
      this.parent[i] = root;
      i = next;
    }
    return root;
  }

  /** Records one observation: all its identities belong to one person. */
  link(keys: readonly IdentityKey[]): void {
    if (keys.length === 0) return;
    let a = this.find(this.intern(keys[0]!));
    for (let k = 1; k < keys.length; k++) {
      const b = this.find(this.intern(keys[k]!));
      if (a === b) continue;
      const ra = this.rank[a]!;
      const rb = this.rank[b]!;
      if (ra < rb) {
        this.parent[a] = b;
        a = b;
      } else {
        this.parent[b] = a;
        if (ra === rb) this.rank[a] = ra + 1;
      }
    }
  }

  /**
   * Links what one record or event observes: every identity of a record; an event's only when it carries two
   * or more, as Identity Service keeps no single-identity observation (ID-LINK).
   */
  observe(kind: "record" | "event", identities: readonly IdentityKey[], primary: IdentityKey): void {
    if (kind === "record") this.link(identities.length > 0 ? identities : [primary]);
    else if (identities.length >= 2) this.link(identities);
  }

  /**
   * The canonical profile key of an identity's component: the smallest key of the component, so it does not
   * depend on the order links were seen in. Computed once for all identities (two passes over flat arrays);
   * the returned function answers undefined for an identity the graph never saw. A caller that already has
   * `canonicalIndexes()` passes them rather than have them computed again.
   */
  canonicalizer(canonical: Int32Array = this.canonicalIndexes()): (key: IdentityKey) => IdentityKey | undefined {
    return (key) => {
      const i = this.keys.indexOf(key);
      return i === -1 ? undefined : this.keys.keyAt(canonical[i]!);
    };
  }

  /**
   * For each identity index (from `intern`), the index of its component's canonical identity (the component's
   * smallest key).
   */
  canonicalIndexes(): Int32Array {
    const n = this.keys.size;
    const smallest = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const root = this.find(i);
      const cur = smallest[root]!;
      if (cur === -1 || this.keys.compare(i, cur) < 0) smallest[root] = i;
    }
    for (let i = 0; i < n; i++) smallest[i] = smallest[this.find(i)]!;
    return smallest;
  }
}
