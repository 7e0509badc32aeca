/**
 * Records of one kind (jobs, batches, datasets, schedules) keyed by id, as JSON in the state database.
 * Each put is its own transaction; `transaction` groups several (a job and its batches) into one.
 */
import type Database from "better-sqlite3";
import { StoreError } from "./store-error.js";

type Db = InstanceType<typeof Database>;

export class RecordStore<T> {
  private readonly upsert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly selectIds: Database.Statement;
  private readonly selectAll: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(
    private readonly db: Db,
    readonly kind: string,
  ) {
    this.upsert = db.prepare("INSERT INTO records (kind, id, json) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json");
    this.select = db.prepare("SELECT json FROM records WHERE kind = ? AND id = ?");
    this.selectIds = db.prepare("SELECT id FROM records WHERE kind = ? ORDER BY rowid");
    this.selectAll = db.prepare("SELECT id, json FROM records WHERE kind = ? ORDER BY rowid");
    this.remove = db.prepare("DELETE FROM records WHERE kind = ? AND id = ?");
  }

  private parse(id: string, json: string): T {
    try {
      return JSON.parse(json) as T;
    } catch {
      // JSON.parse's message quotes the text; errors never show a damaged file's content.
      throw new StoreError("STO-001", `corrupt ${this.kind} record "${id}": not valid JSON`, { file: this.db.name });
    }
  }

  put(id: string | number, record: T): void {
    this.upsert.run(this.kind, String(id), JSON.stringify(record));
  }

  get(id: string | number): T | undefined {
    const row = this.select.get(this.kind, String(id)) as { json: string } | undefined;
    return row === undefined ? undefined : this.parse(String(id), row.json);
  }

  delete(id: string | number): void {
    this.remove.run(this.kind, String(id));
  }

  /** Ids in insertion order. */
  ids(): string[] {
    return (this.selectIds.all(this.kind) as { id: string }[]).map((r) => r.id);
  }

  /** Records in insertion order. */
  all(): T[] {
    return (this.selectAll.all(this.kind) as { id: string; json: string }[]).map((r) => this.parse(r.id, r.json));
  }
}
