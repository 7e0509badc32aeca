/**
 * Java regex (java.util.regex.Pattern) → JavaScript RegExp for `matches` and `regexGroup` (pql.md §7):
 * a leading inline-flag group `(?imsx)` becomes RegExp flags, `\Q…\E` is quoted, and Java-only syntax
 * (possessive quantifiers, `\A`, `\Z`, `\z`, `\p{javaXxx}`, inline flags anywhere else, atomic groups)
 * is rejected with a message that names it. Matching is a search (Java `find()`), never anchored.
 */

/** A translated pattern, or the reason it cannot be used. */
export type RegexResult = { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly message: string };

/** Checked on the pattern with escapes and character classes blanked out. */
const JAVA_ONLY_SYNTAX: ReadonlyArray<[RegExp, string]> = [
  [/[*+?}]\+/, "possessive quantifiers ('*+', '++', '?+', '{n}+') are Java-only"],
  [/\(\?>/, "atomic groups '(?>…)' are Java-only"],
  [/\(\?[imsxuUd-]+[:)]/, "inline flags are only supported at the very start of the pattern, e.g. '(?i)abc'"],
];
/** Checked on the raw pattern. */
const JAVA_ONLY_ESCAPES: ReadonlyArray<[RegExp, string]> = [
  [/(?:^|[^\\])(?:\\\\)*\\[AZz]/, "the anchors '\\A', '\\Z' and '\\z' are Java-only; use '^' and '$'"],
  [/\\p\{java/, "'\\p{java…}' classes are Java-only"],
];

/** Remove unescaped whitespace and `#` comments outside character classes (Java's COMMENTS flag). */
function stripExtended(src: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === "\\") {
      out += c + (src[i + 1] ?? "");
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
    } else if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/** `\Q…\E` → the quoted text with every metacharacter escaped. */
function unquote(src: string): string {
  return src.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_m, body: string) => body.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&"));
}

/** Translate a Java regex; never throws. */
export function translateJavaRegex(pattern: string): RegexResult {
  let src = pattern;
  let flags = "";
  const lead = /^\(\?([imsx]+)\)/.exec(src);
  if (lead !== null) {
    const f = lead[1] as string;
    src = src.slice(lead[0].length);
    if (f.includes("x")) src = stripExtended(src);
    for (const c of "ims") if (f.includes(c)) flags += c;
  }
  src = unquote(src);
  const bare = src.replace(/\\[\s\S]/g, "__").replace(/\[(?:\\.|[^\]])*\]/g, "_");
  for (const [re, message] of JAVA_ONLY_SYNTAX) if (re.test(bare)) return { ok: false, message };
  for (const [re, message] of JAVA_ONLY_ESCAPES) if (re.test(src)) return { ok: false, message };
  try {
    return { ok: true, regex: new RegExp(src, `${flags}u`) };
  } catch {
    // Java accepts escapes such as `\@` that the stricter `u` mode rejects.
    try {
      return { ok: true, regex: new RegExp(src, flags) };
    } catch (e) {
      return { ok: false, message: `invalid regular expression: ${e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e)}` };
    }
  }
}

const cache = new Map<string, RegExp | null>();

/** A cached translation for patterns computed at run time; null when the pattern is unusable. */
export function runtimeRegex(pattern: string): RegExp | null {
  let re = cache.get(pattern);
  if (re === undefined) {
    if (cache.size > 256) cache.clear();
    const r = translateJavaRegex(pattern);
    re = r.ok ? r.regex : null;
    cache.set(pattern, re);
  }
  return re;
}
