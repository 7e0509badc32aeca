/**
 * Values quoted in error messages. A message quotes what it found, but a value read from a file may be huge or
 * nested deeper than JSON.stringify can go, so it is shown from its first few levels and items and cut short.
 */

/** Characters of a value shown in a message. */
const PREVIEW_CHARS = 60;

/**
 * A value as JSON for a message, cut to PREVIEW_CHARS characters: built from at most a few levels and items,
 * so a huge or deeply nested value costs no more than a small one.
 */
export function preview(value: unknown): string {
  const text = (v: unknown, depth: number): string => {
    if (typeof v === "string") return JSON.stringify(v.length > PREVIEW_CHARS ? v.slice(0, PREVIEW_CHARS) : v);
    if (typeof v !== "object" || v === null) return String(v);
    if (depth === 3) return Array.isArray(v) ? "[…]" : "{…}";
    const parts: string[] = [];
    for (const k in v) {
      if (parts.length === 4) {
        parts.push("…");
        break;
      }
      const item = text((v as Record<string, unknown>)[k], depth + 1);
      parts.push(Array.isArray(v) ? item : `${JSON.stringify(k.slice(0, PREVIEW_CHARS))}:${item}`);
    }
    return Array.isArray(v) ? `[${parts.join(",")}]` : `{${parts.join(",")}}`;
  };
  const t = text(value, 0);
  return t.length > PREVIEW_CHARS ? `${t.slice(0, PREVIEW_CHARS)}…` : t;
}
