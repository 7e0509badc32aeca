/** `--segment` takes a segment's id or its exact name, wherever a command asks for one; `--request -` reads the body from standard input. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliJson, copySample, REPO, SAMPLE_AS_OF } from "./helpers/cli.js";

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

describe("request bodies from standard input", () => {
  it("reads --request - from stdin, and names it <stdin> in errors", () => {
    const dir = copySample();
    const run = (input: string, ...args: string[]) => spawnSync(process.execPath, [join(REPO, "bin/profile-lab.js"), ...args], { input, encoding: "utf8", cwd: REPO });
    const job = run(JSON.stringify([{ segmentId: US }]), "segment-job", "--sandbox", dir, "--request", "-", "--as-of", SAMPLE_AS_OF, "--json");
    expect(job.status).toBe(0);
    expect(JSON.parse(job.stdout).metrics.segmentedProfileCounter).toEqual({ [US]: 531 });
    const exported = run(readFileSync(join(dir, "export-jobs/recently-updated-incl-empty.json"), "utf8"), "export", "--sandbox", dir, "--request", "-", "--as-of", SAMPLE_AS_OF, "--json");
    expect(exported.status).toBe(0);
    expect(JSON.parse(exported.stdout).status).toBe("SUCCEEDED");
    const bad = run('{"segments": [', "segment-job", "--sandbox", dir, "--request", "-");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: IO-J001 <stdin>:1:\d+: malformed JSON/);
  });
});
