/**
 * The habits of the command-line tools people know: --version, "did you mean", --json everywhere, one name
 * per concept, the sandbox from the environment, documented exit codes, completion, help without loading the
 * engine. What a user types is run through the built binary where the process matters (version, usage errors,
 * the environment, what --help loads, completion scripts); commands that run the engine run through the CLI's
 * main function in this process (cliInProcess), with the same parsing, messages and exit codes.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliInProcess, cliJsonInProcess, copySample, REPO, SAMPLE_AS_OF } from "./helpers/cli.js";

const BIN = join(REPO, "bin/profile-lab.js");
const scratch = (): string => mkdtempSync(join(tmpdir(), "profile-lab-habits-"));

function run(args: readonly string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO, env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built binary with `args`, recording every module it loads (test/helpers/import-recorder.mjs). */
function loadedBy(args: readonly string[]): { status: number | null; stderr: string; loaded: string } {
  const record = join(scratch(), "imports.txt");
  writeFileSync(record, "");
  const r = spawnSync(process.execPath, ["--import", join(REPO, "test/helpers/import-recorder.mjs"), BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, RECORD_IMPORTS: record },
  });
  return { status: r.status, stderr: r.stderr, loaded: readFileSync(record, "utf8") };
}

describe("the command line", () => {
  it("prints its version with --version and -v", () => {
    const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
    for (const flag of ["--version", "-v"]) expect(cli(flag)).toMatchObject({ status: 0, stdout: `profile-lab ${version}\n` });
  });

  it("suggests the command, option or action that was meant, and exits 2", () => {
    const command = cli("segmnet-job");
    expect(command.status).toBe(2);
    expect(command.stderr).toContain('unknown command "segmnet-job"; did you mean `profile-lab segment-job`?');
    const option = cli("segment-job", "--sandbx", "x");
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("unknown option --sandbx for `profile-lab segment-job`; did you mean --sandbox?");
    const action = cli("jobs", "lst");
    expect(action.status).toBe(2);
    expect(action.stderr).toContain('unknown action "lst" (did you mean `jobs list`?)');
    expect(cli("segment-job", "--frobnicate").stderr).not.toContain("did you mean");
  });

  it("says when an option needs a value or takes none", () => {
    expect(cli("export", "--request").stderr).toContain("option --request needs a value: --request <file.json>");
    expect(cli("check", "--json=yes").stderr).toContain("option --json takes no value");
  });

  it("points a sandbox given as an argument to --sandbox", () => {
    const r = cli("check", "sample-data");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unexpected argument "sample-data"; to name the sandbox, use --sandbox sample-data (or set PROFILE_LAB_SANDBOX)');
  });

  it("takes the sandbox from PROFILE_LAB_SANDBOX when --sandbox is not given, and --sandbox wins over it", () => {
    const sandbox = copySample();
    const fromEnv = run(["check", "--json"], { PROFILE_LAB_SANDBOX: sandbox });
    expect(fromEnv.status).toBe(0);
    expect((JSON.parse(fromEnv.stdout) as unknown[]).length).toBeGreaterThan(0);
    const overridden = run(["check", "--sandbox", "/nonexistent/sandbox"], { PROFILE_LAB_SANDBOX: sandbox });
    expect(overridden.stderr).toContain("IO-S001 /nonexistent/sandbox");
  });

  it("names bodies --request on every command, and points the old --body and --order-by to their new names", () => {
    const body = cli("merge-policies", "create", "--body", "policy.json");
    expect(body.status).toBe(2);
    expect(body.stderr).toContain("unknown option --body for `profile-lab merge-policies`; it is --request now");
    expect(cli("batches", "--order-by", "desc:created").stderr).toContain("it is --sort now");
    for (const command of ["segment-job", "export", "merge-policies", "datasets", "schedule"]) expect(cli(command, "--help").stdout).toContain("--request <file.json>");
  });

  it("sorts every list with --sort <field>:<direction>", async () => {
    const sandbox = copySample();
    await cliJsonInProcess("export", "--sandbox", sandbox, "--request", join(sandbox, "export-jobs/all-profiles-projection.json"), "--as-of", SAMPLE_AS_OF);
    await cliJsonInProcess("export", "--sandbox", sandbox, "--request", join(sandbox, "export-jobs/recent-qualifiers.json"), "--as-of", SAMPLE_AS_OF);
    const created = async (order: string): Promise<number[]> =>
      Object.values(await cliJsonInProcess<Record<string, { created: number }>>("batches", "list", "--sandbox", sandbox, "--sort", order)).map((b) => b.created);
    const asc = await created("created:asc");
    expect(asc.length).toBeGreaterThan(1);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(await created("created:desc")).toEqual([...asc].reverse());
    const jobs = await cliJsonInProcess<{ records: { id: number }[] }>("jobs", "list", "--type", "export", "--sandbox", sandbox, "--sort", "id:asc");
    expect(jobs.records.map((j) => j.id)).toEqual([1, 2]);
    expect((await cliInProcess("batches", "--sandbox", sandbox, "--sort", "desc:created")).stderr).toContain("--sort must be <field>:asc or <field>:desc with a field among created");
  });

  it("accepts --json on every command", async () => {
    const sandbox = copySample();
    const dir = join(scratch(), "gen");
    expect(await cliJsonInProcess<{ persons: number }>("generate", dir, "--profiles", "5", "--events-per-profile", "1", "--quiet")).toMatchObject({ persons: 5 });
    expect(Array.isArray(await cliJsonInProcess("check", "--sandbox", sandbox))).toBe(true);
    expect(await cliJsonInProcess<{ segmentJob: { status: string }; exportJobs: unknown[] }>("demo", "--sandbox", sandbox)).toMatchObject({ segmentJob: { status: "SUCCEEDED" } });
    expect(await cliJsonInProcess("jobs", "list", "--sandbox", sandbox)).toHaveProperty("segmentJobs");
    expect(await cliJsonInProcess("merge-policies", "list", "--sandbox", sandbox)).toHaveProperty("children");
    expect(await cliJsonInProcess("datasets", "list", "--sandbox", sandbox)).toBeTypeOf("object");
    expect(await cliJsonInProcess("batches", "list", "--sandbox", sandbox)).toBeTypeOf("object");
    expect(await cliJsonInProcess("schedule", "list", "--sandbox", sandbox)).toBeTypeOf("object");
    expect(await cliJsonInProcess("schedule", "run", "--sandbox", sandbox, "--until", SAMPLE_AS_OF)).toEqual([]);
    const batchId = Object.keys(await cliJsonInProcess<Record<string, unknown>>("batches", "list", "--sandbox", sandbox))[0]!;
    const files = await cliJsonInProcess<{ data: { dataSetFileId: string }[] }>("files", "list", batchId, "--sandbox", sandbox);
    const out = join(scratch(), "part.parquet");
    const read = await cliJsonInProcess<{ status: number; out: string }>("files", "read", files.data[0]!.dataSetFileId, "--path", "part-00000.parquet", "--out", out, "--range", "0-3", "--sandbox", sandbox);
    expect(read).toMatchObject({ status: 206, out });
    expect(readFileSync(out, "latin1")).toBe("PAR1");
  });

  it("keeps the export's field warnings on stderr with --json", async () => {
    const sandbox = copySample();
    const request = join(sandbox, "export-jobs/unknown-field.json");
    const body = JSON.parse(readFileSync(join(sandbox, "export-jobs/all-profiles-projection.json"), "utf8")) as { fields: string };
    writeFileSync(request, JSON.stringify({ ...body, fields: `${body.fields},person.nosuchfield` }));
    const r = await cliInProcess("export", "--sandbox", sandbox, "--request", request, "--as-of", SAMPLE_AS_OF, "--json");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "SUCCEEDED" });
    expect(r.stderr).toContain("warning:");
    expect(r.stderr).toContain("person.nosuchfield");
  });

  it("names the request file when a segment-job request names an unknown segment", async () => {
    const sandbox = copySample();
    const request = join(sandbox, "segment-job.json");
    writeFileSync(request, JSON.stringify({ schema: { name: "_xdm.context.profile" }, segments: [{ segmentId: "no-such-segment" }] }));
    const r = await cliInProcess("segment-job", "--sandbox", sandbox, "--request", request);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`SEG-J001 ${request} at $.segments[0].segmentId: unknown segment "no-such-segment"`);
  });

  it("names the request file in the errors of merge-policies, schedule and datasets", async () => {
    const sandbox = copySample();
    const request = join(sandbox, "bad-body.json");
    writeFileSync(request, JSON.stringify({ name: "x", nosuchfield: 1 }));
    for (const command of ["merge-policies", "schedule", "datasets"]) {
      const r = await cliInProcess(command, "create", "--sandbox", sandbox, "--request", request);
      expect(r.status, `${command}: ${r.stderr}`).toBe(1);
      expect(r.stderr, command).toMatch(new RegExp(`^error: \\S+ ${request.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    }
  });

  it("refuses to generate into a folder that is not empty, with a located error and exit 1", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "notes.txt"), "mine");
    const r = await cliInProcess("generate", dir, "--profiles", "5", "--quiet");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`GEN-D002 ${dir}: already exists and is not empty`);
    expect(r.stderr).not.toContain("internal error");
  });

  it("explains at the instant of the last segment job when --as-of is not given, and says so", async () => {
    const sandbox = copySample();
    const job = await cliJsonInProcess<{ id: string }>("segment-job", "--sandbox", sandbox, "--as-of", "2026-10-15T00:00:00Z");
    const json = await cliJsonInProcess<{ asOf: string; asOfSource: string }>("explain", "--sandbox", sandbox, "--identity", "CRMID:CRM141421356");
    expect(json).toMatchObject({ asOf: "2026-10-15T00:00:00.000Z", asOfSource: `last segment job ${job.id}` });
    const text = await cliInProcess("explain", "--sandbox", sandbox, "--identity", "CRMID:CRM141421356", "--as-of", SAMPLE_AS_OF);
    expect(text.stdout.split("\n")[0]).toBe("As of 2026-11-01T00:00:00.000Z (--as-of)");
  });

  it("check --data reports every bad row of every file up to --max-errors, with the total, even when a segment is broken", async () => {
    const dir = join(scratch(), "bad-rows");
    await cliJsonInProcess("generate", dir, "--profiles", "200", "--events-per-profile", "2", "--format", "jsonl", "--quiet");
    const spoil = (file: string, every: number): number => {
      const lines = readFileSync(join(dir, "datasets", file), "utf8").trimEnd().split("\n");
      let bad = 0;
      const out = lines.map((line, i) => {
        if (i % every !== 0) return line;
        bad++;
        return JSON.stringify({ ...(JSON.parse(line) as object), unknownField: i });
      });
      writeFileSync(join(dir, "datasets", file), `${out.join("\n")}\n`);
      return bad;
    };
    const bad = spoil("crm-profiles.jsonl", 2) + spoil("web-commerce-events.jsonl", 3);
    expect(bad).toBeGreaterThan(100);
    const segment = join(dir, "segments", readdirSync(join(dir, "segments"))[0]!);
    writeFileSync(segment, readFileSync(segment, "utf8").replace(/"value": "/, '"value": "persn.nosuch = 1 and '));
    const text = await cliInProcess("check", "--sandbox", dir, "--data");
    expect(text.status).toBe(1);
    expect(text.stdout).toContain("✗ datasets/crm-profiles.jsonl");
    expect(text.stdout).toContain("✗ datasets/web-commerce-events.jsonl");
    expect(text.stdout).toContain(`Every problem (the first 100 of ${bad}; --max-errors for more):`);
    expect(text.stdout.split("\n").filter((l) => /^ {2}IO-D001 datasets\/\S+:\d+ at \$\.unknownField: /.test(l))).toHaveLength(100);
    const json = await cliInProcess("check", "--sandbox", dir, "--data", "--max-errors", "5", "--json");
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as { segments: { valid: boolean }[]; data: { errorCount: number; badRows: number; errors: unknown[]; truncated: boolean } };
    expect(report.segments.some((s) => !s.valid)).toBe(true);
    expect(report.data).toMatchObject({ errorCount: bad, badRows: bad, truncated: true });
    expect(report.data.errors).toHaveLength(5);
  });

  it("documents the exit codes in --help", () => {
    for (const args of [["--help"], ["export", "--help"]]) {
      const help = cli(...args).stdout;
      expect(help).toContain("Exit codes:");
      for (const code of ["0", "1", "2", "70"]) expect(help).toMatch(new RegExp(`^  ${code}\\s+\\S`, "m"));
    }
  });

  it("does not load the engine, the PQL parser or the Parquet and SQLite modules for --help or a usage error", () => {
    for (const args of [["--help"], ["segment-job", "--help"], ["segment-job", "--frobnicate"], ["--version"]]) {
      const { status, stderr, loaded } = loadedBy(args);
      expect(status, stderr).not.toBe(70);
      expect(loaded).toContain("/dist/cli/main.js");
      for (const heavy of ["chevrotain", "apache-arrow", "parquet-wasm", "better-sqlite3", "/dist/engine/", "/dist/pql/"]) expect(loaded, `${args.join(" ")} loads ${heavy}`).not.toContain(heavy);
    }
  });

  it("runs jobs on DuckDB over validated data without loading the JavaScript readers and writers, or Chevrotain's many-file entry point", () => {
    const sandbox = copySample();
    const common = ["--sandbox", sandbox, "--as-of", SAMPLE_AS_OF, "--engine", "duckdb"];
    expect(run(["segment-job", ...common]).status).toBe(0); // validates the data: that may load anything
    for (const args of [["segment-job", ...common], ["export", ...common, "--request", join(sandbox, "export-jobs", "audiences-per-batch.json")]]) {
      const { status, stderr, loaded } = loadedBy(args);
      expect(status, stderr).toBe(0);
      expect(loaded).toContain("@duckdb/node-api");
      expect(loaded).toContain("chevrotain/lib/chevrotain.mjs");
      for (const heavy of ["apache-arrow", "parquet-wasm", "lodash-es", "/dist/io/parquet-reader", "/dist/io/parquet-writer"]) expect(loaded, `${args[0]} loads ${heavy}`).not.toContain(heavy);
    }
  });
});

describe("shell completion", () => {
  /** Runs the generated bash script's completion function on a command line, returns COMPREPLY. */
  function complete(words: string[], cwd: string): string[] {
    const script = cli("completion", "bash").stdout;
    const file = join(cwd, "completion.bash");
    writeFileSync(file, script);
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const r = spawnSync("bash", ["-c", `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _profile_lab; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: "utf8", cwd });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split("\n").filter((l) => l !== "");
  }

  it("completes commands, actions, options and sandbox folders from the command declarations", () => {
    const cwd = scratch();
    mkdirSync(join(cwd, "my-sandbox"));
    expect(complete(["profile-lab", "seg"], cwd)).toEqual(["segment-job"]);
    expect(complete(["profile-lab", "jobs", ""], cwd)).toEqual(["list", "get", "cancel"]);
    expect(complete(["profile-lab", "jobs", "list", ""], cwd)).toEqual([]);
    expect(complete(["profile-lab", "export", "--req"], cwd)).toEqual(["--request"]);
    expect(complete(["profile-lab", "export", "--sandbox", "my"], cwd)).toEqual(["my-sandbox"]);
    expect(complete(["profile-lab", "segment-job", "--as-of", ""], cwd)).toEqual([]);
  });

  it("prints a zsh script that runs the same function through bashcompinit", () => {
    const zsh = cli("completion", "zsh");
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef profile-lab\n/);
    expect(zsh.stdout).toContain("bashcompinit");
    expect(zsh.stdout).toContain("complete -o filenames -F _profile_lab profile-lab");
  });
});
