/**
 * `like` and `matches` in linear time (issue 17): LIKE is matched without a RegExp, `matches`/`regexGroup` run on
 * RE2 after a Java → RE2 translation that keeps Java's meaning or refuses the construct with a located error.
 * The pathological cases assert results, not times: with backtracking each of them would run for minutes or forever.
 */
import { describe, expect, it } from "vitest";
import { NOW, TEST_SCHEMA } from "../../test/pql/fixtures.js";
import { checkPql, compilePql, compilePqlValue, compileSegmentExpression, parsePql, translateJavaRegex, type PqlError } from "./index.js";
import { likeMatcher } from "./values.js";

function check(expr: string): PqlError[] {
  return checkPql(parsePql(expr), TEST_SCHEMA, expr, "segment.pql");
}

const ctx = (profile: Record<string, unknown>) => ({ profile: profile as never, events: [], now: NOW });

describe("like is a linear matcher", () => {
  it.each([
    ["", "", true],
    ["", "%", true],
    ["a", "%", true],
    ["", "_", false],
    ["ab", "a_", true],
    ["ab", "_", false],
    ["abc", "a%c", true],
    ["ac", "a%c", true],
    ["a", "a%a", false],
    ["aa", "a%a", true],
    ["xaybz", "%a%b%", true],
    ["xbyaz", "%a%b%", false],
    ["abcabd", "%ab_", true],
    ["abcabd", "%ab_%d", true],
    ["abcab", "%ab_%d", false],
    ["😀", "_", true],
    ["😀x", "__", true],
    ["😀", "__", false],
    ["a😀b", "a%b", true],
    ["x😀", "%_", true],
    ["😀", "%\uD83D%", false],
    ["Los Angeles", "Los_Angeles", true],
    ["john@uni.edu", "%.edu", true],
    ["JOHN", "john", false],
    ["a%b", "a%b", true],
    ["a\nb", "a_b", true],
  ])("%j like %j is %s", (s, pattern, result) => {
    expect(likeMatcher(pattern)(s)).toBe(result);
  });

  it("matches a pathological pattern against a long string at once (the issue's %%%%%%%%%%x)", () => {
    // A backtracking RegExp for this pattern takes minutes on a few thousand characters; the answer must come now.
    const expr = 'personalEmail.address like "%%%%%%%%%%x"';
    expect(check(expr)).toEqual([]);
    const pred = compileSegmentExpression(expr, TEST_SCHEMA);
    const long = "a".repeat(200_000);
    expect(pred(ctx({ personalEmail: { address: long } }))).toBe(false);
    expect(pred(ctx({ personalEmail: { address: `${long}x` } }))).toBe(true);
    expect(pred(ctx({ personalEmail: { address: `x${long}` } }))).toBe(false);
    const middle = compileSegmentExpression('personalEmail.address like "%a%a%a%a%a%a%a%a%a%a%b%"', TEST_SCHEMA);
    expect(middle(ctx({ personalEmail: { address: long } }))).toBe(false);
    expect(middle(ctx({ personalEmail: { address: `${long}b` } }))).toBe(true);
    const wild = compileSegmentExpression('personalEmail.address like "%_%_%_%_%_%_%_%_%_%_%x"', TEST_SCHEMA);
    expect(wild(ctx({ personalEmail: { address: long } }))).toBe(false);
  });

  it("the same segment on 1,000 profiles (the issue's segment job) gives the memberships", () => {
    const pred = compileSegmentExpression('personalEmail.address like "%%%%%%%%%%x"', TEST_SCHEMA);
    let members = 0;
    for (let i = 0; i < 1000; i++) if (pred(ctx({ personalEmail: { address: `${"a".repeat(i)}${i % 10 === 0 ? "x" : "y"}` } }))) members++;
    expect(members).toBe(100);
  });
});

