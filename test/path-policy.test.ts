/**
 * The one path policy (src/io/sandbox-path.ts): nothing outside the sandbox is read or written, whatever the
 * sandbox holds — `..` and absolute paths in sandbox.json, symbolic links to files and folders outside, ids
 * that would become paths, devices and FIFOs. Unit tests of the module, then the CLI's main function (`check`,
 * `check --data`, `segment-job`, `export`, `files read`/`get`, in this process: see cliInProcess) with a canary
 * file beside the sandbox whose content must never appear in any output, and a census showing no file was
 * created outside the sandbox.
 */
import { execFileSync } from "node:child_process";
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IoError } from "../src/io/io-error.js";
import { linesOf } from "../src/io/jsonl.js";
import { readJsonFile } from "../src/io/json-file.js";
import { checkIdentifier, checkReadable, confined, entryPath, MAX_JSON_TEXT_BYTES } from "../src/io/sandbox-path.js";
import { readSandboxFiles } from "../src/io/sandbox-files.js";
import { openSandbox } from "../src/engine/sandbox.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";
import { JobControl } from "../src/store/job-control.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { StoreError } from "../src/store/store-error.js";
import { cliInProcess, copySample, SAMPLE, SAMPLE_AS_OF, type CliResult } from "./helpers/cli.js";
import { thrown } from "./helpers/thrown.js";

const CANARY = `canary-${process.pid}-${Date.now()}: root:x:0:0:root:/root:/bin/bash`;

/** A scratch folder holding `sandbox/` (empty unless filled) and `outside/` with the canary file. */
function scratch(): { base: string; sandbox: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), "profile-lab-path-"));
  const sandbox = join(base, "sandbox");
  const outside = join(base, "outside");
  mkdirSync(sandbox);
  mkdirSync(outside);
  writeFileSync(join(outside, "canary.jsonl"), `${CANARY}\n`);
  writeFileSync(join(outside, "canary.json"), CANARY);
  return { base, sandbox, outside };
}

function fifo(path: string): void {
  execFileSync("mkfifo", [path]);
}

describe("paths written in sandbox.json", () => {
  const at = { file: "sandbox.json", jsonPath: "$.datasets[0].files[1]" };

  it.each([
    ["/etc/passwd", "IO-X001", "absolute paths are not allowed in a sandbox"],
    ["/dev/zero", "IO-X001", "absolute paths are not allowed in a sandbox"],
    ["../outside/crm.jsonl", "IO-X002", "leads out of the sandbox folder"],
    ["datasets/../../outside/crm.jsonl", "IO-X002", "leads out of the sandbox folder"],
    ["..", "IO-X002", "leads out of the sandbox folder"],
    ["datasets/a\0.jsonl", "IO-X002", "leads out of the sandbox folder"],
  ])("%j is %s at its JSON path", (entry, code, message) => {
    const e = thrown(() => entryPath("/s", entry, at), IoError);
    expect(e).toMatchObject({ code, location: at });
    expect(e.message).toContain(message);
  });

  it.each([
    ["datasets/crm.jsonl", "/s/datasets/crm.jsonl"],
    ["./datasets/../datasets/crm.jsonl", "/s/datasets/crm.jsonl"],
    ["..datasets/x.jsonl", "/s/..datasets/x.jsonl"],
  ])("%j stays inside and is joined under the sandbox", (entry, path) => {
    expect(entryPath("/s", entry, at)).toBe(path);
  });
});

