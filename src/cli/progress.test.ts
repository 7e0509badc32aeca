import { describe, expect, it } from "vitest";
import { progressReporter } from "./progress.js";

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}

/** A job in memory: one shard, profiles stage. */
const AT = { stage: "profiles", rows: 0, shardsDone: 0, shards: 1 } as const;

describe("progress on stderr", () => {
  it("prints a plain line at most every ten seconds when not on a terminal", () => {
    let now = 0;
    const { written, stream } = fakeStream(false);
    const r = progressReporter("export job", stream, () => now);
    for (now = 1000; now <= 25_000; now += 1000) r.onProgress({ ...AT, kind: "export-jobs", jobId: 1, profiles: now });
    expect(written).toEqual(["export job: 10,000 profiles, 1,000 profiles/s, 10 s\n", "export job: 20,000 profiles, 1,000 profiles/s, 20 s\n"]);
    r.done();
    expect(written).toHaveLength(2);
  });

  it("rewrites one live line on a terminal and clears it at the end", () => {
    let now = 0;
    const { written, stream } = fakeStream(true);
    const r = progressReporter("segment job", stream, () => now);
    r.onProgress({ ...AT, kind: "segment-jobs", jobId: "x", profiles: 0 });
    now = 500;
    r.onProgress({ ...AT, kind: "segment-jobs", jobId: "x", profiles: 1000 });
    now = 600;
    r.onProgress({ ...AT, kind: "segment-jobs", jobId: "x", profiles: 2000 });
    r.done();
    expect(written).toEqual(["\rsegment job: 1,000 profiles, 2,000 profiles/s, 1 s\u001b[K", "\r\u001b[K"]);
  });

  it("shows each stage with its own rate, and an ETA once it can tell", () => {
    let now = 0;
    const { written, stream } = fakeStream(false);
    const r = progressReporter("segment job", stream, () => now);
    const job = { kind: "segment-jobs" as const, jobId: "x", shards: 4, profiles: 0 };
    now = 10_000;
    r.onProgress({ ...job, stage: "identities", rows: 100_000, shardsDone: 0 });
    r.onProgress({ ...job, stage: "spill", rows: 0, totalRows: 400_000, shardsDone: 0 });
    now = 20_000;
    r.onProgress({ ...job, stage: "spill", rows: 100_000, totalRows: 400_000, shardsDone: 0 });
    r.onProgress({ ...job, stage: "profiles", rows: 400_000, totalRows: 400_000, shardsDone: 0 });
    now = 30_000;
    r.onProgress({ ...job, stage: "profiles", rows: 400_000, totalRows: 400_000, shardsDone: 1, profiles: 5000 });
    expect(written).toEqual([
      "segment job: reading identities, 100,000 rows, 10,000 rows/s, 10 s\n",
      "segment job: spilling to 4 shards, 100,000 / 400,000 rows (25 %), 10,000 rows/s, ETA 30 s, 20 s\n",
      "segment job: 5,000 profiles, 1/4 shards, 500 profiles/s, ETA 30 s, 30 s\n",
    ]);
  });
});
