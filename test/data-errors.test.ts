/**
 * Data files that cannot be read, through the real CLI: each is one located, coded error on stderr (exit code
 * 1), never `internal error`, a wasm stack or a JavaScript stack.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, cliInProcess, SAMPLE_AS_OF, type CliResult } from "./helpers/cli.js";

let base: string;

beforeAll(() => {
  base = join(mkdtempSync(join(tmpdir(), "profile-lab-data-errors-")), "generated");
  const r = cli("generate", base, "--profiles", "300", "--events-per-profile", "5", "--quiet");
  if (r.status !== 0) throw new Error(r.stderr);
});

/** A fresh copy of the generated sandbox. */
function sandbox(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-data-errors-")), "sandbox");
  cpSync(base, dir, { recursive: true });
  return dir;
}

interface Manifest {
  datasets: { name: string; files?: string[] }[];
}

function editManifest(dir: string, edit: (m: Manifest) => void): void {
  const file = join(dir, "sandbox.json");
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  edit(m);
  writeFileSync(file, JSON.stringify(m, null, 2));
}

/** The events dataset's part file (the largest) and its index in sandbox.json. */
function eventsFile(dir: string): { rel: string; index: number } {
  const m = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as Manifest;
  const index = m.datasets.findIndex((d) => d.name === "Web and Commerce Events");
  return { rel: m.datasets[index]!.files![0]!, index };
}

function segmentJob(dir: string, ...extra: string[]): CliResult {
  return cli("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF, ...extra);
}

/**
 * One `error: CODE …` line naming `where`, exit code 1, and nothing a user should not see (a progress line may
 * come first when the machine is slow enough for the job to report progress).
 */
function expectLocatedFailure(r: CliResult, code: string, ...where: string[]): void {
  expect(r.stderr).toMatch(new RegExp(`^error: ${code} `, "m"));
  for (const w of where) expect(r.stderr).toContain(w);
  expect(r.stderr).not.toContain("internal error");
  expect(r.stderr).not.toContain("wasm://");
  expect(r.stderr).not.toContain("RuntimeError");
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.status).toBe(1);
}

describe("data files the jobs cannot read", () => {
  it.each([
    ["the folder of a dataset's part files", "datasets/crm-profiles", '"datasets/crm-profiles" is a directory, not a data file: list the files inside it one by one ("datasets/crm-profiles/part-00000.parquet")'],
    ["a folder named like a JSON Lines file", "datasets/crm.jsonl", '"datasets/crm.jsonl" is a directory, not a data file'],
    ["a folder named like a Parquet file", "datasets/crm.parquet", '"datasets/crm.parquet" is a directory, not a data file'],
  ])("a files entry that is %s is IO-F003 at its sandbox.json entry", (_, entry, message) => {
    const dir = sandbox();
    mkdirSync(join(dir, entry), { recursive: true });
    editManifest(dir, (m) => {
      m.datasets[0]!.files = [entry];
    });
    expectLocatedFailure(segmentJob(dir), "IO-F003", `${join(dir, "sandbox.json")} at $.datasets[0].files[0]: ${message}`);
  });

  it("a files entry that does not exist is IO-F001 at its sandbox.json entry", () => {
    const dir = sandbox();
    editManifest(dir, (m) => {
      m.datasets[0]!.files!.push("datasets/crm-profiles/part-00001.parquet");
    });
    expectLocatedFailure(segmentJob(dir), "IO-F001", `${join(dir, "sandbox.json")} at $.datasets[0].files[1]: data file "datasets/crm-profiles/part-00001.parquet" not found`);
  });

  it.each([[[]], [["--workers", "2"]]])("a Parquet file with 4 KB of garbage in its middle is IO-P003 naming the file and its row group (options %j)", (options) => {
    const dir = sandbox();
    const { rel } = eventsFile(dir);
    const bytes = readFileSync(join(dir, rel));
    for (let i = 0; i < 4096; i++) bytes[(bytes.length >> 1) + i] = (i * 7919 + 13) & 0xff;
    writeFileSync(join(dir, rel), bytes);
    const r = segmentJob(dir, ...options);
    expectLocatedFailure(r, "IO-P003", `${join(dir, rel)}: damaged Parquet file: the data of row group 0 of 1 (rows 1–`, "does not decode; write it again");
  });

  it("a truncated Parquet file is IO-P001 naming the file", () => {
    const dir = sandbox();
    const { rel } = eventsFile(dir);
    truncateSync(join(dir, rel), Math.floor(readFileSync(join(dir, rel)).length / 3));
    expectLocatedFailure(segmentJob(dir), "IO-P001", `${join(dir, rel)}: not a readable Parquet file: it does not end with the Parquet magic number PAR1 (truncated`);
  });

  it("a text file with a .parquet name is IO-P001 naming the file", () => {
    const dir = sandbox();
    const { rel } = eventsFile(dir);
    writeFileSync(join(dir, rel), '{"_id": "e1", "timestamp": "2026-10-01T00:00:00Z"}\n'.repeat(50));
    expectLocatedFailure(segmentJob(dir), "IO-P001", `${join(dir, rel)}: not a readable Parquet file: it does not start with the Parquet magic number PAR1`);
  });
});