describe("ids that become folder names", () => {
  it.each(["../../../../escaped-lake", "..", ".hidden", "a/b", "a\\b", "", "x".repeat(256), "_staging", "a b"])("%j is IO-X004", (id) => {
    expect(thrown(() => checkIdentifier(id, "dataset id", { jsonPath: "$.datasets[4].id" }), IoError)).toMatchObject({ code: "IO-X004", location: { jsonPath: "$.datasets[4].id" } });
  });

  it.each(["e34187414a7a1f2ebb920497", "ds_export", "7c7271a0633dc6d14f075a875242bccf", "12", "a..b", "x".repeat(255)])("%j is an identifier", (id) => {
    expect(checkIdentifier(id, "dataset id")).toBe(id);
  });

  it("the state folder refuses them for lake, staging and job paths", () => {
    const state = new SandboxState(scratch().sandbox);
    expect(thrown(() => state.batchDir("../../../../escaped-lake", "b1"), IoError)).toMatchObject({ code: "IO-X004" });
    expect(thrown(() => state.batchDir("ds", "../b1"), IoError)).toMatchObject({ code: "IO-X004" });
    expect(thrown(() => state.stagingDir("../1"), IoError)).toMatchObject({ code: "IO-X004" });
    expect(state.batchDir("ds", "b1")).toMatch(/\.profile-lab\/lake\/datasets\/ds\/batches\/b1$/);
  });
});

describe("symbolic links", () => {
  let s: ReturnType<typeof scratch>;
  beforeAll(() => {
    s = scratch();
    mkdirSync(join(s.sandbox, "datasets"));
    writeFileSync(join(s.sandbox, "datasets/real.jsonl"), "{}\n");
    symlinkSync(join(s.outside, "canary.jsonl"), join(s.sandbox, "datasets/out.jsonl"));
    symlinkSync("../outside", join(s.sandbox, "linked-folder"));
    symlinkSync("real.jsonl", join(s.sandbox, "datasets/same.jsonl"));
    symlinkSync(join(s.outside, "not-yet"), join(s.sandbox, "dangling"));
    symlinkSync("loop-b", join(s.sandbox, "loop-a"));
    symlinkSync("loop-a", join(s.sandbox, "loop-b"));
    symlinkSync(s.sandbox, join(s.base, "sandbox-link"));
  });

  it.each([
    ["a file linked out of the sandbox", "datasets/out.jsonl"],
    ["a file inside a folder linked out of the sandbox", "linked-folder/canary.jsonl"],
    ["a folder linked out of the sandbox", "linked-folder"],
    ["a file to create through a folder linked out", "linked-folder/new/file.json"],
    ["a link whose target outside does not exist yet (a write would create it)", "dangling"],
    ["a loop of links", "loop-a"],
  ])("%s is IO-X003", (_, rel) => {
    const e = thrown(() => confined(s.sandbox, join(s.sandbox, rel)), IoError);
    expect(e).toMatchObject({ code: "IO-X003", location: { file: join(s.sandbox, rel) } });
    expect(e.message).not.toContain(CANARY);
  });

  it.each([
    ["a link from inside to inside", join("sandbox", "datasets/same.jsonl")],
    ["a file that does not exist yet", join("sandbox", ".profile-lab/lake/x")],
    ["a file of a sandbox named through a link to it", join("sandbox-link", "datasets/real.jsonl")],
  ])("%s is allowed", (_, rel) => {
    const root = rel.startsWith("sandbox-link") ? join(s.base, "sandbox-link") : s.sandbox;
    expect(confined(root, join(s.base, rel))).toBe(join(s.base, rel));
  });

  it("a state folder linked out of the sandbox is IO-X003 before anything is written", () => {
    const t = scratch();
    symlinkSync(t.outside, join(t.sandbox, ".profile-lab"));
    expect(thrown(() => new SandboxState(t.sandbox), IoError)).toMatchObject({ code: "IO-X003" });
    expect(readdirSync(t.outside).sort()).toEqual(["canary.json", "canary.jsonl"]);
  });
});

