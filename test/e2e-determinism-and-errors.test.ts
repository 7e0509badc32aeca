/**
 * Reproducibility (same sandbox, request and --as-of → byte-identical Parquet) and bad input through the
 * CLI: one located message, a non-zero exit, no stack trace, earlier results intact, failed jobs recorded.
 * The commands run in this process (cliInProcess); help and usage errors through the binary.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ExportJob } from "../src/export/export-job.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { cli, cliInProcess, cliJsonInProcess, copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

const PER_BATCH = "export-jobs/audiences-per-batch.json";

function exportedFiles(sandbox: string, job: ExportJob): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const b of job.destination.batches ?? [{ batchId: job.destination.batchId! }]) {
    const dir = join(sandbox, ".profile-lab/lake/datasets", job.destination.datasetId, "batches", b.batchId);
    for (const f of readdirSync(dir)) files.set(`${b.batchId}/${f}`, readFileSync(join(dir, f)));
  }
  return files;
}

async function runAll(sandbox: string): Promise<ExportJob> {
  await cliJsonInProcess("segment-job", "--sandbox", sandbox, "--as-of", SAMPLE_AS_OF);
  return await cliJsonInProcess<ExportJob>("export", "--sandbox", sandbox, "--request", join(sandbox, PER_BATCH), "--as-of", SAMPLE_AS_OF);
}

/** The CLI failed cleanly: non-zero exit, an error line with the code, and no stack frames. */
function expectCleanFailure(r: { status: number; stderr: string }, code: string, where: string): void {
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(new RegExp(`^error: ${code}\\S* `, "m"));
  expect(r.stderr).toContain(where);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

describe("determinism", () => {
  it("gives byte-identical Parquet for two runs with the same --as-of", async () => {
    const a = copySample();
    const b = copySample();
    const filesA = exportedFiles(a, await runAll(a));
    const filesB = exportedFiles(b, await runAll(b));
    expect([...filesA.keys()]).toEqual([...filesB.keys()]);
    for (const [name, bytes] of filesA) expect(bytes.equals(filesB.get(name)!), name).toBe(true);
  });
});

describe("memory budget", () => {
  it("gives the same Parquet through the CLI whatever --memory and --workers DuckDB is given", async () => {
    const a = copySample();
    const b = copySample();
    const run = async (dir: string, ...budget: string[]): Promise<ExportJob> => {
      await cliJsonInProcess("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF, ...budget);
      return await cliJsonInProcess<ExportJob>("export", "--sandbox", dir, "--request", join(dir, PER_BATCH), "--as-of", SAMPLE_AS_OF, ...budget);
    };
    const roomy = exportedFiles(a, await run(a, "--memory", "2g", "--workers", "2"));
    const tight = exportedFiles(b, await run(b, "--memory", "256m", "--workers", "1"));
    expect([...tight.keys()]).toEqual([...roomy.keys()]);
    for (const [name, bytes] of roomy) expect(tight.get(name)!.equals(bytes), name).toBe(true);
    // The membership snapshot's part too.
    const snapshot = (dir: string): Buffer[] => new SandboxState(dir).membership.parts().map((f) => readFileSync(f));
    expect(snapshot(a)).toHaveLength(1);
    expect(snapshot(b)).toEqual(snapshot(a));
    const bad = await cliInProcess("segment-job", "--sandbox", a, "--memory", "plenty");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: CLI-U001 --memory must look like 512m or 4g/);
  });

  it("the reference engine refuses data larger than --memory allows before reading any: ENG-M002, the job FAILED, nothing written", async () => {
    const dir = copySample();
    await cliJsonInProcess("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF);
    const state = new SandboxState(dir);
    const memberships = await state.membership.text();
    // The sample's 14 MiB of JSON Lines take about four times that in the reference's memory.
    const tooSmall = ["--as-of", SAMPLE_AS_OF, "--engine", "reference", "--memory", "16m"];
    const segmentJob = await cliInProcess("segment-job", "--sandbox", dir, ...tooSmall);
    expectCleanFailure(segmentJob, "ENG-M002", "more than --memory 16 MiB allows; raise --memory, or run the job on DuckDB (--engine duckdb) unless one of its segments needs the reference engine (check lists them)");
    expect(state.records<SegmentJob>("segment-jobs").all().map((j) => j.status)).toEqual(["SUCCEEDED", "FAILED"]);
    expect(await state.membership.text()).toBe(memberships);
    const exportJob = await cliInProcess("export", "--sandbox", dir, "--request", join(dir, PER_BATCH), ...tooSmall);
    expectCleanFailure(exportJob, "ENG-M002", "the reference engine holds the data in memory");
    expect(state.records<ExportJob>("export-jobs").get(1)).toMatchObject({ status: "FAILED", errors: [{ code: "ENG-M002" }] });
    expect(existsSync(join(dir, ".profile-lab/lake/datasets"))).toBe(false);
    expect(readdirSync(join(dir, ".profile-lab/lake/_staging"))).toEqual([]);
    // Within the budget, the same job runs.
    expect(await cliJsonInProcess<ExportJob>("export", "--sandbox", dir, "--request", join(dir, PER_BATCH), "--as-of", SAMPLE_AS_OF, "--engine", "reference", "--memory", "1g")).toMatchObject({ status: "SUCCEEDED" });
  });
});

describe("bad input", () => {
  it("reports malformed PQL with its code, file and position", async () => {
    const sandbox = copySample();
    const file = join(sandbox, "segments/us-residents.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('homeAddress.countryCode = \\"US\\"', '(homeAddress.countryCode = \\"US\\"'));
    const r = await cliInProcess("segment-job", "--sandbox", sandbox, "--as-of", SAMPLE_AS_OF);
    expectCleanFailure(r, "PQL-S", "us-residents.json");
  });

  it("check lists every segment with its errors and exits non-zero when one is invalid", async () => {
    const sandbox = copySample();
    const file = join(sandbox, "segments/us-residents.json");
    writeFileSync(file, readFileSync(file, "utf8").replace("homeAddress.countryCode", "homeAddress.countryCod"));
    const r = await cliInProcess("check", "--sandbox", sandbox);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("15 of 16 segment definitions are valid");
    expect(r.stdout).toMatch(/✗ US residents .*\n\s+PQL-T001 .*us-residents\.json at \$\.expression\.value:1:13: unknown profile field 'countryCod' in 'homeAddress'; did you mean 'countryCode'\?/);
  });

  it("reports an unknown field in a segment before reading data", async () => {
    const sandbox = copySample();
    const file = join(sandbox, "segments/us-residents.json");
    writeFileSync(file, readFileSync(file, "utf8").replace("homeAddress.countryCode", "homeAddress.countryCod"));
    expectCleanFailure(await cliInProcess("segment-job", "--sandbox", sandbox), "PQL-T", "did you mean 'countryCode'");
  });

  it("reports a malformed JSON request at its line and column", async () => {
    const sandbox = copySample();
    const request = join(sandbox, "bad-request.json");
    writeFileSync(request, '{\n  "destination": { "datasetId": "x" },\n  "schema": { "name": "_xdm.context.profile" }\n  "fields": "a"\n}\n');
    expectCleanFailure(await cliInProcess("export", "--sandbox", sandbox, "--request", request), "IO-J001", "bad-request.json:4:3");
  });

  it("reports a missing sandbox", async () => {
    expectCleanFailure(await cliInProcess("segment-job", "--sandbox", "/nonexistent/sandbox"), "IO-S001", "/nonexistent/sandbox");
  });

  it("reports an unknown merge policy with the request's JSON path", async () => {
    const sandbox = copySample();
    const request = join(sandbox, "export-jobs/all-profiles-projection.json");
    writeFileSync(request, readFileSync(request, "utf8").replace(/"id": "[^"]+"/, '"id": "no-such-policy"'));
    expectCleanFailure(await cliInProcess("export", "--sandbox", sandbox, "--request", request), "MRG-P004", "$.mergePolicy.id");
  });

  it("reports a request without destination.datasetId with its JSON path", async () => {
    const sandbox = copySample();
    const request = join(sandbox, "no-destination.json");
    writeFileSync(request, JSON.stringify({ schema: { name: "_xdm.context.profile" }, destination: {} }));
    expectCleanFailure(await cliInProcess("export", "--sandbox", sandbox, "--request", request), "EXP-R001", "$.destination.datasetId");
  });

  it("fails a job on a bad data line, records it as FAILED and keeps earlier batches", async () => {
    const sandbox = copySample();
    const first = await runAll(sandbox);
    const before = exportedFiles(sandbox, first);
    const membership = await new SandboxState(sandbox).membership.text();
    appendFileSync(join(sandbox, "datasets/crm-profiles.jsonl"), '{"_id":"x","identityMap":{"CRMID":[{"id":"c","primary":true}]},"person":{"birthYear":"1970"},"_acp_system_metadata":{"ingestTime":"2026-10-01T00:00:00Z"}}\n');
    const r = await cliInProcess("export", "--sandbox", sandbox, "--request", join(sandbox, PER_BATCH), "--as-of", SAMPLE_AS_OF);
    expectCleanFailure(r, "IO-D001", "crm-profiles.jsonl:");
    expect(r.stderr).toContain("$.person.birthYear");
    const jobs = (await cliJsonInProcess<{ exportJobs: ExportJob[] }>("jobs", "list", "--sandbox", sandbox)).exportJobs;
    const failed = jobs.find((j) => j.id === first.id + 1)!;
    expect(failed.status).toBe("FAILED");
    expect(failed.errors?.[0]?.code).toBe("IO-D001");
    for (const b of failed.destination.batches!) {
      expect(existsSync(join(sandbox, ".profile-lab/lake/datasets", failed.destination.datasetId, "batches", b.batchId))).toBe(false);
    }
    expect(exportedFiles(sandbox, first)).toEqual(before);
    expect(existsSync(join(sandbox, ".profile-lab/lake/_staging", String(failed.id)))).toBe(false);
    const s = await cliInProcess("segment-job", "--sandbox", sandbox, "--as-of", SAMPLE_AS_OF);
    expect(s.status).not.toBe(0);
    expect(await new SandboxState(sandbox).membership.text()).toBe(membership);
    rmSync(sandbox, { recursive: true, force: true });
  });

  it("prints help for every command and a usage error for unknown options", () => {
    for (const command of ["demo", "generate", "check", "segment-job", "export", "jobs", "explain", "merge-policies", "datasets", "batches", "files", "schedule"]) {
      const r = cli(command, "--help");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`profile-lab ${command}`);
      expect(r.stdout).toContain("Options:");
    }
    expect(cli("--help").stdout).toContain("segment-job");
    const bad = cli("segment-job", "--sandbox", "x", "--frobnicate");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: CLI-U001 .*frobnicate/);
  });
});
