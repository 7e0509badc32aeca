import { mkdtempSync, readFileSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { frameLines, LineFrameWriter } from "./line-frames.js";

const dir = mkdtempSync(join(tmpdir(), "line-frames-"));

describe("line frame files", () => {
  it("give back every line of every file in order, across frames, whatever the characters", () => {
    const files = ["a", "b", "c"].map((f) => join(dir, f));
    const writer = new LineFrameWriter(files, 100);
    const written: string[][] = [[], [], []];
    for (let i = 0; i < 1000; i++) {
      const text = `{"n":${i},"s":"${"é✓😀\\t".repeat(i % 7)}"}`;
      writer.write(i % 2, `${text}\n`);
      written[i % 2]!.push(text);
    }
    writer.close();
    files.forEach((f, k) => {
      expect([...frameLines(f)].map((l) => l.text)).toEqual(written[k]);
    });
    expect([...frameLines(files[0]!)].at(-1)!.line).toBe(500);
    // Many frames, and smaller than the text.
    expect(statSync(files[0]!).size).toBeLessThan(written[0]!.join("\n").length / 2);
    expect(readFileSync(files[2]!).length).toBe(0);
  });

  it("reports a truncated file with its name instead of losing lines silently", () => {
    const file = join(dir, "cut");
    const writer = new LineFrameWriter([file], 10);
    for (let i = 0; i < 50; i++) writer.write(0, `line ${i}\n`);
    writer.close();
    truncateSync(file, statSync(file).size - 3);
    expect(() => [...frameLines(file)]).toThrow(expect.objectContaining({ code: "IO-F002", location: expect.objectContaining({ file }) }));
  });
});