describe("matches runs on RE2", () => {
  it("does not backtrack: 'aaaa…a!'.matches(\"(a+)+b\") is false, at once", () => {
    const s = `${"a".repeat(60_000)}!`;
    const expr = `"${s}".matches("(a+)+b")`;
    expect(check(expr)).toEqual([]);
    expect(compileSegmentExpression(expr, TEST_SCHEMA)(ctx({}))).toBe(false);
    expect(compileSegmentExpression(`"${s}".matches("(a+)+!")`, TEST_SCHEMA)(ctx({}))).toBe(true);
    expect(compileSegmentExpression(`"${s}".matches("^(a|aa)*$")`, TEST_SCHEMA)(ctx({}))).toBe(false);
    expect(compileSegmentExpression(`"${s}".matches("(.*a){20}")`, TEST_SCHEMA)(ctx({}))).toBe(true);
  });

  it.each([
    // [pattern, input, Java's answer]
    ["n$", "John", true],
    ["n$", "John\n", true], // Java's $ also matches before a final line terminator
    ["n$", "John\r\n", true],
    ["n$", "John\n\n", false],
    ["(?m)^b$", "a\nb\nc", true],
    ["a.b", "a\nb", false],
    ["a.b", "a\rb", false], // Java's . excludes \r, \u0085, \u2028 and \u2029 too
    ["a.b", "a\u2028b", false],
    ["(?d)a.b", "a\rb", true],
    ["(?s)a.b", "a\nb", true],
    ["a\\sb", "a\u000bb", true], // Java's \s includes \x0B
    ["a\\sb", "a\u00a0b", false], // … and nothing outside ASCII
    ["a[\\S]b", "a\u000bb", false],
    ["a\\hb", "a\u00a0b", true],
    ["\\R", "\r\n", true],
    ["(?i)straße", "STRAßE", true],
    ["(?i)k", "\u212a", false], // (?i) folds ASCII only…
    ["(?iu)k", "\u212a", true], // … unless u asks for Unicode case
    ["(?i)[a-c]x", "Bx", true],
    ["(?i)[^a]", "A", false],
    ["\\u00e9", "é", true],
    ["\\x{1F600}", "😀", true],
    ["\\uD83D\\uDE00", "😀", true],
    ["\\0101", "A", true],
    ["\\cA", "\u0001", true],
    ["\\e", "\u001b", true],
    ["\\p{Lu}\\p{Ll}", "Ab", true],
    ["\\p{IsGreek}", "λ", true],
    ["\\p{Alpha}+", "é", false], // POSIX classes are US-ASCII in Java
    ["\\P{Digit}", "1", false],
    ["\\Q.*\\E", "a.*b", true],
    ["\\Q.*\\E", "ab", false],
    ["(?x) a b # comment", "ab", true],
    ["(?x)[a b]", " ", false], // comments mode ignores whitespace inside classes too
    ["a{2,3}", "aa", true],
    ["ab*?c", "abbc", true],
    ["(?<name>x)y", "xy", true],
    ["\\d\\w\\b", "1a", true],
    ["[\\\\]", "\\", true],
    ["a|b", "b", true],
    ["\\@\\#", "@#", true],
  ])("%j on %j is %s, as in Java", (pattern, input, result) => {
    const r = translateJavaRegex(pattern);
    if (!r.ok) throw new Error(r.message);
    expect(r.regex.test(input)).toBe(result);
  });

  it.each([
    ["(a)\\1", "backreferences"],
    ["(?<n>a)\\k<n>", "backreferences"],
    ["a(?=b)", "lookahead and lookbehind"],
    ["a(?!b)", "lookahead and lookbehind"],
    ["(?<=a)b", "lookahead and lookbehind"],
    ["(?<!a)b", "lookahead and lookbehind"],
    ["(?>a)", "atomic groups"],
    ["a*+", "possessive quantifiers"],
    ["a{2}+", "possessive quantifiers"],
    ["[a-z&&[^e]]", "unions and intersections"],
    ["[a[b]]", "unions and intersections"],
    ["\\Aa", "'\\A', '\\Z' and '\\z' are Java-only"],
    ["a\\Z", "'\\A', '\\Z' and '\\z' are Java-only"],
    ["\\Ga", "'\\G'"],
    ["\\X", "grapheme cluster"],
    ["\\p{javaLowerCase}", "'\\p{java…}' classes are Java-only"],
    ["\\p{InGreek}", "Unicode blocks"],
    ["a(?i)b", "inline flags are only supported at the very start"],
    ["(?U)\\w", "'U'"],
    ["a{1001}", "above 1000"],
    ["x{", "does not start a repetition"],
    ["[]a]", "write '\\]'"],
    ["\\y", "not a Java regex escape"],
    ["(", "unclosed group"],
    ["a)", "unmatched ')'"],
    ["*a", "nothing to repeat"],
    ["a**", "cannot follow another quantifier"],
  ])("refuses %j (%s)", (pattern, message) => {
    const r = translateJavaRegex(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it("regexGroup tracks only the group it returns, so many groups over a long input stay cheap", () => {
    const long = `${"a".repeat(20_000)}!`;
    const v = compilePqlValue(parsePql(`personalEmail.address.regexGroup("${"(a*)".repeat(40)}(!)", 41)`));
    expect(v(ctx({ personalEmail: { address: long } }))).toBe("!");
    const named = compilePqlValue(parsePql('personalEmail.address.regexGroup("(?<user>\\\\w+)@(?<host>\\\\w+)", 2)'));
    expect(named(ctx({ personalEmail: { address: "john@example.com" } }))).toBe("example");
  });

  it("keeps regexGroup's groups", () => {
    const v = compilePqlValue(parsePql('personalEmail.address.regexGroup("^(\\\\w+)\\\\.(\\\\w+)@(x)?", 2)'));
    expect(v(ctx({ personalEmail: { address: "john.doe@example.com" } }))).toBe("doe");
    const missing = compilePqlValue(parsePql('personalEmail.address.regexGroup("^(\\\\w+)\\\\.(\\\\w+)@(x)?", 3)'));
    expect(missing(ctx({ personalEmail: { address: "john.doe@example.com" } }))).toBe(null);
  });

  it("refuses a Java-only construct in the checker, located at the pattern, with a source frame", () => {
    const [e, ...rest] = check('person.name.firstName matches "(a)\\\\1"');
    expect(rest).toEqual([]);
    expect(e?.code).toBe("PQL-T010");
    expect(e?.message).toContain("backreferences");
    expect(e?.location).toEqual({ file: "segment.pql", line: 1, column: 31 });
    expect(e?.detail).toContain("^^^^^^^^");
  });

  it("gives the RE2 source for back ends whose engine is RE2", () => {
    const r = translateJavaRegex("(?i)a.$");
    expect(r.ok && r.re2).toBe("[aA][^\\x{A}\\x{D}\\x{85}\\x{2028}-\\x{2029}](?:(?:\\r\\n|[\\n\\r\\x{85}\\x{2028}\\x{2029}])?\\z)");
  });
});

describe("patterns too large", () => {
  const huge = "a".repeat(100_000);

  it.each([
    [`person.name.firstName matches "${huge}"`, "matches pattern is 100,000 characters long; the limit is 1,000 (maxPatternLength)"],
    [`person.name.firstName like "${huge}"`, "like pattern is 100,000 characters long; the limit is 1,000 (maxPatternLength)"],
    [`person.name.firstName.regexGroup("${huge}", 1)`, "regexGroup pattern is 100,000 characters long; the limit is 1,000 (maxPatternLength)"],
  ])("a 100,000-character pattern is a checker error, not a SyntaxError (%#)", (expr, message) => {
    const errors = check(expr);
    expect(errors.map((e) => e.code)).toEqual(["PQL-T011"]);
    expect(errors[0]?.message).toContain(message);
    expect(errors[0]?.location.column).toBeGreaterThan(20);
    expect(() => compileSegmentExpression(expr, TEST_SCHEMA)).toThrow(/maxPatternLength/);
  });

  it("a pattern whose program is too large is a checker error (maxRegexSize): (.*){1000}", () => {
    const errors = check('personalEmail.address.regexGroup("(.*){1000}", 0) = "a"');
    expect(errors.map((e) => e.code)).toEqual(["PQL-T011"]);
    expect(errors[0]?.message).toContain("(maxRegexSize)");
    expect(check('personalEmail.address matches "[a-z]{2,64}@(\\\\w+\\\\.)+[a-z]{2,}"')).toEqual([]);
  });

  it("a computed pattern too large matches nothing at run time (no exception)", () => {
    const pred = compilePql(parsePql('"aaa" matches person.name.firstName or "aaa" like person.name.lastName'));
    expect(pred(ctx({ person: { name: { firstName: huge, lastName: `${huge}%` } } }))).toBe(false);
    expect(pred(ctx({ person: { name: { firstName: "a+", lastName: "x" } } }))).toBe(true);
  });
});
