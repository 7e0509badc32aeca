/**
 * Java regex (java.util.regex.Pattern) → RE2 for `matches` and `regexGroup` (pql.md §7), run on re2js, an
 * RE2 engine that matches in time linear in the input (no backtracking, so no pattern can hang an
 * evaluation). The translation walks the pattern once and writes each construct in the RE2 form that means
 * what it means in Java: `.` excludes Java's line terminators, `\s` is Java's six characters, `$` also
 * matches before a final line terminator, `(?i)` folds ASCII only (Unicode with `(?iu)`), `\h \v \R`, `\uhhhh`,
 * `\0oct`, `\e`, `\cX`, `\Q…\E`, POSIX `\p{Alpha}`… are spelled out. What RE2 cannot honour is refused with a
 * message naming the construct, never matched differently: backreferences, lookaround, atomic groups,
 * possessive quantifiers, class unions and intersections, `\A \Z \z \G \X`, `\p{java…}`, Unicode blocks, inline
 * flags anywhere but the start; patterns longer than MAX_PATTERN_LENGTH or compiling to more than MAX_REGEX_SIZE
 * instructions are refused too. Matching is a search (Java `find()`), never anchored.
 */
import { RE2JS } from "re2js";
import { MAX_PATTERN_LENGTH, MAX_REGEX_SIZE } from "./limits.js";

/** A compiled `matches`/`regexGroup` pattern: a search, and the groups of the first match. */
export interface PqlRegex {
  test(input: string): boolean;
  /** The first match and its groups (undefined for a group that did not take part), or null. */
  exec(input: string): ReadonlyArray<string | undefined> | null;
}

/** A translated pattern (with its RE2 source, for back ends whose engine is RE2), or the reason it cannot be used. */
export type RegexResult =
  | { readonly ok: true; readonly regex: PqlRegex; readonly re2: string }
  | { readonly ok: false; readonly message: string; readonly overBudget?: true };

class Refused extends Error {}

const refuse = (message: string): never => {
  throw new Refused(message);
};

const MESSAGES = {
  possessive: "possessive quantifiers ('*+', '++', '?+', '{n}+') are Java-only",
  atomic: "atomic groups '(?>…)' are Java-only",
  inlineFlags: "inline flags are only supported at the very start of the pattern, e.g. '(?i)abc'",
  anchors: "the anchors '\\A', '\\Z' and '\\z' are Java-only; use '^' and '$'",
  javaClass: "'\\p{java…}' classes are Java-only",
  backreference: "backreferences ('\\1', '\\k<name>') cannot be matched in linear time, so they are not supported",
  lookaround: "lookahead and lookbehind ('(?=…)', '(?!…)', '(?<=…)', '(?<!…)') cannot be matched in linear time, so they are not supported",
  nestedClass: "character class unions and intersections ('[a[b]]', '[a&&[b]]') are not supported; write one class, e.g. '[ab]'",
} as const;

/** Java's line terminators (what `.` does not match, and what `$` may stand before). */
const LINE_TERMINATORS: ReadonlyArray<readonly [number, number]> = [[0x0a, 0x0a], [0x0d, 0x0d], [0x85, 0x85], [0x2028, 0x2029]];
const JAVA_SPACE: ReadonlyArray<readonly [number, number]> = [[0x09, 0x0d], [0x20, 0x20]];
const JAVA_HSPACE: ReadonlyArray<readonly [number, number]> = [
  [0x09, 0x09], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x180e, 0x180e], [0x2000, 0x200a], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000],
];
const JAVA_VSPACE: ReadonlyArray<readonly [number, number]> = [[0x0a, 0x0d], [0x85, 0x85], [0x2028, 0x2029]];
const MAX_CODE_POINT = 0x10ffff;

/** Java's POSIX classes (US-ASCII) → RE2's. */
const POSIX: Readonly<Record<string, string>> = {
  Lower: "[:lower:]", Upper: "[:upper:]", ASCII: "[:ascii:]", Alpha: "[:alpha:]", Digit: "[:digit:]", Alnum: "[:alnum:]",
  Punct: "[:punct:]", Graph: "[:graph:]", Print: "[:print:]", Blank: "[:blank:]", Cntrl: "[:cntrl:]", XDigit: "[:xdigit:]", Space: "[:space:]",
};

