/**
 * Regex helpers for RE2 engines (DuckDB; also BigQuery, ClickHouse …).
 *
 * jsRegexToRe2: a PQL regex as a reference that matches with a JavaScript RegExp (`u` flag) runs it → an RE2
 * pattern with the same meaning, or the reason there is none. A reference that matches with RE2 itself gives its
 * own RE2 translation (translateJavaRegex's `re2`), which the DuckDB dialect then runs as is; this translator is
 * only the fallback for the JavaScript one. What it translates: `.` (JavaScript's excludes \r, U+2028 and U+2029
 * as well as \n), `\s`/`\S` (JavaScript's Unicode white space; RE2's is ASCII without \v), `\uXXXX`/`\u{…}` →
 * `\x{…}`, `\cX`, `\0`, `(?<name>` → `(?P<name>`, `[` inside a class, flags → a leading `(?ims)`, and under `m` a
 * `^`/`$` that begins/ends a top-level alternative (for a yes/no search only: the line terminator is consumed).
 * What it refuses: back references, lookaround, `\p{…}` beyond the general categories, repetition counts over
 * 1000, `[]`/`[^]`, and anything the reference itself read without the `u` flag.
 */

/** An RE2 pattern, or why the regex has no RE2 equivalent. */
export type Re2Result = { readonly ok: true; readonly pattern: string } | { readonly ok: false; readonly message: string };

/** JavaScript's `\s`: WhiteSpace and LineTerminator code points. */
const JS_SPACE = "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
/** JavaScript's `.` without the s flag: anything but a line terminator. */
const JS_DOT = "[^\\n\\r\\x{2028}\\x{2029}]";
const LINE_TERMINATOR = "[\\r\\x{2028}\\x{2029}]";
/** General categories RE2 knows (JavaScript also accepts long names and scripts, which are refused). */
const CATEGORIES = new Set(
  "L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Co Cs".split(" "),
);

class Refusal extends Error {}

const hex = (cp: number): string => `\\x{${cp.toString(16).toUpperCase()}}`;

/**
 * Translate a JavaScript regex produced by the reference's Java translation. `purpose` "test" is a yes/no
 * search (`matches`); "extract" also keeps group 0 (`regexGroup`), which rules out the `m`-flag rewrite.
 */
export function jsRegexToRe2(source: string, flags: string, purpose: "test" | "extract"): Re2Result {
  if (!flags.includes("u")) return { ok: false, message: "the pattern is only valid without Unicode mode, where JavaScript and RE2 read it differently" };
  try {
    return { ok: true, pattern: new Translator(source, flags, purpose).run() };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, message: e.message };
    throw e;
  }
}

class Translator {
  private i = 0;
  private depth = 0;
  private readonly dotAll: boolean;
  private readonly multiline: boolean;

  constructor(
    private readonly src: string,
    private readonly flags: string,
    private readonly purpose: "test" | "extract",
  ) {
    this.dotAll = flags.includes("s");
    this.multiline = flags.includes("m");
  }

  run(): string {
    let out = "";
    const lead = [..."ims"].filter((f) => this.flags.includes(f)).join("");
    if (lead !== "") out += `(?${lead})`;
    out += this.alternatives();
    if (this.i < this.src.length) throw new Refusal(`unexpected '${this.src[this.i]}' at ${this.i}`);
    return out;
  }

  private peek(k = 0): string {
    return this.src[this.i + k] ?? "";
  }