describe("the engine's state stays in the sandbox", () => {
  it.each([
    ["the spill older versions kept", "spill", (st: SandboxState) => st.oldSpillDir],
    ["what a job spills", "tmp", (st: SandboxState) => st.tmpDir],
    ["the lake", "lake", (st: SandboxState) => st.batchDir("ds", "b1")],
    ["the state database", "state.sqlite", (st: SandboxState) => st.databaseFile],
    ["the membership snapshot", "membership", (st: SandboxState) => st.membership.current()],
    ["the job claims", "running", (st: SandboxState) => new JobControl(st.root).orphans()],
  ])("%s linked out of the sandbox is IO-X003", (_, name, use) => {
    const t = scratch();
    mkdirSync(join(t.sandbox, ".profile-lab"));
    symlinkSync(t.outside, join(t.sandbox, ".profile-lab", name));
    expect(thrown(() => use(new SandboxState(t.sandbox)), IoError)).toMatchObject({ code: "IO-X003" });
    expect(readdirSync(t.outside).sort()).toEqual(["canary.json", "canary.jsonl"]);
  });

  it("a membership pointer that names a folder outside is STO-002, not followed", () => {
    const t = scratch();
    const state = new SandboxState(t.sandbox);
    mkdirSync(state.membership.dir, { recursive: true });
    writeFileSync(join(state.membership.dir, "CURRENT"), "../../../outside\n");
    const e = thrown(() => state.membership.parts(), StoreError);
    expect(e).toMatchObject({ code: "STO-002" });
    expect(e.message).not.toContain("outside");
  });

  it("a job claim linked to a file outside is IO-X003, and a damaged one STO-003 without its content", () => {
    const t = scratch();
    const state = new SandboxState(t.sandbox);
    const running = join(state.root, "running");
    mkdirSync(running, { recursive: true });
    symlinkSync(join(t.outside, "canary.json"), join(running, "export-jobs-1.json"));
    expect(thrown(() => new JobControl(state.root).isRunning("export-jobs", 1), IoError)).toMatchObject({ code: "IO-X003" });
    rmSync(join(running, "export-jobs-1.json"));
    writeFileSync(join(running, "export-jobs-1.json"), CANARY);
    const e = thrown(() => new JobControl(state.root).isRunning("export-jobs", 1), StoreError);
    expect(e).toMatchObject({ code: "STO-003" });
    expect(e.format()).not.toContain("canary-");
  });
});

describe("only regular files within their reader's limit are read", () => {
  let s: ReturnType<typeof scratch>;
  beforeAll(() => {
    s = scratch();
    fifo(join(s.sandbox, "pipe.jsonl"));
    symlinkSync("/dev/zero", join(s.sandbox, "zero.jsonl"));
  });

  it("a FIFO is IO-F003 without being opened (opening it would block)", () => {
    expect(thrown(() => checkReadable(join(s.sandbox, "pipe.jsonl")), IoError)).toMatchObject({ code: "IO-F003" });
    expect(thrown(() => [...linesOf(join(s.sandbox, "pipe.jsonl"))], IoError)).toMatchObject({ code: "IO-F003" });
    expect(thrown(() => readJsonFile(join(s.sandbox, "pipe.jsonl")), IoError)).toMatchObject({ code: "IO-F003" });
  });

  it("a device is IO-F003 even as a file the user names (it never ends)", () => {
    expect(thrown(() => readJsonFile("/dev/zero"), IoError)).toMatchObject({ code: "IO-F003", location: { file: "/dev/zero" } });
    expect(thrown(() => [...linesOf("/dev/zero")], IoError)).toMatchObject({ code: "IO-F003" });
  });

  it("a device linked from inside the sandbox is IO-X003 when confined", () => {
    expect(thrown(() => checkReadable(join(s.sandbox, "zero.jsonl"), { sandboxDir: s.sandbox }), IoError)).toMatchObject({ code: "IO-X003" });
  });

  it("a file larger than its reader's limit is IO-F004 naming the limit", () => {
    writeFileSync(join(s.sandbox, "big.json"), "[1, 2, 3]");
    const e = thrown(() => checkReadable(join(s.sandbox, "big.json"), { maxBytes: 4, reader: "a JSON document" }), IoError);
    expect(e).toMatchObject({ code: "IO-F004", location: { file: join(s.sandbox, "big.json") } });
    expect(e.message).toContain("(a JSON document)");
    expect(e.message).toContain("(4 bytes)");
  });

  /** A file of `{}`, a line of `length` zero bytes (a hole: nothing to write) and, with `end`, its LF. */
  function longLine(name: string, length: number, end: boolean): string {
    const file = join(s.sandbox, name);
    const fd = openSync(file, "w");
    writeSync(fd, "{}\n");
    if (end) writeSync(fd, "\n", 3 + length);
    closeSync(fd);
    truncateSync(file, 3 + length + (end ? 1 : 0));
    return file;
  }

  it("a JSON Lines line longer than MAX_JSON_TEXT_BYTES is IO-F004 at its line", () => {
    const file = longLine("long.jsonl", MAX_JSON_TEXT_BYTES + 1, false);
    const e = thrown(() => [...linesOf(file)], IoError);
    expect(e).toMatchObject({ code: "IO-F004", location: { file, line: 2 } });
    expect(e.message).toContain(`${MAX_JSON_TEXT_BYTES.toLocaleString("en-US")} bytes`);
    rmSync(file);
  });

  it("a line of exactly MAX_JSON_TEXT_BYTES is read", () => {
    const file = longLine("limit.jsonl", MAX_JSON_TEXT_BYTES, true);
    expect([...linesOf(file)].map((l) => l.text.length)).toEqual([2, MAX_JSON_TEXT_BYTES]);
    rmSync(file);
  });
});