function complement(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function hex(cp: number): string {
  return `\\x{${cp.toString(16).toUpperCase()}}`;
}

function rangeText([lo, hi]: readonly [number, number]): string {
  return lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`;
}

const isAsciiLetter = (cp: number): boolean => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);

/** The ASCII case variants a range gains under Java's `(?i)` without `u`. */
function asciiFold(lo: number, hi: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const up = [Math.max(lo, 0x41), Math.min(hi, 0x5a)];
  if ((up[0] as number) <= (up[1] as number)) out.push([(up[0] as number) + 32, (up[1] as number) + 32]);
  const low = [Math.max(lo, 0x61), Math.min(hi, 0x7a)];
  if ((low[0] as number) <= (low[1] as number)) out.push([(low[0] as number) - 32, (low[1] as number) - 32]);
  return out;
}

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly x: boolean;
  readonly d: boolean;
  readonly u: boolean;
}

/** One item of a character class: code point ranges, or an RE2 class escape/POSIX class kept as text. */
type ClassItem = { readonly ranges: ReadonlyArray<readonly [number, number]> } | { readonly text: string };

class Translator {
  private i = 0;
  private groups = 0;
  /** Capturing groups seen so far (Java numbers them, named or not, by their opening parenthesis). */
  captures = 0;

  /** `keep`: the only group left capturing (0: none), so that the engine tracks no other; undefined: all. */
  constructor(
    private readonly src: string,
    private readonly flags: Flags,
    private readonly keep?: number,
  ) {}

  private capturing(name?: string): string {
    this.captures++;
    this.groups++;
    if (this.keep === undefined) return name === undefined ? "(" : `(?P<${name}>`;
    return this.captures === this.keep ? "(" : "(?:";
  }

  private peek(k = 0): number | undefined {
    return this.src.codePointAt(this.i + k);
  }

  /** The code point at the cursor, advancing past it. */
  private next(): number {
    const cp = this.src.codePointAt(this.i);
    if (cp === undefined) return refuse("the pattern ends in the middle of a construct");
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private at(s: string): boolean {
    return this.src.startsWith(s, this.i);
  }

  private get done(): boolean {
    return this.i >= this.src.length;
  }

  /** Comments mode: skip whitespace and `#…` to the end of the line. */
  private skipComments(): void {
    if (!this.flags.x) return;
    while (!this.done) {
      const c = this.src[this.i] as string;
      if (/\s/.test(c)) this.i++;
      else if (c === "#") {
        while (!this.done && !"\n\r\u0085\u2028\u2029".includes(this.src[this.i] as string)) this.i++;
      } else return;
    }
  }

  translate(): string {
    let out = "";
    for (;;) {
      this.skipComments();
      if (this.done) break;
      out += this.atom();
      out += this.quantifier();
    }
    if (this.groups !== 0) refuse("unclosed group: a '(' has no matching ')'");
    return out;
  }

  /** A quantifier after an atom (empty if none): greedy or lazy; possessive ones are refused. */
  private quantifier(): string {
    let q = "";
    for (;;) {
      this.skipComments();
      const c = this.peek();
      let piece: string;
      if (c === 0x2a || c === 0x2b || c === 0x3f) {
        this.i++;
        piece = String.fromCharCode(c);
      } else if (c === 0x7b) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i, this.i + 24));
        if (m === null) return refuse("a '{' that does not start a repetition {n}, {n,} or {n,m}; write '\\{' for a literal brace");
        const lo = Number(m[1]);
        const hi = m[3] === undefined || m[3] === "" ? undefined : Number(m[3]);
        if (lo > 1000 || (hi !== undefined && hi > 1000)) refuse("repetition counts above 1000 are not supported");
        if (hi !== undefined && hi < lo) refuse(`the repetition '${m[0]}' has its bounds the wrong way round`);
        this.i += m[0].length;
        piece = m[0];
      } else return q;
      if (q !== "") refuse(`a quantifier cannot follow another quantifier ('${q}${piece}')`);
      const after = this.peek();
      if (after === 0x2b) refuse(MESSAGES.possessive);
      if (after === 0x3f) {
        this.i++;
        piece += "?";
      }
      q = piece;
    }
  }

  private atom(): string {
    const c = this.next();
    switch (c) {
      case 0x5c: // backslash
        return this.escape();
      case 0x5b: // [
        return this.characterClass();
      case 0x28: // (
        return this.group();
      case 0x29: // )
        if (this.groups === 0) refuse("unmatched ')'");
        this.groups--;
        return ")";
      case 0x7c: // |
        return "|";
      case 0x2e: // .
        if (this.flags.s) return "(?s:.)";
        return this.flags.d ? "[^\\n]" : `[^${LINE_TERMINATORS.map(rangeText).join("")}]`;
      case 0x5e: // ^
        return this.flags.m ? "(?m:^)" : "^";
      case 0x24: // $
        if (this.flags.m) return "(?m:$)";
        // Java: at the end, or before a line terminator that ends the input. The terminator is matched (and ends the match).
        return this.flags.d ? "(?:\\n?\\z)" : "(?:(?:\\r\\n|[\\n\\r\\x{85}\\x{2028}\\x{2029}])?\\z)";
      case 0x2a:
      case 0x2b:
      case 0x3f:
        return refuse(`'${String.fromCharCode(c)}' has nothing to repeat; write '\\${String.fromCharCode(c)}' for the character`);
      case 0x7b:
        return refuse("a '{' that does not start a repetition {n}, {n,} or {n,m}; write '\\{' for a literal brace");
      default:
        return this.literal(c);
    }
  }

  private literal(cp: number): string {
    if (this.flags.i && !this.flags.u && isAsciiLetter(cp)) {
      return `[${String.fromCodePoint(cp)}${String.fromCodePoint(cp ^ 0x20)}]`;
    }
    if ((cp >= 0x30 && cp <= 0x39) || isAsciiLetter(cp) || cp === 0x20 || cp === 0x5f) return String.fromCodePoint(cp);
    return hex(cp);
  }

  private group(): string {
    if (this.peek() !== 0x3f) return this.capturing();
    this.i++;
    if (this.at(":")) {
      this.i++;
      this.groups++;
      return "(?:";
    }
    if (this.at("=") || this.at("!") || this.at("<=") || this.at("<!")) return refuse(MESSAGES.lookaround);
    if (this.at(">")) return refuse(MESSAGES.atomic);
    const named = /^<([a-zA-Z][a-zA-Z0-9]*)>/.exec(this.src.slice(this.i, this.i + 40));
    if (named !== null) {
      this.i += named[0].length;
      return this.capturing(named[1]);
    }
    if (/^[idmsuxU-]+[:)]/.test(this.src.slice(this.i, this.i + 16))) return refuse(MESSAGES.inlineFlags);
    return refuse("'(?' must start a group '(?:…)', a named group '(?<name>…)' or leading flags '(?i)'");
  }

  /** Hex digits of `\x{…}` / `\xhh` / `\uhhhh` → a code point. */
  private hexDigits(n: number, what: string): number {
    const digits = this.src.slice(this.i, this.i + n);
    if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) return refuse(`'${what}' needs ${n} hex digits`);
    this.i += n;
    return parseInt(digits, 16);
  }

  /** The code point of a character escape (after the backslash and the letter), or undefined when it is not one. */
  private characterEscape(c: number): number | undefined {
    switch (c) {
      case 0x74:
        return 0x09; // \t
      case 0x6e:
        return 0x0a; // \n
      case 0x72:
        return 0x0d; // \r
      case 0x66:
        return 0x0c; // \f
      case 0x61:
        return 0x07; // \a
      case 0x65:
        return 0x1b; // \e
      case 0x63: {
        // \cX
        const x = this.next();
        return x ^ 0x40;
      }
      case 0x30: {
        // \0n, \0nn, \0mnn (m ≤ 3)
        const m = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(this.src.slice(this.i, this.i + 3));
        if (m === null) return refuse("'\\0' must be followed by an octal value, e.g. '\\011'");
        this.i += m[0].length;
        return parseInt(m[0], 8);
      }
      case 0x78: {
        // \xhh or \x{h…h}
        if (this.peek() === 0x7b) {
          const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.src.slice(this.i, this.i + 9));
          if (m === null || parseInt(m[1] as string, 16) > MAX_CODE_POINT) return refuse("'\\x{…}' needs a code point in hex, at most 10FFFF");
          this.i += m[0].length;
          return parseInt(m[1] as string, 16);
        }
        return this.hexDigits(2, "\\xhh");
      }
      case 0x75: {
        // \uhhhh, a surrogate pair written as two escapes being one code point
        const hi = this.hexDigits(4, "\\uhhhh");
        if (hi >= 0xd800 && hi <= 0xdbff && this.at("\\u")) {
          const save = this.i;
          this.i += 2;
          const lo = /^[0-9a-fA-F]{4}/.test(this.src.slice(this.i, this.i + 4)) ? parseInt(this.src.slice(this.i, this.i + 4), 16) : -1;
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            this.i += 4;
            return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
          }
          this.i = save;
        }
        return hi;
      }
      default:
        return undefined;
    }
  }

  /** `\p{…}` / `\pL` (after the `p` or `P`) → an RE2 class escape, or ranges for POSIX names. */
  private property(negated: boolean): ClassItem {
    let name: string;
    if (this.peek() === 0x7b) {
      const end = this.src.indexOf("}", this.i);
      if (end < 0) return refuse("'\\p{' is not closed with '}'");
      name = this.src.slice(this.i + 1, end);
      this.i = end + 1;
    } else name = String.fromCodePoint(this.next());
    const p = negated ? "P" : "p";
    if (name.startsWith("java")) return refuse(MESSAGES.javaClass);
    const posix = POSIX[name] ?? (name.startsWith("Is") ? POSIX[name.slice(2)] : undefined);
    if (posix !== undefined) return { text: negated ? `[:^${posix.slice(2)}` : posix };
    if (name.startsWith("In") || /^(?:blk|block)=/i.test(name)) return refuse(`Unicode blocks ('\\p{${name}}') are not supported; use a script ('\\p{IsGreek}') or a range`);
    const category = /^(?:Is|gc=|general_category=)?([A-Z][a-z&]?)$/.exec(name);
    if (category !== null) return { text: `\\${p}{${category[1] === "L&" ? "L" : category[1]}}` };
    const script = /^(?:Is|sc=|script=)([A-Za-z_]+)$/i.exec(name);
    if (script !== null) {
      const s = (script[1] as string).toLowerCase().replace(/(^|_)([a-z])/g, (_m, u: string, l: string) => `${u}${l.toUpperCase()}`);
      return { text: `\\${p}{${s}}` };
    }
    return refuse(`the property '\\${p}{${name}}' is not supported`);
  }

  /** An escape outside a class. */
  private escape(): string {
    const c = this.next();
    const cp = this.characterEscape(c);
    if (cp !== undefined) return this.literal(cp);
    switch (c) {
      case 0x51: {
        // \Q…\E
        const end = this.src.indexOf("\\E", this.i);
        const body = end < 0 ? this.src.slice(this.i) : this.src.slice(this.i, end);
        this.i = end < 0 ? this.src.length : end + 2;
        let out = "";
        for (const ch of body) out += this.literal(ch.codePointAt(0) as number);
        return out === "" ? "(?:)" : `(?:${out})`;
      }
      case 0x45: // a stray \E is ignored, as in Java
        return "";
      case 0x64:
      case 0x44:
      case 0x77:
      case 0x57:
      case 0x62:
      case 0x42:
        return `\\${String.fromCharCode(c)}`;
      case 0x73:
        return `[${JAVA_SPACE.map(rangeText).join("")}]`;
      case 0x53:
        return `[^${JAVA_SPACE.map(rangeText).join("")}]`;
      case 0x68:
        return `[${JAVA_HSPACE.map(rangeText).join("")}]`;
      case 0x48:
        return `[^${JAVA_HSPACE.map(rangeText).join("")}]`;
      case 0x76:
        return `[${JAVA_VSPACE.map(rangeText).join("")}]`;
      case 0x56:
        return `[^${JAVA_VSPACE.map(rangeText).join("")}]`;
      case 0x52:
        return `(?:\\r\\n|[${JAVA_VSPACE.map(rangeText).join("")}])`;
      case 0x70:
      case 0x50: {
        const item = this.property(c === 0x50);
        return "text" in item ? (item.text.startsWith("[:") ? `[${item.text}]` : item.text) : "";
      }
      case 0x41:
      case 0x5a:
      case 0x7a:
        return refuse(MESSAGES.anchors);
      case 0x6b:
        return refuse(MESSAGES.backreference);
      case 0x47:
        return refuse("'\\G' (the end of the previous match) is Java-only: a PQL match is a single search");
      case 0x58:
        return refuse("'\\X' (a grapheme cluster) is Java-only");
      case 0x4e:
        return refuse("'\\N{name}' is Java-only; write the character or '\\x{…}'");
      default:
        if (c >= 0x31 && c <= 0x39) return refuse(MESSAGES.backreference);
        if (isAsciiLetter(c) || (c >= 0x30 && c <= 0x39)) return refuse(`'\\${String.fromCodePoint(c)}' is not a Java regex escape`);
        return this.literal(c);
    }
  }

  /** A class item after a backslash inside `[…]`. */
  private classEscape(): ClassItem {
    const c = this.next();
    const cp = this.characterEscape(c);
    if (cp !== undefined) return { ranges: [[cp, cp]] };
    switch (c) {
      case 0x64:
      case 0x44:
      case 0x77:
      case 0x57:
        return { text: `\\${String.fromCharCode(c)}` };
      case 0x73:
        return { ranges: JAVA_SPACE };
      case 0x53:
        return { ranges: complement(JAVA_SPACE) };
      case 0x68:
        return { ranges: JAVA_HSPACE };
      case 0x48:
        return { ranges: complement(JAVA_HSPACE) };
      case 0x76:
        return { ranges: JAVA_VSPACE };
      case 0x56:
        return { ranges: complement(JAVA_VSPACE) };
      case 0x70:
      case 0x50:
        return this.property(c === 0x50);
      case 0x51: {
        const end = this.src.indexOf("\\E", this.i);
        const body = end < 0 ? this.src.slice(this.i) : this.src.slice(this.i, end);
        this.i = end < 0 ? this.src.length : end + 2;
        return { ranges: [...body].map((ch) => [ch.codePointAt(0) as number, ch.codePointAt(0) as number] as const) };
      }
      default:
        if ((c >= 0x30 && c <= 0x39) || isAsciiLetter(c)) return refuse(`'\\${String.fromCodePoint(c)}' is not supported inside a character class`);
        return { ranges: [[c, c]] };
    }
  }

  /** One code point of a class (for a range end), or a set item. */
  private classAtom(): ClassItem {
    this.skipComments();
    if (this.done) return refuse("unclosed character class: a '[' has no matching ']'");
    const c = this.next();
    if (c === 0x5c) return this.classEscape();
    if (c === 0x5b) return refuse(MESSAGES.nestedClass);
    if (c === 0x26 && this.peek() === 0x26) return refuse(MESSAGES.nestedClass);
    return { ranges: [[c, c]] };
  }

  private characterClass(): string {
    let negated = false;
    if (this.peek() === 0x5e) {
      negated = true;
      this.i++;
    }
    this.skipComments();
    if (this.peek() === 0x5d) refuse("a ']' right after '[' or '[^' is read differently by regex engines; write '\\]'");
    const items: ClassItem[] = [];
    for (;;) {
      this.skipComments();
      if (this.done) return refuse("unclosed character class: a '[' has no matching ']'");
      if (this.peek() === 0x5d) {
        this.i++;
        break;
      }
      const item = this.classAtom();
      this.skipComments();
      // A range lo-hi: both ends single code points, and the '-' not closing the class.
      if ("ranges" in item && item.ranges.length === 1 && item.ranges[0]?.[0] === item.ranges[0]?.[1] && this.peek() === 0x2d && this.peek(1) !== 0x5d) {
        const save = this.i;
        this.i++;
        const end = this.classAtom();
        if ("ranges" in end && end.ranges.length === 1 && end.ranges[0]?.[0] === end.ranges[0]?.[1]) {
          const lo = item.ranges[0]?.[0] as number;
          const hi = end.ranges[0]?.[0] as number;
          if (hi < lo) refuse(`the class range '${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}' is out of order`);
          items.push({ ranges: [[lo, hi]] });
          continue;
        }
        if ("ranges" in end || "text" in end) refuse("a class range must go from one character to another, e.g. 'a-z'");
        this.i = save;
      }
      items.push(item);
    }
    if (items.length === 0) refuse("an empty character class matches nothing");
    let body = "";
    for (const item of items) {
      if ("text" in item) {
        body += item.text;
        continue;
      }
      for (const [lo, hi] of item.ranges) {
        body += rangeText([lo, hi]);
        if (this.flags.i && !this.flags.u) for (const r of asciiFold(lo, hi)) body += rangeText(r);
      }
    }
    return `[${negated ? "^" : ""}${body}]`;
  }
}

