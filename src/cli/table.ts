/** The terminal's width when stdout is one; piped output is never cut. */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

const MIN_COLUMN = 8;

function cut(cell: string, width: number): string {
  return cell.length <= width ? cell : `${cell.slice(0, width - 1)}…`;
}

/**
 * A plain-text table with padded columns; `alignRight[i]` right-aligns column i (numbers). Within `maxWidth`
 * the widest text columns give up characters first (cut with "…"); numbers are never cut.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], alignRight: readonly boolean[] = [], maxWidth: number | undefined = terminalWidth()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  if (maxWidth !== undefined) {
    const total = (): number => 2 + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    while (total() > maxWidth) {
      let widest = -1;
      widths.forEach((w, i) => {
        if (!alignRight[i] && w > MIN_COLUMN && (widest < 0 || w > widths[widest]!)) widest = i;
      });
      if (widest < 0) break;
      widths[widest] = Math.max(MIN_COLUMN, widths[widest]! - (total() - maxWidth));
    }
  }
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : cut(c, widths[i]!).padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].map((l) => `  ${l}`).join("\n");
}