describe("readers other than the engine's own", () => {
  it("the SQL merge, whose DuckDB opens the data files itself, refuses a data file linked out of the sandbox", () => {
    const s = scratch();
    cpSync(SAMPLE, s.sandbox, { recursive: true, filter: (src) => !src.includes(".profile-lab") });
    writeFileSync(join(s.outside, "loyalty.jsonl"), readFileSync(join(SAMPLE, "datasets/loyalty-members.jsonl")));
    rmSync(join(s.sandbox, "datasets/loyalty-members.jsonl"));
    symlinkSync(join(s.outside, "loyalty.jsonl"), join(s.sandbox, "datasets/loyalty-members.jsonl"));
    const sandbox = openSandbox(s.sandbox, { segments: false });
    expect(thrown(() => mergeSourcesOf(sandbox), IoError)).toMatchObject({ code: "IO-X003", location: { jsonPath: "$.datasets[1].files[0]" } });
  });
});

describe("errors never show a refused or unparseable file's content", () => {
  it.each([
    ["a password file", CANARY],
    ["a document cut short", '{"secret": "hunter2'],
    ["text after a document", '{} secret-token'],
  ])("malformed JSON in %s is IO-J001 without quoting it", (_, text) => {
    const s = scratch();
    const file = join(s.sandbox, "x.json");
    writeFileSync(file, text);
    const e = thrown(() => readJsonFile(file, s.sandbox), IoError);
    expect(e).toMatchObject({ code: "IO-J001" });
    for (const secret of ["root:x", "hunter2", "secret-token", "canary"]) expect(e.format()).not.toContain(secret);
  });

  it("a schema linked to a file outside is IO-X003 and its content is not read", () => {
    const s = scratch();
    cpSync(SAMPLE, s.sandbox, { recursive: true, filter: (src) => !src.includes(".profile-lab") });
    symlinkSync(join(s.outside, "canary.json"), join(s.sandbox, "schemas/evil.schema.json"));
    const e = thrown(() => readSandboxFiles(s.sandbox), IoError);
    expect(e).toMatchObject({ code: "IO-X003", location: { file: join(s.sandbox, "schemas/evil.schema.json") } });
    expect(e.format()).not.toContain(CANARY);
  });
});