/** Instructions of the compiled RE2 program (its size: the work per input character), when re2js tells it. */
function programSize(compiled: RE2JS): number | undefined {
  const prog = (compiled as unknown as { re2Input?: { prog?: { numInst?: () => number } } }).re2Input?.prog;
  return typeof prog?.numInst === "function" ? prog.numInst() : undefined;
}

interface Translated {
  readonly re2: string;
  readonly compiled: RE2JS;
  readonly groups: number;
}

/** Translate and compile, keeping only group `keep` capturing (all when undefined); a string is the reason it cannot be used. */
function translate(pattern: string, keep?: number): Translated | { readonly refused: string; readonly overBudget?: true } {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { refused: `the pattern is ${pattern.length.toLocaleString("en")} characters long; the limit is ${MAX_PATTERN_LENGTH.toLocaleString("en")} (maxPatternLength)`, overBudget: true };
  }
  let src = pattern;
  const lead = /^\(\?([imsxdu]+)\)/.exec(src);
  const f = lead?.[1] ?? "";
  if (lead !== null) src = src.slice(lead[0].length);
  const flags: Flags = { i: f.includes("i"), m: f.includes("m"), s: f.includes("s"), x: f.includes("x"), d: f.includes("d"), u: f.includes("u") };
  if (/^\(\?[idmsuxU-]*U/.test(pattern)) return { refused: "the flag 'U' (Unicode character classes) is not supported" };
  let re2: string;
  let groups: number;
  try {
    const t = new Translator(src, flags, keep);
    re2 = (flags.i && flags.u ? "(?i)" : "") + t.translate();
    groups = t.captures;
  } catch (e) {
    if (e instanceof Refused) return { refused: e.message };
    throw e;
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(re2);
  } catch (e) {
    return { refused: `invalid regular expression: ${e instanceof Error ? e.message.replace(/^error parsing regexp: /, "") : String(e)}` };
  }
  const size = programSize(compiled);
  if (size !== undefined && size > MAX_REGEX_SIZE) {
    return { refused: `the pattern compiles to ${size.toLocaleString("en")} matching instructions (repetitions count once per repeat); the limit is ${MAX_REGEX_SIZE.toLocaleString("en")} (maxRegexSize)`, overBudget: true };
  }
  return { re2, compiled, groups };
}