/** A valid CRM Profiles line (the generated schema: person.gender an enum, person.birthYear an int). */
const CRM_LINE = {
  _id: "r1",
  identityMap: { CRMID: [{ id: "CRM1", authenticatedState: "authenticated", primary: true }] },
  person: { name: { firstName: "Ada" }, birthYear: 1980, gender: "female" },
  _acp_system_metadata: { ingestTime: "2026-10-01T00:00:00Z" },
};

/** A value nested `levels` objects deep, as JSON text (JSON.stringify itself cannot write one this deep). */
const deepJson = (levels: number): string => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;

describe("rows that break their schema are stopped at their source line, by jobs and by check --data alike", () => {
  /** The CRM dataset as one JSON Lines file: a valid line, then `bad` (JSON text) on line 2. */
  function sandboxWithLine(bad: string): string {
    const dir = sandbox();
    writeFileSync(join(dir, "datasets/crm.jsonl"), `${JSON.stringify(CRM_LINE)}\n${bad}\n`);
    editManifest(dir, (m) => {
      m.datasets.find((d) => d.name === "CRM Profiles")!.files = ["datasets/crm.jsonl"];
    });
    return dir;
  }
  const withPerson = (person: object): string => JSON.stringify({ ...CRM_LINE, person: { ...CRM_LINE.person, ...person } });

  it.each([
    ["a gender outside the schema's enum", withPerson({ gender: "robot" }), "$.person.gender", '"robot" is not one of the values the schema allows (enum): "male", "female", "not_specified", "non_specific"'],
    ["a birthYear no int holds", withPerson({ birthYear: 3000000000 }), "$.person.birthYear", "3000000000 does not fit an int field (-2,147,483,648 to 2,147,483,647)"],
    ["a 100,000-deep object in a field", withPerson({ name: "@" }).replace('"@"', deepJson(100_000)), "$.person", "the value nests objects and arrays deeper than 1,000 levels (the limit on data)"],
    ["a 100,000-deep ingestion time", JSON.stringify(CRM_LINE).replace('"2026-10-01T00:00:00Z"', deepJson(100_000)), "$._acp_system_metadata.ingestTime", 'not a timestamp: {"a":{"a":{"a":{…}}}}'],
  ])("%s is IO-D001 at the line and JSON path", async (_, bad, jsonPath, message) => {
    const dir = sandboxWithLine(bad);
    // In this process: what is tested is the error the CLI prints, not the process (the files above are).
    expectLocatedFailure(await cliInProcess("segment-job", "--sandbox", dir, "--as-of", SAMPLE_AS_OF), "IO-D001", `datasets/crm.jsonl:2 at ${jsonPath}: ${message}`);
    const check = await cliInProcess("check", "--sandbox", dir, "--data", "--json");
    expect(check.status).toBe(1);
    const report = JSON.parse(check.stdout) as { data: { errors: unknown[] } };
    expect(report.data.errors).toEqual([expect.objectContaining({ code: "IO-D001", file: "datasets/crm.jsonl", line: 2, jsonPath, message: expect.stringContaining(message) })]);
  });
});
