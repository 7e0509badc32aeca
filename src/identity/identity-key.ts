/**
 * Identities as `namespace:id` keys. Namespace codes are compared case-insensitively (the platform's docs
 * mix `Email`, `email`, `ECID`, `ecid`), so the key holds the namespace lower-cased; ids are case-sensitive.
 */
import type { IdentityMap } from "../xdm/types.js";

export type IdentityKey = string;

export function identityKey(namespace: string, id: string): IdentityKey {
  return `${namespace.toLowerCase()}:${id}`;
}

/** The namespace part of a key (lower-cased). */
export function namespaceOf(key: IdentityKey): string {
  return key.slice(0, key.indexOf(":"));
}

/** Every identity of an identityMap as keys, in map order. */
export function identityKeys(identityMap: IdentityMap | undefined): IdentityKey[] {
  const keys: IdentityKey[] = [];
  if (identityMap === undefined) return keys;
  for (const ns in identityMap) {
    const items = identityMap[ns];
    if (!Array.isArray(items)) continue;
    for (const item of items) if (typeof item?.id === "string") keys.push(identityKey(ns, item.id));
  }
  return keys;
}

/**
 * The record's primary identity: the item flagged `primary: true`; otherwise the first identity in the
 * dataset's declared primary namespace; otherwise the only identity. Undefined when none can be chosen.
 */
export function primaryIdentity(identityMap: IdentityMap | undefined, declaredNamespace?: string): IdentityKey | undefined {
  if (identityMap === undefined) return undefined;
  let only: IdentityKey | undefined;
  let count = 0;
  for (const ns in identityMap) {
    const items = identityMap[ns];
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      if (typeof item?.id !== "string") continue;
      if (item.primary === true) return identityKey(ns, item.id);
      only = identityKey(ns, item.id);
      count++;
    }
  }
  if (declaredNamespace !== undefined) {
    const wanted = declaredNamespace.toLowerCase();
    for (const ns in identityMap) {
      const first = identityMap[ns]?.[0];
      if (ns.toLowerCase() === wanted && typeof first?.id === "string") return identityKey(ns, first.id);
    }
  }
  return count === 1 ? only : undefined;
}

/** The identityMap of a record or event (undefined when it has none). */
export function identityMapOf(data: { readonly [key: string]: unknown }): IdentityMap | undefined {
  const m = data["identityMap"];
  return typeof m === "object" && m !== null && !Array.isArray(m) ? (m as IdentityMap) : undefined;
}