/** Translate a Java regex to RE2 and compile it; never throws. `overBudget` marks a pattern refused for its size. */
export function translateJavaRegex(pattern: string): RegexResult {
  const t = translate(pattern);
  if ("refused" in t) return t.overBudget === true ? { ok: false, message: t.refused, overBudget: true } : { ok: false, message: t.refused };
  const { compiled, re2 } = t;
  return { ok: true, re2, regex: { test: (s) => compiled.test(s), exec: (s) => compiled.exec(s) as Array<string | undefined> | null } };
}

const cache = new Map<string, PqlRegex | null>();

/** A cached translation for patterns computed at run time; null when the pattern is unusable. */
export function runtimeRegex(pattern: string): PqlRegex | null {
  let re = cache.get(pattern);
  if (re === undefined) {
    if (cache.size > 256) cache.clear();
    const r = translateJavaRegex(pattern);
    re = r.ok ? r.regex : null;
    cache.set(pattern, re);
  }
  return re;
}

/** Group `group` of the first match (0: the match), or undefined; null when the pattern is unusable. */
export type GroupMatcher = (input: string) => string | undefined;

const groupCache = new Map<string, GroupMatcher | null>();

/**
 * `regexGroup(pattern, group)`: the pattern compiled with only that group capturing, since the engine's work per
 * character grows with the groups it tracks. Cached; null when the pattern is unusable, and a matcher of nothing
 * when the group does not exist.
 */
export function groupMatcher(pattern: string, group: number): GroupMatcher | null {
  const key = `${group}\u0000${pattern}`;
  let m = groupCache.get(key);
  if (m === undefined) {
    if (groupCache.size > 256) groupCache.clear();
    const t = translate(pattern, group === 0 ? 0 : group);
    if ("refused" in t) m = null;
    else if (group > t.groups) m = () => undefined;
    else {
      const { compiled } = t;
      const at = group === 0 ? 0 : 1;
      m = (s) => {
        const r = compiled.exec(s) as Array<string | undefined> | null;
        return r === null ? undefined : (r[at] ?? undefined);
      };
    }
    groupCache.set(key, m);
  }
  return m;
}
