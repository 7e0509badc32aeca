/**
 * Issue 17 through the real command line on the sample sandbox: the segment definitions that hung a segment job
 * (a LIKE pattern of many '%', a catastrophic regex) now run with the memberships their plain equivalents give,
 * and `check` refuses a definition over a limit with a located error naming the limit.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import { cli, cliJson, copySample, SAMPLE_AS_OF } from "../helpers/cli.js";

const template = JSON.parse(readFileSync(join(import.meta.dirname, "../../sample-data/segments/edu-email.json"), "utf8")) as Record<string, unknown>;

function addSegment(sandbox: string, id: string, pql: string): void {
  const definition = { ...template, id, name: `hostile ${id}`, expression: { type: "PQL", format: "pql/text", value: pql } };
  writeFileSync(join(sandbox, "segments", `${id}.json`), `${JSON.stringify(definition, null, 2)}\n`);
}

const SEGMENTS = {
  likeMany: ["00000000-0000-4000-8000-000000000001", 'personalEmail.address like "%%%%%%%%%%x"'],
  likePlain: ["00000000-0000-4000-8000-000000000002", 'personalEmail.address.endsWith("x")'],
  likeMiddle: ["00000000-0000-4000-8000-000000000003", 'personalEmail.address like "%%%%%%%%%%e%%%%%%%%%%.%%%%%%%%%%m"'],
  likeMiddlePlain: ["00000000-0000-4000-8000-000000000004", 'personalEmail.address matches "e.*\\\\..*m$"'],
  regexBomb: ["00000000-0000-4000-8000-000000000005", 'personalEmail.address matches "(a+)+b"'],
  regexPlain: ["00000000-0000-4000-8000-000000000006", 'personalEmail.address.contains("ab")'],
} as const;

let job: SegmentJob;

beforeAll(() => {
  const sandbox = copySample();
  for (const [id, pql] of Object.values(SEGMENTS)) addSegment(sandbox, id, pql);
  job = cliJson<SegmentJob>("segment-job", "--sandbox", sandbox, "--as-of", SAMPLE_AS_OF);
}, 300_000);

describe("hostile segment definitions on the sample sandbox", () => {
  it("a segment job with like '%%%%%%%%%%x' and matches '(a+)+b' succeeds with the memberships of their plain equivalents", () => {
    expect(job.status).toBe("SUCCEEDED");
    const counters = job.metrics.segmentedProfileCounter ?? {};
    const count = (key: keyof typeof SEGMENTS): number => counters[SEGMENTS[key][0]] ?? 0;
    expect(count("likeMany")).toBe(count("likePlain"));
    expect(count("likeMiddle")).toBe(count("likeMiddlePlain"));
    expect(count("likeMiddle")).toBeGreaterThan(0);
    expect(count("regexBomb")).toBe(count("regexPlain"));
  });

  it("check refuses fifty nested filter lambdas, naming the limit, the file and the position", () => {
    const sandbox = copySample();
    let nested = "true";
    for (let i = 0; i < 50; i++) nested = `orders.filter((O${i}) => ${nested}).count() > 0`;
    addSegment(sandbox, "00000000-0000-4000-8000-000000000007", nested);
    const r = cli("check", "--sandbox", sandbox);
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/PQL-T011 \S*segments\/00000000-0000-4000-8000-000000000007\.json at \$\.expression\.value:1:\d+: per-element loops are nested 5 deep here; the limit is 4 \(maxIterationDepth\)/);
  });
});
