/**
 * The membership snapshot: profile key → segment id → the `ups` membership entry, as of the last segment job.
 * Stored as Parquet parts in a generation folder, one row per entry (MEMBERSHIP_ROW, membership-part.ts): a profile's entries
 * together and by segment id, profiles in the store's order (both engines write the same rows; a job writes one
 * part). `CURRENT` names the committed generation and is replaced atomically, so a job that fails or is killed
 * leaves the previous snapshot whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { JsonObject, SegmentMembershipEntry } from "../xdm/types.js";
import { ProfileLabError } from "../xdm/errors.js";
import { checkIdentifier, checkReadable, confined, isIdentifier, MAX_NAME_LENGTH } from "../io/sandbox-path.js";
import { writeFileAtomic } from "./atomic-file.js";
import { StoreError } from "./store-error.js";

export type ProfileEntries = Map<string, SegmentMembershipEntry>;
export type MembershipSnapshot = Map<string, ProfileEntries>;

/** One profile's stored entries. */
export interface StoredProfile {
  readonly key: string;
  readonly entries: ProfileEntries;
}

/** The file extension of the parts. */
const PART_SUFFIX = ".parquet";

function corrupt(why: string, at: { file: string; line?: number; jsonPath?: string }): StoreError {
  return new StoreError("STO-002", `corrupt membership snapshot: ${why}`, at);
}

/** The entry of a stored row, checked. */
function entryOf(row: JsonObject, file: string, line: number): { key: string; segmentId: string; entry: SegmentMembershipEntry } {
  const text = (field: string, required: boolean): string | undefined => {
    const v = row[field];
    if (typeof v === "string" || (v == null && !required)) return v ?? undefined;
    throw corrupt(`${field} must be ${required ? "a string" : "a string or null"}`, { file, line, jsonPath: `$.${field}` });
  };
  const [key, segmentId, status, lastQualificationTime] = ["key", "segmentId", "status", "lastQualificationTime"].map((f) => text(f, true)!) as [string, string, string, string];
  const [version, validUntil] = [text("version", false), text("validUntil", false)];
  const entry = { status, lastQualificationTime } as SegmentMembershipEntry;
  if (version !== undefined) entry.version = version;
  if (validUntil !== undefined) entry.validUntil = validUntil;
  return { key, segmentId, entry };
}

export class MembershipStore {
  /** `dir` is the store's folder (`.profile-lab/membership`) in `sandboxDir`, which every file read must stay in. */
  constructor(
    readonly dir: string,
    private readonly sandboxDir: string,
  ) {}

  private get pointer(): string {
    return confined(this.sandboxDir, join(this.dir, "CURRENT"));
  }

  /** The committed generation's name (undefined before the first job). */
  current(): string | undefined {
    const pointer = this.pointer;
    if (!existsSync(pointer)) return undefined;
    checkReadable(pointer, { sandboxDir: this.sandboxDir, maxBytes: MAX_NAME_LENGTH + 1 });
    const name = readFileSync(pointer, "utf8").trim();
    // It becomes a folder name: anything but an identifier is damage (not quoted: a damaged file may hold anything).
    if (!isIdentifier(name)) throw new StoreError("STO-002", "corrupt membership snapshot: CURRENT does not name a generation", { file: pointer });
    return name;
  }

  /** The part files of generation `name` (the committed one by default), in order (none before the first job). */
  parts(name: string | undefined = this.current()): string[] {
    if (name === undefined) return [];
    const generation = confined(this.sandboxDir, join(this.dir, checkIdentifier(name, "membership generation")));
    return readdirSync(generation)
      .filter((f) => f.endsWith(PART_SUFFIX))
      .sort()
      .map((f) => confined(this.sandboxDir, join(generation, f)));
  }

  /** Every stored profile with its entries, in stored order. */
  async *profiles(): AsyncGenerator<StoredProfile> {
    const seen = new Set<string>();
    for (const file of this.parts()) {
      let current: { key: string; entries: ProfileEntries } | undefined;
      try {
        // Loaded here: jobs on DuckDB read the snapshot in SQL and need not load the JavaScript Parquet reader.
        const { readParquetRows } = await import("../io/parquet-reader.js");
        for await (const { line, value } of readParquetRows(file)) {
          const { key, segmentId, entry } = entryOf(value as JsonObject, file, line);
          if (current?.key !== key) {
            if (current !== undefined) yield current;
            if (seen.has(key)) throw corrupt(`the entries of profile ${JSON.stringify(key)} are not together`, { file, line, jsonPath: "$.key" });
            seen.add(key);
            current = { key, entries: new Map() };
          }
          if (current.entries.has(segmentId)) throw corrupt(`profile ${JSON.stringify(key)} has two entries for segment ${JSON.stringify(segmentId)}`, { file, line, jsonPath: "$.segmentId" });
          current.entries.set(segmentId, entry);
        }
      } catch (e) {
        // A part that is not Parquet, or not the store's: the snapshot is damaged (IO-P… says how).
        if (e instanceof ProfileLabError && !(e instanceof StoreError)) throw corrupt(e.message, { file, ...e.location });
        throw e;
      }
      if (current !== undefined) yield current;
    }
  }

  /** The whole snapshot in memory. */
  async readAll(): Promise<MembershipSnapshot> {
    const snapshot: MembershipSnapshot = new Map();
    for await (const { key, entries } of this.profiles()) snapshot.set(key, entries);
    return snapshot;
  }

  /**
   * The snapshot as text, one JSON line a profile, profiles and their entries in stored order: its content, whichever
   * engine wrote the parts (the engines' Parquet writers differ; what they store must not).
   */
  async text(): Promise<string> {
    let text = "";
    for await (const { key, entries } of this.profiles()) text += `${JSON.stringify({ key, ups: Object.fromEntries(entries) })}\n`;
    return text;
  }

  /** Starts a new generation; its parts become the snapshot only when `commit` is called. */
  begin(): MembershipGeneration {
    const name = `gen-${process.pid}-${Date.now()}`;
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    return {
      name,
      dir,
      partFile: (index) => join(dir, `part-${String(index).padStart(5, "0")}${PART_SUFFIX}`),
      commit: () => {
        writeFileAtomic(this.pointer, `${name}\n`);
        for (const old of readdirSync(this.dir)) if (old !== name && old !== "CURRENT") rmSync(join(this.dir, old), { recursive: true, force: true });
      },
      abort: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
}

export interface MembershipGeneration {
  readonly name: string;
  readonly dir: string;
  /** The file of part `index`. */
  partFile(index: number): string;
  /** Makes this generation the snapshot and removes the others. */
  commit(): void;
  /** Drops this generation's files. */
  abort(): void;
}
