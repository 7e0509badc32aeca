/**
 * Test results as text: `pretty` for a terminal (a failed membership assertion followed by explain's account
 * of the profile), `json` (the summary as data), `junit` (JUnit XML for CI systems: one testsuite, one testcase
 * per test file, `<failure>` for failed assertions, `<error>` for a test that could not run).
 */
import type { Explanation } from "../engine/explain.js";
import type { AssertionResult, TestResult, TestSummary } from "./run-tests.js";

export type ReporterName = "pretty" | "json" | "junit";
export const REPORTERS: readonly ReporterName[] = ["pretty", "json", "junit"];

/** How an explanation reads as text (the CLI's `explain` rendering). */
export type ExplanationText = (x: Explanation) => string;

const indent = (text: string, by: string): string =>
  text
    .split("\n")
    .map((l) => (l === "" ? l : by + l))
    .join("\n");

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** A failed assertion: where, what, expected and actual, and why (explain) for membership assertions. */
function failureText(a: AssertionResult, explanationText: ExplanationText): string {
  const lines = [
    `${a.location.file}:${a.location.line}:${a.location.column}  run ${a.run + 1} as of ${a.asOf}: ${a.title}`,
    `  expected: ${JSON.stringify(a.expected)}`,
    `  actual:   ${JSON.stringify(a.actual)}`,
  ];
  for (const x of a.explanations ?? []) lines.push(`  why ${x.identity} (explain):`, indent(explanationText(x), "    "));
  return lines.join("\n");
}

/** What went wrong in a test, as text (empty for a passed test). */
export function testProblemText(t: TestResult, explanationText: ExplanationText): string {
  if (t.error !== undefined) return t.error.text;
  return t.assertions
    .filter((a) => !a.passed)
    .map((a) => failureText(a, explanationText))
    .join("\n\n");
}

export function summaryLine(s: TestSummary): string {
  const parts = [`${s.passed} passed`, `${s.failed} failed`];
  if (s.errors > 0) parts.push(plural(s.errors, "error"));
  return `${plural(s.tests.length, "test")}: ${parts.join(", ")} (${seconds(s.durationMs)} s)`;
}

export function prettyReport(s: TestSummary, explanationText: ExplanationText): string {
  const out: string[] = [];
  for (const t of s.tests) {
    const mark = t.status === "passed" ? "✓" : t.status === "failed" ? "✗" : "!";
    const detail = t.status === "error" ? "could not run" : `${t.assertions.filter((a) => a.passed).length}/${plural(t.assertions.length, "assertion")} passed`;
    out.push(`${mark} ${t.name}  (${t.file}: ${detail})`);
    if (t.status !== "passed") out.push(indent(testProblemText(t, explanationText), "    "), "");
  }
  if (s.tests.length === 0) out.push("no tests found (segment tests are tests/*.yaml|yml|json in the sandbox)");
  out.push(summaryLine(s));
  return out.join("\n");
}

export function jsonReport(s: TestSummary): string {
  return JSON.stringify(s, null, 2);
}

/** Text as XML character data or an attribute value: escaped, and without the characters XML 1.0 cannot hold. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export function junitReport(s: TestSummary, suiteName: string, explanationText: ExplanationText): string {
  const attrs = (values: Record<string, string | number>): string =>
    Object.entries(values)
      .map(([k, v]) => ` ${k}="${xmlText(String(v))}"`)
      .join("");
  const counts = { tests: s.tests.length, failures: s.failed, errors: s.errors };
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attrs({ name: "profile-lab test", ...counts, time: seconds(s.durationMs) })}>`];
  out.push(`  <testsuite${attrs({ name: suiteName, ...counts, skipped: 0, time: seconds(s.durationMs) })}>`);
  for (const t of s.tests) {
    const head = `    <testcase${attrs({ classname: t.file, name: t.name, time: seconds(t.durationMs) })}`;
    if (t.status === "passed") {
      out.push(`${head}/>`);
      continue;
    }
    const failed = t.assertions.filter((a) => !a.passed);
    const element =
      t.status === "error"
        ? `<error${attrs({ message: t.error!.text.split("\n")[0]!, type: t.error!.code })}>`
        : `<failure${attrs({ message: `${failed.length} of ${plural(t.assertions.length, "assertion")} failed: ${failed[0]!.title}`, type: "assertion" })}>`;
    out.push(`${head}>`, `      ${element}${xmlText(testProblemText(t, explanationText))}</${t.status === "error" ? "error" : "failure"}>`, "    </testcase>");
  }
  out.push("  </testsuite>", "</testsuites>", "");
  return out.join("\n");
}
