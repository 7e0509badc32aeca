/**
 * Chevrotain from the single-file ES module build its package ships (`lib/chevrotain.mjs`, the same version as its
 * entry point). The entry point (`lib/src/api.js`) imports 640 lodash-es modules: ~330 ms at the start of
 * every CLI command, worker and test file that parses PQL, where the bundle loads in ~30 ms (bench/RESULTS.md). The
 * package's `exports` name only the entry point, so the bundle is found beside it. Everything else imports
 * Chevrotain's values from here (its types from "chevrotain"): one copy, so token types and errors match.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

const entryPoint = createRequire(import.meta.url).resolve("chevrotain");
const chevrotain = (await import(pathToFileURL(join(dirname(entryPoint), "..", "chevrotain.mjs")).href)) as Chevrotain;

export const { createToken, createSyntaxDiagramsCode, CstParser, EOF, Lexer, tokenMatcher } = chevrotain;
