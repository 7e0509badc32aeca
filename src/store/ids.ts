/**
 * Deterministic ids: derived from a name (sandbox, job number, segment…) by SHA-256, so the same sandbox
 * and the same sequence of jobs give the same ids on every machine — recorded outputs stay comparable.
 */
import { createHash } from "node:crypto";

function digest(parts: readonly (string | number)[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/** A UUID (version 5 layout) derived from `parts`. */
export function deterministicUuid(...parts: (string | number)[]): string {
  const h = digest(parts);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A 32-hex-character id like the platform's batch ids. */
export function deterministicHexId(...parts: (string | number)[]): string {
  return digest(parts).slice(0, 32);
}
