/**
 * RE2 helpers. The reference matches PQL regexes with RE2 and gives its Java → RE2 translation
 * (translateJavaRegex's `re2`), so an RE2 engine (DuckDB; also BigQuery, ClickHouse …) runs that very pattern.
 */

/** The number of capture groups of an RE2 pattern: `(` not starting `(?…`, or starting a named group `(?P<`. */
export function re2GroupCount(pattern: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      // RE2's POSIX classes '[:alpha:]' sit inside brackets.
      if (c === "[" && pattern[i + 1] === ":") {
        const end = pattern.indexOf(":]", i + 2);
        if (end > 0) i = end + 1;
      } else if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      // A leading ']' or '^]' is a literal.
      if (pattern[i + 1] === "^") i++;
      if (pattern[i + 1] === "]") i++;
      continue;
    }
    if (c === "(" && (pattern[i + 1] !== "?" || pattern.startsWith("?P<", i + 1) || pattern.startsWith("?<", i + 1))) n++;
  }
  return n;
}