/** Every path under `dir` (folders end in /) but those `skip` says, for a census of what commands created. */
function census(dir: string, skip: (path: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (skip(p)) continue;
      out.push(e.isDirectory() ? `${p}/` : p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe("the CLI with a hostile sandbox", () => {
  const runs: CliResult[] = [];
  let base: string;
  let outside: string;
  let before: string[];
  const sandboxes: string[] = [];

  /** A copy of the sample sandbox beside the shared `outside/` folder with the canary. */
  function sample(): string {
    const dir = copySample();
    const target = join(base, `sandbox-${sandboxes.length}`);
    cpSync(dir, target, { recursive: true });
    rmSync(dirname(dir), { recursive: true, force: true });
    sandboxes.push(target);
    return target;
  }

  /** The CLI's main function on `args` (in this process: the same commands, messages and exit codes as the binary). */
  async function run(...args: string[]): Promise<CliResult> {
    const r = await cliInProcess(...args);
    runs.push(r);
    return r;
  }

  function editManifest(dir: string, edit: (m: { datasets: { id: string; files?: string[] }[] }) => void): void {
    const file = join(dir, "sandbox.json");
    const m = JSON.parse(readFileSync(file, "utf8")) as { datasets: { id: string; files?: string[] }[] };
    edit(m);
    writeFileSync(file, JSON.stringify(m, null, 2));
  }

  /** `error: CODE …` on stderr (after any progress lines) with every `where`, exit code 1, no stack. */
  function expectRefused(r: CliResult, code: string, ...where: string[]): void {
    expect(r.stderr).toMatch(new RegExp(`^error: ${code} `, "m"));
    for (const w of where) expect(r.stderr).toContain(w);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.status).toBe(1);
  }

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "profile-lab-path-cli-"));
    outside = join(base, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "crm.jsonl"), readFileSync(join(SAMPLE, "datasets/crm-profiles.jsonl")));
    writeFileSync(join(outside, "canary.jsonl"), `${CANARY}\n`);
    writeFileSync(join(outside, "canary.json"), CANARY);
    before = census(base, () => false);
  });

  afterAll(() => {
    // Nothing the commands ran created a file or folder outside their sandboxes.
    expect(census(base, (p) => sandboxes.includes(p))).toEqual(before);
    for (const r of runs) expect(`${r.stdout}${r.stderr}`).not.toContain("canary-");
  });

  it.each([
    ["a relative path out of the sandbox", "../outside/crm.jsonl", "IO-X002", "leads out of the sandbox folder"],
    ["an absolute path", "/etc/passwd", "IO-X001", "absolute paths are not allowed"],
    ["an absolute path to a device", "/dev/zero", "IO-X001", "absolute paths are not allowed"],
  ])("check --data: %s in files is refused at its JSON path before anything is read", async (_, entry, code, message) => {
    const dir = sample();
    editManifest(dir, (m) => {
      m.datasets[1]!.files = ["datasets/loyalty-members.jsonl", entry];
    });
    expectRefused(await run("check", "--data", "--sandbox", dir), code, "$.datasets[1].files[1]", message);
  });

  it("check --data: links out, devices and FIFOs are each refused at their entry; a link inside the sandbox is read", async () => {
    const dir = sample();
    symlinkSync(join(outside, "crm.jsonl"), join(dir, "datasets/linked-out.jsonl"));
    symlinkSync(outside, join(dir, "datasets/linked-folder"));
    symlinkSync("/dev/zero", join(dir, "datasets/zero.jsonl"));
    fifo(join(dir, "datasets/pipe.jsonl"));
    symlinkSync("crm-profiles.jsonl", join(dir, "datasets/same.jsonl"));
    writeFileSync(join(dir, "datasets/passwd.jsonl"), `${CANARY}\n`);
    editManifest(dir, (m) => {
      m.datasets[0]!.files = ["datasets/same.jsonl", "datasets/linked-out.jsonl", "datasets/linked-folder/canary.jsonl", "datasets/zero.jsonl", "datasets/pipe.jsonl", "datasets/passwd.jsonl"];
    });
    const r = await run("check", "--data", "--sandbox", dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✓ datasets\/same\.jsonl \(CRM Profiles\): 1,\d{3} rows/);
    expect(r.stdout).toContain('IO-X003 datasets/linked-out.jsonl (sandbox.json at $.datasets[0].files[1]): a symbolic link leads out of the sandbox');
    expect(r.stdout).toContain("IO-X003 datasets/linked-folder/canary.jsonl (sandbox.json at $.datasets[0].files[2])");
    expect(r.stdout).toContain("IO-X003 datasets/zero.jsonl (sandbox.json at $.datasets[0].files[3])");
    expect(r.stdout).toContain('IO-F003 datasets/pipe.jsonl (sandbox.json at $.datasets[0].files[4]): "datasets/pipe.jsonl" is not a regular file');
    expect(r.stdout).toMatch(/IO-J001 datasets\/passwd\.jsonl:1:1: malformed JSON: expected a value .*, found a letter/);
    expect(r.stderr).not.toContain("internal error");
  });

  it("check: a segment definition linked to a file outside is IO-X003", async () => {
    const dir = sample();
    symlinkSync(join(outside, "canary.json"), join(dir, "segments/zz-evil.json"));
    expectRefused(await run("check", "--sandbox", dir), "IO-X003", "segments/zz-evil.json", "a symbolic link leads out of the sandbox");
  });

  it("segment-job: a data file linked out of the sandbox is IO-X003 and no job output is committed", async () => {
    const dir = sample();
    rmSync(join(dir, "datasets/loyalty-members.jsonl"));
    symlinkSync(join(outside, "crm.jsonl"), join(dir, "datasets/loyalty-members.jsonl"));
    expectRefused(await run("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF), "IO-X003", "$.datasets[1].files[0]");
    expect(existsSync(join(dir, ".profile-lab/membership/CURRENT"))).toBe(false);
  });

  it("export: a union dataset id that climbs out of the lake is IO-X004 and writes nothing", async () => {
    const dir = sample();
    const escape = "../../../../escaped-lake";
    editManifest(dir, (m) => {
      m.datasets[4]!.id = escape;
    });
    const request = join(dir, "export-jobs/all-profiles-projection.json");
    writeFileSync(request, readFileSync(request, "utf8").replace("e34187414a7a1f2ebb920497", escape));
    expectRefused(await run("export", "--sandbox", dir, "--request", request, "--as-of", SAMPLE_AS_OF), "IO-X004", "$.datasets[4].id", "is not an identifier");
    expect(existsSync(join(base, "escaped-lake"))).toBe(false);
  });

  it("files read / get: a part file replaced by a link out of the sandbox is DAC-502 and nothing is written to --out", async () => {
    const dir = sample();
    const r = await run("export", "--sandbox", dir, "--request", join(dir, "export-jobs/all-profiles-projection.json"), "--as-of", SAMPLE_AS_OF, "--json");
    if (r.status !== 0) throw new Error(r.stderr);
    const batch = (JSON.parse(r.stdout) as { destination: { batchId: string } }).destination.batchId;
    const part = join(dir, ".profile-lab/lake/datasets/e34187414a7a1f2ebb920497/batches", batch, "part-00000.parquet");
    rmSync(part);
    symlinkSync(join(outside, "canary.json"), part);
    const out = join(dir, "out.parquet");
    expectRefused(await run("files", "read", `${batch}-1`, "--path", "part-00000.parquet", "--out", out, "--sandbox", dir), "DAC-502", "a symbolic link leads out of the sandbox");
    expectRefused(await run("files", "get", `${batch}-1`, "--sandbox", dir), "DAC-502");
    expect(existsSync(out)).toBe(false);
  });

  it("a request file the user names outside the sandbox is read (the folder the user named), but not a device", async () => {
    const dir = sample();
    const request = join(outside, "request.json");
    cpSync(join(dir, "export-jobs/all-profiles-projection.json"), request);
    expect((await run("export", "--sandbox", dir, "--request", request, "--as-of", SAMPLE_AS_OF)).status).toBe(0);
    rmSync(request);
    expectRefused(await run("export", "--sandbox", dir, "--request", "/dev/zero", "--as-of", SAMPLE_AS_OF), "IO-F003", "/dev/zero", "not a regular file");
  });
});
