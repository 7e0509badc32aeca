/** profile-lab's version, as package.json states it: printed by `--version` and reported by the server's /health. */
import { readFileSync } from "node:fs";

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