  private alternatives(): string {
    const parts: string[] = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      parts.push(this.sequence());
    }
    return parts.join("|");
  }

  private sequence(): string {
    let out = "";
    let first = true;
    while (this.i < this.src.length && this.peek() !== "|" && this.peek() !== ")") {
      const c = this.peek();
      if (c === "^" || c === "$") {
        this.i++;
        const atEdge = c === "^" ? first : this.i >= this.src.length || this.peek() === "|" || this.peek() === ")";
        out += this.anchor(c, atEdge);
      } else {
        out += this.atom();
        out += this.quantifier();
      }
      first = false;
    }
    return out;
  }

  private anchor(c: "^" | "$", atEdge: boolean): string {
    if (!this.multiline) return c;
    // JavaScript's multiline anchors also see \r, U+2028 and U+2029 as line ends; RE2's only \n.
    if (this.purpose !== "test" || this.depth > 0 || !atEdge) {
      throw new Refusal(`'${c}' with the m flag is only translated at the start or end of a top-level alternative of a matches() test`);
    }
    return c === "^" ? `(?:^|${LINE_TERMINATOR})` : `(?:$|${LINE_TERMINATOR})`;
  }

  private quantifier(): string {
    const c = this.peek();
    let q = "";
    if (c === "*" || c === "+" || c === "?") {
      q = c;
      this.i++;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (m === null) throw new Refusal("a '{' that is not a repetition count");
      for (const n of [m[1], m[3]]) if (n !== undefined && n !== "" && Number(n) > 1000) throw new Refusal("repetition counts over 1000 are not supported by RE2");
      q = m[0];
      this.i += m[0].length;
    } else return "";
    if (this.peek() === "?") {
      q += "?";
      this.i++;
    }
    if (this.peek() === "+") throw new Refusal("possessive quantifiers are not supported");
    return q;
  }

  private atom(): string {
    const c = this.peek();
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return this.charClass();
      case ".":
        this.i++;
        return this.dotAll ? "." : JS_DOT;
      case "\\":
        return this.escape(false);
      case "*":
      case "+":
      case "?":
      case "{":
        throw new Refusal(`nothing to repeat before '${c}'`);
      default: {
        const cp = this.src.codePointAt(this.i) as number;
        this.i += cp > 0xffff ? 2 : 1;
        return String.fromCodePoint(cp);
      }
    }
  }

  private group(): string {
    this.i++;
    let open = "(";
    const rest = this.src.slice(this.i);
    if (rest.startsWith("?:")) {
      open = "(?:";
      this.i += 2;
    } else if (/^\?<[A-Za-z_$][\w$]*>/.test(rest)) {
      const name = /^\?<([A-Za-z_$][\w$]*)>/.exec(rest)?.[1] as string;
      if (!/^[A-Za-z_]\w*$/.test(name)) throw new Refusal(`group name '${name}' is not valid in RE2`);
      open = `(?P<${name}>`;
      this.i += name.length + 3;
    } else if (rest.startsWith("?")) {
      throw new Refusal("lookahead and lookbehind '(?=', '(?!', '(?<=', '(?<!' are not supported by RE2");
    }
    this.depth++;
    const body = this.alternatives();
    this.depth--;
    if (this.peek() !== ")") throw new Refusal("unbalanced parenthesis");
    this.i++;
    return `${open}${body})`;
  }

  private charClass(): string {
    this.i++;
    let out = "[";
    if (this.peek() === "^") {
      out += "^";
      this.i++;
    }
    if (this.peek() === "]") throw new Refusal("the empty classes '[]' and '[^]' are not supported");
    while (this.i < this.src.length && this.peek() !== "]") {
      const c = this.peek();
      if (c === "\\") out += this.escape(true);
      else if (c === "[") {
        out += "\\[";
        this.i++;
      } else {
        const cp = this.src.codePointAt(this.i) as number;
        this.i += cp > 0xffff ? 2 : 1;
        out += String.fromCodePoint(cp);
      }
    }
    if (this.peek() !== "]") throw new Refusal("unterminated character class");
    this.i++;
    return `${out}]`;
  }

  /** An escape at `\`; `inClass` inside `[...]`. */
  private escape(inClass: boolean): string {
    const c = this.peek(1);
    this.i += 2;
    switch (c) {
      case "d":
      case "D":
      case "w":
      case "W":
      case "b":
      case "B":
        if (inClass && (c === "b" || c === "B")) {
          if (c === "b") return "\\x{8}";
          throw new Refusal("'\\B' inside a character class");
        }
        return `\\${c}`;
      case "s":
        return inClass ? JS_SPACE : `[${JS_SPACE}]`;
      case "S":
        if (inClass) throw new Refusal("'\\S' inside a character class");
        return `[^${JS_SPACE}]`;
      case "n":
      case "r":
      case "t":
      case "f":
        return `\\${c}`;
      case "v":
        return "\\x{0B}";
      case "0":
        if (/[0-9]/.test(this.peek())) throw new Refusal("octal escapes are not supported");
        return "\\x{0}";
      case "x": {
        const m = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.i));
        if (m === null) throw new Refusal("'\\x' needs two hex digits");
        this.i += 2;
        return hex(parseInt(m[0], 16));
      }
      case "u":
        return hex(this.unicodeEscape());
      case "c": {
        const l = this.peek();
        if (!/[A-Za-z]/.test(l)) throw new Refusal("'\\c' needs a letter");
        this.i++;
        return hex(l.charCodeAt(0) % 32);
      }
      case "p":
      case "P": {
        const m = /^\{([A-Za-z_=]+)\}/.exec(this.src.slice(this.i));
        if (m === null || !CATEGORIES.has(m[1] as string)) throw new Refusal(`'\\${c}{${m?.[1] ?? ""}}': only general categories (L, Lu, Nd, …) are supported`);
        this.i += m[0].length;
        return `\\${c}{${m[1]}}`;
      }
      case "k":
        throw new Refusal("named back references '\\k<…>' are not supported by RE2");
      default:
        if (/[1-9]/.test(c)) throw new Refusal("back references are not supported by RE2");
        if (/[\^$\\.*+?()[\]{}|/-]/.test(c)) return `\\${c}`;
        throw new Refusal(`unknown escape '\\${c}'`);
    }
  }

  /** After `\u`: XXXX (combining a surrogate pair) or {X…}. */
  private unicodeEscape(): number {
    const rest = this.src.slice(this.i);
    const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(rest);
    if (braced !== null) {
      this.i += braced[0].length;
      return parseInt(braced[1] as string, 16);
    }
    const m = /^[0-9A-Fa-f]{4}/.exec(rest);
    if (m === null) throw new Refusal("'\\u' needs four hex digits");
    this.i += 4;
    const cp = parseInt(m[0], 16);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const low = /^\\u([Dd][C-Fc-f][0-9A-Fa-f]{2})/.exec(this.src.slice(this.i));
      if (low === null) throw new Refusal("a lone surrogate escape");
      this.i += 6;
      return 0x10000 + ((cp - 0xd800) << 10) + (parseInt(low[1] as string, 16) - 0xdc00);
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) throw new Refusal("a lone surrogate escape");
    return cp;
  }
}

/** The number of capture groups of a JavaScript regex source (for `regexGroup` indexes past the last group). */
export function captureGroupCount(source: string, flags: string): number {
  return (new RegExp(`${source}|`, flags.replace("g", "")).exec("")?.length ?? 1) - 1;
}

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
