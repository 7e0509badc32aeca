/** A sandbox generated once for a test file and copied fresh for each test that needs one. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { generateSandbox, type GenerateOptions, type GenerateSummary } from "../../src/generate/index.js";

export interface GeneratedSandbox {
  /** A fresh copy of the generated sandbox, without engine state. */
  copy(): string;
  /** What the generation wrote (available once the file's tests run). */
  readonly summary: GenerateSummary;
}

/** Registers the file's beforeAll (generate) and afterAll (remove every copy); `timeout` is the generation's. */
export function generatedSandbox(prefix: string, options: GenerateOptions, timeout = 600_000): GeneratedSandbox {
  let scratch = "";
  let summary: GenerateSummary | undefined;
  let copies = 0;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), prefix));
    summary = await generateSandbox(join(scratch, "template"), options);
  }, timeout);
  afterAll(() => {
    if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
  });
  return {
    copy(): string {
      const dir = join(scratch, `sandbox-${++copies}`);
      cpSync(join(scratch, "template"), dir, { recursive: true });
      return dir;
    },
    get summary(): GenerateSummary {
      if (summary === undefined) throw new Error("the sandbox is generated in beforeAll: use it inside a test");
      return summary;
    },
  };
}
