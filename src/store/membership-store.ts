/**
 * The membership snapshot: profile key → segment id → the `ups` membership entry, as of the last segment
 * job. Stored as JSON Lines parts (one profile per line) in a generation folder: a job writes one part, in
 * profile order; versions that ran jobs in shards wrote one part per shard, read in order. `CURRENT` names the
 * committed generation and is replaced atomically, so a job that fails or is killed leaves the previous
 * snapshot whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SegmentMembershipEntry } from "../xdm/types.js";
import { readLines } from "../io/jsonl.js";
import { checkIdentifier, checkReadable, confined, isIdentifier, MAX_NAME_LENGTH } from "../io/sandbox-path.js";
import { writeFileAtomic } from "./atomic-file.js";
import { StoreError } from "./store-error.js";

export type ProfileEntries = Map<string, SegmentMembershipEntry>;
export type MembershipSnapshot = Map<string, ProfileEntries>;

/** One stored line: a profile key and its entries. */
export interface MembershipLine {
  readonly key: string;
  readonly entries: ProfileEntries;
}

function parseLine(text: string, file: string, line: number): MembershipLine {
  const fail = (why: string): never => {
    throw new StoreError("STO-002", `corrupt membership snapshot: ${why}`, { file, line });
  };
  let parsed: { key?: unknown; ups?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // JSON.parse's message quotes the text; errors never show a damaged file's content.
    return fail("a line is not valid JSON");
  }
  const { key, ups } = parsed ?? {};
  if (typeof key !== "string" || typeof ups !== "object" || ups === null) return fail('each line needs "key" and "ups"');
  return { key, entries: new Map(Object.entries(ups as Record<string, SegmentMembershipEntry>)) };
}

/** The line of one profile, entries sorted by segment id. */
export function membershipLine(key: string, entries: ProfileEntries): string {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ key, ups: Object.fromEntries(sorted) });
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
      .filter((f) => f.endsWith(".jsonl"))
      .sort()
      .map((f) => confined(this.sandboxDir, join(generation, f)));
  }

  /** Every stored line, part by part. */
  async *lines(): AsyncGenerator<MembershipLine> {
    for (const file of this.parts()) {
      for await (const { line, text } of readLines(file)) yield parseLine(text, file, line);
    }
  }

  /** The whole snapshot in memory. */
  readAll(): MembershipSnapshot {
    const snapshot: MembershipSnapshot = new Map();
    for (const file of this.parts()) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((text, i) => {
          if (text === "") return;
          const { key, entries } = parseLine(text, file, i + 1);
          snapshot.set(key, entries);
        });
    }
    return snapshot;
  }

  /** The stored parts concatenated: the snapshot's content, independent of how many parts hold it. */
  text(): string {
    return this.parts()
      .map((f) => readFileSync(f, "utf8"))
      .join("");
  }

  /** Replaces the snapshot with `snapshot`, in one part ordered by key (fixtures, imports). */
  replace(snapshot: MembershipSnapshot): void {
    const generation = this.begin();
    writeMembershipPart(generation.partFile(0), snapshot, [...snapshot.keys()].sort());
    generation.commit();
  }

  /** Starts a new generation; its parts become the snapshot only when `commit` is called. */
  begin(): MembershipGeneration {
    const name = `gen-${process.pid}-${Date.now()}`;
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    return {
      name,
      dir,
      partFile: (index) => join(dir, `part-${String(index).padStart(5, "0")}.jsonl`),
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
  /** The file of part `index` (a shard's). */
  partFile(index: number): string;
  /** Makes this generation the snapshot and removes the others. */
  commit(): void;
  /** Drops this generation's files. */
  abort(): void;
}

/** Appends the lines of the given keys, in the given order, to `lines` (keys without entries are skipped). */
export function addMembershipLines(lines: string[], snapshot: MembershipSnapshot, orderedKeys: readonly string[]): void {
  for (const key of orderedKeys) {
    const entries = snapshot.get(key);
    if (entries !== undefined && entries.size > 0) lines.push(membershipLine(key, entries));
  }
}

/** Writes one part from its lines, atomically. */
export function writeMembershipLines(file: string, lines: readonly string[]): void {
  writeFileAtomic(file, lines.length ? `${lines.join("\n")}\n` : "");
}

/** Writes one part: the given keys, in the given order, with their entries (keys without entries are skipped). */
export function writeMembershipPart(file: string, snapshot: MembershipSnapshot, orderedKeys: readonly string[]): void {
  const lines: string[] = [];
  addMembershipLines(lines, snapshot, orderedKeys);
  writeMembershipLines(file, lines);
}
