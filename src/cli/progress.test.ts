import { describe, expect, it } from "vitest";
import { progressReporter } from "./progress.js";

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}

describe("progress on stderr", () => {
  it("prints a plain line at most every ten seconds when not on a terminal", () => {
    let now = 0;
    const { written, stream } = fakeStream(false);
    const r = progressReporter("export job", stream, () => now);
    for (now = 1000; now <= 25_000; now += 1000) r.onProgress({ kind: "export-jobs", jobId: 1, shard: 0, profiles: now });
    expect(written).toEqual(["export job: 10,000 profiles, shard 1, 1,000 profiles/s, 10 s\n", "export job: 20,000 profiles, shard 1, 1,000 profiles/s, 20 s\n"]);
    r.done();
    expect(written).toHaveLength(2);
  });

  it("rewrites one live line on a terminal and clears it at the end", () => {
    let now = 0;
    const { written, stream } = fakeStream(true);
    const r = progressReporter("segment job", stream, () => now);
    now = 500;
    r.onProgress({ kind: "segment-jobs", jobId: "x", shard: 2, profiles: 1000 });
    now = 600;
    r.onProgress({ kind: "segment-jobs", jobId: "x", shard: 2, profiles: 2000 });
    r.done();
    expect(written).toEqual(["\rsegment job: 1,000 profiles, shard 3, 2,000 profiles/s, 1 s\u001b[K", "\r\u001b[K"]);
  });
});
