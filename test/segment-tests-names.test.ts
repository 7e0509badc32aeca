/** `--segment` takes a segment's id or its exact name, wherever a command asks for one. */
import { describe, expect, it } from "vitest";
import { cli, cliJson, copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

const US = "cdfbffd4-cdc0-49c3-8fd2-ad8adecb846a";

describe("segments by name", () => {
  it("segment-job, explain and check take --segment by exact name as by id", () => {
    const dir = copySample();
    const job = cliJson<{ metrics: { segmentedProfileCounter: Record<string, number> } }>("segment-job", "--sandbox", dir, "--segment", "US residents", "--as-of", SAMPLE_AS_OF);
    expect(job.metrics.segmentedProfileCounter).toEqual({ [US]: 531 });
    const why = cliJson<{ segments: { segmentId: string; qualifies: boolean }[] }>("explain", "--sandbox", dir, "--identity", "CRMID:CRM609265581", "--segment", "US residents");
    expect(why.segments).toMatchObject([{ segmentId: US, qualifies: true }]);
    const checked = cliJson<{ segmentId: string }[]>("check", "--sandbox", dir, "--segment", "US residents", "--segment", "8850c667-d175-4a69-ba83-407aefac485b");
    expect(checked.map((c) => c.segmentId)).toEqual([US, "8850c667-d175-4a69-ba83-407aefac485b"]);
    const unknown = cli("segment-job", "--sandbox", dir, "--segment", "US resident", "--as-of", SAMPLE_AS_OF);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown segment "US resident"');
  });
});
