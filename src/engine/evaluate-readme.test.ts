/** The README's in-memory example, run as written against the library's public API. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as lib from "../index.js";

const README = new URL("../../README.md", import.meta.url);

/** The ts block of the README's in-memory section and the output block after it. */
function example(): { code: string; output: string } {
  const text = readFileSync(README, "utf8");
  const section = text.slice(text.indexOf("### Segments over values, without a sandbox folder"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const output = /prints\n\n```\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined || output === undefined) throw new Error("README: the in-memory example or its output is missing");
  return { code, output };
}

describe("README in-memory example", () => {
  it("prints what the README says it prints", async () => {
    const { code, output } = example();
    // The example imports from the package; here the import becomes a destructuring of the library module.
    const body = code.replace(/^import \{([^}]*)\} from "profile-lab";$/m, "const {$1} = lib;");
    expect(body).not.toMatch(/^import /m);
    const lines: string[] = [];
    const log = { log: (...args: unknown[]) => lines.push(args.map(String).join(" ")) };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
    await new AsyncFunction("lib", "console", body)(lib, log);
    expect(lines.join("\n") + "\n").toBe(output);
  });
});
