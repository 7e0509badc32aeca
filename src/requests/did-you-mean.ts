/** "Did you mean" for a mistyped field name or enum value in a request body, and a command, option or action on the command line. */

/** Optimal string alignment distance (a swap of two neighbours counts as one edit), giving up past `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    [prev2, prev] = [prev, row];
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word` if it is near enough to be a typo (at most a third of the word's length in
 * edits, at least one; case ignored), or the only candidate that starts with it. Words much longer than every
 * candidate are not compared, so a megabyte key costs nothing.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const longest = Math.max(0, ...candidates.map((c) => c.length));
  if (word.length === 0 || word.length > 2 * longest + 3) return undefined;
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase(), limit);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best !== undefined) return best;
  const prefixed = w.length >= 2 ? candidates.filter((c) => c.toLowerCase().startsWith(w)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
