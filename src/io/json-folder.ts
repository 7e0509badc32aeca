/** A sandbox folder of JSON documents (merge-policies/, segments/) as the stores that manage them read it. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readJsonFile } from "./json-file.js";
import { confined } from "./sandbox-path.js";

/**
 * The `*.json` files of `dir` (a folder of the sandbox `sandboxDir`) in name order, each with its parsed value;
 * none when the folder does not exist. The folder and every file must resolve inside the sandbox (IO-X003).
 */
export function readJsonFolder(sandboxDir: string, dir: string): { file: string; value: unknown }[] {
  if (!existsSync(confined(sandboxDir, dir))) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => ({ file: join(dir, n), value: readJsonFile(join(dir, n), sandboxDir) }));
}
