/**
 * A folder of JSON records keyed by id (jobs, batches): one file per record, written atomically.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomic-file.js";
import { StoreError } from "./store-error.js";

export class RecordStore<T> {
  constructor(readonly dir: string) {}

  private path(id: string | number): string {
    return join(this.dir, `${id}.json`);
  }

  put(id: string | number, record: T): void {
    writeJsonAtomic(this.path(id), record);
  }

  get(id: string | number): T | undefined {
    const file = this.path(id);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, "utf8")) as T;
    } catch (e) {
      throw new StoreError("STO-001", `corrupt record: ${e instanceof Error ? e.message : String(e)}`, { file });
    }
  }

  ids(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5));
  }

  all(): T[] {
    return this.ids().map((id) => this.get(id)!);
  }
}
