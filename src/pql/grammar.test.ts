import { readFileSync, writeFileSync } from "node:fs";
import { createSyntaxDiagramsCode } from "./chevrotain.js";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pqlParser } from "./parser.js";
import { allTokens, KEYWORD_TOKENS } from "./tokens.js";

const EBNF_PATH = fileURLToPath(new URL("../../grammar/pql.ebnf", import.meta.url));
const TOKENS_MARKER = "(* ---------- tokens ---------- *)";

interface Rule {
  readonly name: string;
  readonly body: string;
}

function rules(text: string): Rule[] {
  const noComments = text.replace(/\(\*[\s\S]*?\*\)/g, " ");
  const out: Rule[] = [];
  const re = /^([A-Z][A-Za-z]*)\s*=([\s\S]*?);\s*$/gm;
  for (let m = re.exec(noComments); m !== null; m = re.exec(noComments)) out.push({ name: m[1] as string, body: m[2] as string });
  return out;
}

const ebnf = readFileSync(EBNF_PATH, "utf8");
const markerAt = ebnf.indexOf(TOKENS_MARKER);
const syntaxRules = rules(ebnf.slice(0, markerAt));
const lexicalRules = rules(ebnf.slice(markerAt));
const pascal = (ruleName: string): string => ruleName[0]?.toUpperCase() + ruleName.slice(1);
/** Lexical rules that are parts of other tokens rather than tokens of their own. */
const FRAGMENTS = new Set(["Exponent", "Keyword"]);

describe("grammar/pql.ebnf matches the parser", () => {
  it("has a tokens section", () => {
    expect(markerAt).toBeGreaterThan(0);
  });

  it("names every parser rule, and only parser rules, above the tokens line", () => {
    const parserRules = Object.keys(pqlParser.getGAstProductions()).map(pascal).sort();
    expect(syntaxRules.map((r) => r.name).sort()).toEqual(parserRules);
  });

  it("defines each rule once", () => {
    const names = [...syntaxRules, ...lexicalRules].map((r) => r.name);
    expect(names.length).toBe(new Set(names).size);
  });

  it("defines every rule it references", () => {
    const defined = new Set([...syntaxRules, ...lexicalRules].map((r) => r.name));
    const referenced = new Set<string>();
    for (const r of [...syntaxRules, ...lexicalRules]) {
      const bare = r.body.replace(/"[^"]*"|'[^']*'/g, " ");
      for (const m of bare.matchAll(/\b([A-Z][A-Za-z]*)\b/g)) referenced.add(m[1] as string);
    }
    const lexicalPrimitives = new Set(["Letter", "Digit", "Char", "Newline"]);
    expect([...referenced].filter((n) => !defined.has(n) && !lexicalPrimitives.has(n))).toEqual([]);
  });

  it("maps every lexical rule to a lexer token (fragments aside)", () => {
    const tokenNames = new Set(allTokens.map((t) => t.name));
    expect(lexicalRules.filter((r) => !FRAGMENTS.has(r.name) && !tokenNames.has(r.name)).map((r) => r.name)).toEqual([]);
  });

  it("lists exactly the lexer's keywords", () => {
    const body = lexicalRules.find((r) => r.name === "Keyword")?.body ?? "";
    const listed = [...body.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort();
    const keywords = KEYWORD_TOKENS.map((t) => (t.LABEL ?? "").replace(/"/g, "")).sort();
    expect(listed).toEqual(keywords);
  });

  it("uses every terminal keyword in some syntax rule (or as a member name)", () => {
    const quoted = new Set(syntaxRules.flatMap((r) => [...r.body.matchAll(/"([^"]+)"/g)].map((m) => m[1])));
    const unused = KEYWORD_TOKENS.map((t) => (t.LABEL ?? "").replace(/"/g, "")).filter((k) => !quoted.has(k));
    expect(unused).toEqual([]);
  });
});

const DIAGRAMS_PATH = fileURLToPath(new URL("../../grammar/diagrams.html", import.meta.url));

describe("grammar/diagrams.html", () => {
  it("is the syntax diagrams chevrotain generates from the parser (UPDATE_GOLDEN=1 regenerates it)", () => {
    const generated = createSyntaxDiagramsCode(pqlParser.getSerializedGastProductions());
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(DIAGRAMS_PATH, generated);
    expect(readFileSync(DIAGRAMS_PATH, "utf8")).toBe(generated);
  });
});
