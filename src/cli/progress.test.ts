import { describe, expect, it } from "vitest";
import type { JobProgress } from "../engine/job-progress.js";
import { progressReporter } from "./progress.js";

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}

const SEGMENT = { kind: "segment-jobs", jobId: "x", rows: 0, profiles: 0 } as const;
const EXPORT = { kind: "export-jobs", jobId: 1, rows: 0, profiles: 0 } as const;

/** A job in this thread evaluating its first merge policy of three, `profiles` of 64,542 done. */
const evaluating = (profiles: number): JobProgress => ({ ...SEGMENT, stage: "evaluating", policy: 1, policies: 3, profiles, totalProfiles: 64_542 });

/** The plain line a fresh reporter prints for `p`, reported `seconds` into the job (its first stage runs from the start). */
function lineAt(p: JobProgress, seconds: number): string | undefined {
  let now = 0;
  const { written, stream } = fakeStream(false);
  const r = progressReporter(p.kind === "export-jobs" ? "export job" : "segment job", stream, () => now);
  now = seconds * 1000;
  r.onProgress(p);
  return written[0]?.trimEnd();
}

describe("job progress on stderr", () => {
  it("says the step a DuckDB job is on, not counts it does not have", () => {
    const step = "merging the profiles of merge policy p1";
    expect(lineAt({ ...SEGMENT, stage: "identities", step }, 12)).toBe(`segment job: ${step}, 12 s`);
    expect(lineAt({ ...EXPORT, stage: "merging", step: "writing the batches" }, 3)).toBe("export job: writing the batches, 3 s");
  });

  it("prints nothing for a job that ends within two seconds", () => {
    let now = 0;
    for (const tty of [false, true]) {
      const { written, stream } = fakeStream(tty);
      const r = progressReporter("segment job", stream, () => now);
      for (now = 0; now < 2000; now += 100) r.onProgress(evaluating(now * 10));
      r.done();
      expect(written).toEqual([]);
    }
  });

  it("prints its first plain line at two seconds, then one every ten seconds, when not on a terminal", () => {
    let now = 0;
    const { written, stream } = fakeStream(false);
    const r = progressReporter("segment job", stream, () => now);
    for (now = 500; now <= 25_000; now += 500) r.onProgress(evaluating(now));
    r.done();
    expect(written).toEqual([
      "segment job: evaluating, policy 1/3, 2,000 / 64,542 profiles (3 %), 1,000 profiles/s, 2 s\n",
      "segment job: evaluating, policy 1/3, 12,000 / 64,542 profiles (18 %), 1,000 profiles/s, 12 s\n",
      "segment job: evaluating, policy 1/3, 22,000 / 64,542 profiles (34 %), 1,000 profiles/s, 22 s\n",
    ]);
  });

  it("rewrites one live line on a terminal from two seconds on, at most every 250 ms, and clears it at the end", () => {
    let now = 0;
    const { written, stream } = fakeStream(true);
    const r = progressReporter("segment job", stream, () => now);
    for (const t of [1000, 2000, 2100, 2250, 2400]) {
      now = t;
      r.onProgress(evaluating(t));
    }
    r.done();
    expect(written).toEqual([
      "\rsegment job: evaluating, policy 1/3, 2,000 / 64,542 profiles (3 %), 1,000 profiles/s, 2 s\u001b[K",
      "\rsegment job: evaluating, policy 1/3, 2,250 / 64,542 profiles (3 %), 1,000 profiles/s, 2 s\u001b[K",
      "\r\u001b[K",
    ]);
  });

  it.each<[string, JobProgress, string]>([
    ["reading the data in this thread", { ...SEGMENT, stage: "reading", rows: 120_000 }, "segment job: reading, 120,000 rows, 12,000 rows/s, 10 s"],
    ["linking every dataset's identities", { ...SEGMENT, stage: "identities", rows: 300_000, totalRows: 684_626 }, "segment job: identities, all datasets, 43 %, 10 s"],
    ["grouping profiles under a merge policy", { ...SEGMENT, stage: "identities", policy: 2, policies: 3, rows: 500_000, totalRows: 1_000_000 }, "segment job: identities, policy 2/3, 50 %, 10 s"],
    [
      "evaluating a merge policy's profiles, counted as the result counts them",
      { ...SEGMENT, stage: "evaluating", policy: 2, policies: 3, profiles: 40_000, totalProfiles: 111_251 },
      "segment job: evaluating, policy 2/3, 40,000 / 111,251 profiles (35 %), 4,000 profiles/s, 10 s",
    ],
    ["grouping an export's profiles", { ...EXPORT, stage: "identities", policy: 1, policies: 1, rows: 250, totalRows: 1000 }, "export job: identities, merge policy, 25 %, 10 s"],
    ["evaluating the only merge policy", { ...SEGMENT, stage: "evaluating", policy: 1, policies: 1, profiles: 40_000, totalProfiles: 111_251 }, "segment job: evaluating, 40,000 / 111,251 profiles (35 %), 4,000 profiles/s, 10 s"],
    ["writing the memberships", { ...SEGMENT, stage: "writing", rows: 50_000, totalRows: 100_000 }, "segment job: writing memberships, 50 %, 10 s"],
    ["linking identities, their total unknown", { ...SEGMENT, stage: "identities", rows: 300_000 }, "segment job: identities, 300,000 rows, 30,000 rows/s, 10 s"],
    [
      "an export merging in this thread, counting the profiles it exports",
      { ...EXPORT, stage: "merging", policy: 1, policies: 1, profiles: 40_000, totalProfiles: 80_000, exported: 12_000 },
      "export job: merging, 12,000 profiles exported, 40,000 / 80,000 merged (50 %), 4,000 profiles/s, ETA 10 s, 10 s",
    ],
    ["an export finishing its files", { ...EXPORT, stage: "writing", exported: 50_472 }, "export job: writing, 50,472 profiles exported, 10 s"],
  ])("names the stage and counts in its unit: %s", (_what, p, line) => {
    expect(lineAt(p, 10)).toBe(line);
  });

  it("measures each stage's rate from its own start, a new merge policy starting a new one", () => {
    let now = 0;
    const { written, stream } = fakeStream(false);
    const r = progressReporter("segment job", stream, () => now);
    now = 5000;
    r.onProgress({ ...SEGMENT, stage: "reading", rows: 100_000 });
    now = 10_000;
    r.onProgress(evaluating(0));
    now = 20_000;
    r.onProgress(evaluating(20_000));
    now = 25_000;
    r.onProgress({ ...evaluating(0), policy: 2 });
    now = 30_000;
    r.onProgress({ ...evaluating(10_000), policy: 2 });
    expect(written).toEqual([
      "segment job: reading, 100,000 rows, 20,000 rows/s, 5 s\n",
      "segment job: evaluating, policy 1/3, 20,000 / 64,542 profiles (30 %), 2,000 profiles/s, 20 s\n",
      "segment job: evaluating, policy 2/3, 10,000 / 64,542 profiles (15 %), 2,000 profiles/s, 30 s\n",
    ]);
  });
});
