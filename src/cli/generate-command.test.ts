import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inputBytes } from "../engine/memory-budget.js";
import { openSandbox } from "../engine/sandbox.js";
import { parquetCodec } from "../io/parquet-codec.js";
import { readParquetRows } from "../io/parquet-reader.js";
import type { CliIo } from "./command.js";
import { main } from "./main.js";
import { countReporter } from "./progress.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-generate-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (t) => out_.push(t), err: (t) => err_.push(t) };
}

const filesOf = (dir: string): string[][] =>
  (JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { files?: string[] }[] }).datasets.map((d) => d.files ?? []);

describe("profile-lab generate", () => {
  it("writes Parquet part files by default, a new part every --rows-per-file rows", async () => {
    const dir = join(root, "default");
    const io = capture();
    expect(await main(["generate", dir, "--profiles", "60", "--events-per-profile", "5", "--rows-per-file", "100", "--quiet"], io)).toBe(0);
    expect(io.out_[0]).toMatch(/^Generated sandbox in .*: 60 persons, [\d,]+ events$/);
    const files = filesOf(dir);
    expect(files[0]).toEqual(["datasets/crm-profiles/part-00000.parquet"]);
    expect(files[3]!.length).toBeGreaterThan(1);
    expect(files[3]![1]).toBe("datasets/web-commerce-events/part-00001.parquet");
    for (const f of files.flat()) expect(existsSync(join(dir, f))).toBe(true);
  });

  it("writes one JSON Lines file per dataset with --format jsonl", async () => {
    const dir = join(root, "jsonl");
    expect(await main(["generate", dir, "--profiles", "20", "--format", "jsonl", "--quiet"], capture())).toBe(0);
    expect(filesOf(dir).slice(0, 4)).toEqual([["datasets/crm-profiles.jsonl"], ["datasets/loyalty-members.jsonl"], ["datasets/web-signups.jsonl"], ["datasets/web-commerce-events.jsonl"]]);
  });

  it("writes snappy parts with --compression snappy: the same rows, larger files, which the data check accepts and the memory budget counts at their rows' size", async () => {
    const dirs = { zstd: join(root, "zstd"), snappy: join(root, "snappy") };
    for (const [codec, dir] of Object.entries(dirs)) {
      expect(await main(["generate", dir, "--profiles", "80", "--events-per-profile", "5", "--compression", codec, "--quiet"], capture())).toBe(0);
    }
    const files = filesOf(dirs.zstd).flat();
    expect(filesOf(dirs.snappy).flat()).toEqual(files);
    for (const f of files) {
      expect(parquetCodec(join(dirs.snappy, f))).toBe("snappy");
      expect(parquetCodec(join(dirs.zstd, f))).toBe("zstd");
      const rows = async (dir: string): Promise<unknown[]> => {
        const out: unknown[] = [];
        for await (const r of readParquetRows(join(dir, f))) out.push(r.value);
        return out;
      };
      expect(await rows(dirs.snappy)).toEqual(await rows(dirs.zstd));
    }
    const size = (dir: string): number => files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(size(dirs.snappy)).toBeGreaterThan(1.2 * size(dirs.zstd));
    const [zstdInput, snappyInput] = [inputBytes(openSandbox(dirs.zstd)), inputBytes(openSandbox(dirs.snappy))];
    expect(Math.abs(snappyInput / zstdInput - 1)).toBeLessThan(0.35);
    expect(await main(["check", "--sandbox", dirs.snappy, "--data"], capture())).toBe(0);
  });

  it("rejects --compression lz4", async () => {
    const io = capture();
    expect(await main(["generate", join(root, "lz4"), "--compression", "lz4"], io)).not.toBe(0);
    expect(io.err_.join("\n")).toContain("--compression must be zstd or snappy");
  });

  it("rejects --rows-per-file 0", async () => {
    const io = capture();
    expect(await main(["generate", join(root, "bad"), "--rows-per-file", "0"], io)).not.toBe(0);
    expect(io.err_.join("\n")).toContain("--rows-per-file");
  });
});

describe("countReporter (the generate progress line)", () => {
  function fakeStream(isTTY: boolean) {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream };
  }

  it("stays silent for the first two seconds, then rewrites a live line with rate and ETA, cleared at the end", () => {
    let now = 0;
    const { written, stream } = fakeStream(true);
    const r = countReporter("generate", "persons", stream, () => now);
    now = 1500;
    r.onProgress(15_000, 100_000);
    expect(written).toEqual([]);
    now = 2000;
    r.onProgress(20_000, 100_000);
    now = 2100; // throttled
    r.onProgress(21_000, 100_000);
    now = 2500;
    r.onProgress(25_000, 100_000);
    r.done();
    expect(written).toEqual([
      "\rgenerate: 20,000 / 100,000 persons (20 %), 10,000 persons/s, ETA 8 s, 2 s\u001b[K",
      "\rgenerate: 25,000 / 100,000 persons (25 %), 10,000 persons/s, ETA 8 s, 3 s\u001b[K",
      "\r\u001b[K",
    ]);
  });

  it("prints a plain line every ten seconds when not on a terminal, and nothing for a short task", () => {
    let now = 0;
    const { written, stream } = fakeStream(false);
    const r = countReporter("generate", "persons", stream, () => now);
    for (now = 1000; now <= 25_000; now += 1000) r.onProgress(now * 10, 1_000_000);
    r.done();
    expect(written).toEqual([
      "generate: 100,000 / 1,000,000 persons (10 %), 10,000 persons/s, ETA 1 min 30 s, 10 s\n",
      "generate: 200,000 / 1,000,000 persons (20 %), 10,000 persons/s, ETA 1 min 20 s, 20 s\n",
    ]);
    const quiet = fakeStream(false);
    const q = countReporter("generate", "persons", quiet.stream, () => now);
    q.onProgress(10, 10);
    q.done();
    expect(quiet.written).toEqual([]);
  });
});
