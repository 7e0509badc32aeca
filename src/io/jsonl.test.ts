import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IoError } from "./io-error.js";
import { linesOf, readJsonl } from "./jsonl.js";

const dir = mkdtempSync(join(tmpdir(), "jsonl-"));
let n = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${n++}.jsonl`);
  writeFileSync(path, content);
  return path;
}

/** What readline gave: LF-separated lines, a CR before the LF dropped, blank lines skipped but counted. */
function reference(content: string): { line: number; text: string }[] {
  const lines = content.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((t, i) => ({ line: i + 1, text: t.endsWith("\r") ? t.slice(0, -1) : t })).filter((l) => l.text.trim() !== "");
}

describe("linesOf", () => {
  it("splits like readline: CRLF, blank lines, no final newline, multi-byte characters", () => {
    const content = '{"a":1}\r\n\n  \n{"b":"é€😀"}\n{"c":3}';
    expect([...linesOf(file(content))]).toEqual(reference(content));
  });

  it("gives the same lines whatever falls on the 8 MiB read boundary, lines longer than a read included", () => {
    const long = "x".repeat(9 << 20);
    const content = `${"a".repeat((8 << 20) - 3)}\r\né\n${long}\n\nlast`;
    expect([...linesOf(file(content))].map((l) => ({ line: l.line, length: l.text.length }))).toEqual(
      reference(content).map((l) => ({ line: l.line, length: l.text.length })),
    );
  });

  it("matches the reference on random content", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom("\n", "\r\n", " ", "é", "😀"), fc.string({ maxLength: 5 }))), (parts) => {
        const content = parts.join("");
        expect([...linesOf(file(content))]).toEqual(reference(content));
      }),
      { numRuns: 200 },
    );
  });

  it("reports a missing file as IO-F001 with its path, and bad JSON with file, line and column", async () => {
    expect(() => [...linesOf(join(dir, "missing.jsonl"))]).toThrow(IoError);
    const bad = file('{"ok":1}\n{"ok":\n');
    await expect(async () => {
      for await (const _ of readJsonl(bad)) void _;
    }).rejects.toMatchObject({ code: "IO-J001", location: { file: bad, line: 2 } });
  });

  it("reports a directory as IO-F003, at the sandbox.json entry that lists it when given", () => {
    const folder = join(dir, "folder.jsonl");
    mkdirSync(folder);
    writeFileSync(join(folder, "part-1.jsonl"), "{}\n");
    expect(() => [...linesOf(folder)]).toThrow(expect.objectContaining({ code: "IO-F003", location: { file: folder } }));
    const manifest = join(dir, "sandbox.json");
    const listed = { manifest, jsonPath: "$.datasets[0].files[3]", entry: "datasets/folder.jsonl" };
    expect(() => [...linesOf(folder, listed)]).toThrow(
      expect.objectContaining({
        code: "IO-F003",
        location: { file: manifest, jsonPath: "$.datasets[0].files[3]" },
        message: '"datasets/folder.jsonl" is a directory, not a data file: list the files inside it one by one ("datasets/folder.jsonl/part-1.jsonl")',
      }),
    );
    expect(() => [...linesOf(join(dir, "nope.jsonl"), listed)]).toThrow(expect.objectContaining({ code: "IO-F001", location: { file: manifest, jsonPath: "$.datasets[0].files[3]" } }));
  });
});
