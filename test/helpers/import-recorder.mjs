// Records every module URL the process resolves into the file named by RECORD_IMPORTS, so a test can tell which
// packages a command loaded (node --import ./import-recorder.mjs).
import { register } from "node:module";

register("./import-recorder-hooks.mjs", import.meta.url, { data: { file: process.env.RECORD_IMPORTS } });
