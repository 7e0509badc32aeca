import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ids, writeSandbox } from "../../test/helpers/sandbox.js";
import { ParquetFileWriter } from "../io/parquet-writer.js";
import { ProfileLabError } from "../xdm/errors.js";
import type { JsonObject } from "../xdm/types.js";
import { IDENTITY_MAP_TYPE, object, scalar } from "../xdm/xdm-type.js";
import { checkSandboxData, formatDataCheck, formatDataIssue, pathGroup, type DataCheckProgress, type RowIssue } from "./check-data.js";
import { dataFiles } from "./data-files.js";
import { toFragment } from "./load-data.js";
import { openSandbox } from "./sandbox.js";

const PROFILE_SCHEMA_ID = "https://example.com/schemas/profile";
const INGEST = { _acp_system_metadata: { ingestTime: "2024-05-01T00:00:00Z" } };

/** The test profile schema as written to Parquet, plus a field it does not have (`loyalty.points`) and the system column. */
const PARQUET_ROW = object([
  ["identityMap", IDENTITY_MAP_TYPE],
  ["person", object([["name", object([["firstName", scalar("string")]])]])],
  ["loyalty", object([["tier", scalar("string")], ["points", scalar("int")]])],
  ["_acp_system_metadata", object([["ingestTime", scalar("date-time")]])],
]);

async function writeParquet(path: string, rows: readonly JsonObject[], rowGroupSize = 100_000): Promise<void> {
  mkdirSync(join(path, ".."), { recursive: true });
  const w = await ParquetFileWriter.open(path, PARQUET_ROW, { rowGroupSize });
  for (let i = 0; i < rows.length; i += 1000) await w.write(rows.slice(i, i + 1000));
  await w.close();
}

/** `n` Parquet rows; those whose 0-based index is a multiple of 1,000 carry `loyalty.points`, unknown to the schema. */
function parquetRows(n: number): JsonObject[] {
  return Array.from({ length: n }, (_, i): JsonObject => ({
    ...ids("CRMID", `p${i}`),
    person: { name: { firstName: `F${i}` } },
    loyalty: i % 1000 === 0 ? { tier: "gold", points: i } : { tier: "silver" },
    ...INGEST,
  }));
}

/** Adds profile datasets to a sandbox written by writeSandbox (after its three), each listing `files`. */
function addDatasets(dir: string, datasets: { id: string; files: string[] }[]): void {
  const file = join(dir, "sandbox.json");
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  for (const d of datasets) manifest.datasets.push({ id: d.id, name: `${d.id} name`, schemaRef: { id: PROFILE_SCHEMA_ID }, files: d.files });
  writeFileSync(file, JSON.stringify(manifest, null, 2));
}

/** ds_crm (8 lines, 6 bad, one of them malformed JSON, one with two problems), ds_events (4 lines, 3 bad), ds_parquet (5,000 rows, 5 bad). */
async function badSandbox(): Promise<string> {
  const dir = writeSandbox({
    profiles: {
      ds_crm: [
        { ...ids("CRMID", "c1"), person: { name: { firstName: "Ann" } } },
        { ...ids("CRMID", "c2"), person: { name: { firstName: 3 } } },
        { ...ids("CRMID", "c3") },
        { ...ids("CRMID", "c4"), loyalty: { tier: "gold", points: 3 }, homeAddress: { state: 5 } },
      ],
    },
    events: [
      { ...ids("ECID", "e1"), _id: "ev1", timestamp: "2024-05-01T10:00:00Z", eventType: "web" },
      { ...ids("ECID", "e2"), _id: "ev2", timestamp: "2024-02-30T10:00:00Z" },
      { identityMap: { ECID: [{ id: "e3", primary: true }, { id: 5 }, { id: 6 }] }, _id: "ev3", timestamp: "2024-05-01T10:00:00Z" },
      { ...ids("ECID", "e4"), _id: "ev4", timestamp: "2024-05-01T10:00:00Z", _acp_system_metadata: {} },
    ],
  });
  const crm = join(dir, "datasets/ds_crm.jsonl");
  appendFileSync(crm, '{"identityMap": {"CRMID": [{"id": "c5", "primary": true}]}, "person": \n');
  for (const r of [
    { person: { name: { firstName: "No identity" } } },
    { ...ids("CRMID", "c7"), person: { name: { firstName: null } } },
    { ...ids("CRMID", "c8"), person: { name: { firstName: 4 } } },
  ]) {
    appendFileSync(crm, `${JSON.stringify({ ...INGEST, ...r })}\n`);
  }
  await writeParquet(join(dir, "datasets/pq/part-00000.parquet"), parquetRows(5_000), 2_000);
  addDatasets(dir, [{ id: "ds_parquet", files: ["datasets/pq/part-00000.parquet"] }]);
  return dir;
}

describe("checkSandboxData", () => {
  it("reports every bad row of every file, with file, line or row, JSON path, code and message", async () => {
    const report = await checkSandboxData(openSandbox(await badSandbox()));
    expect(report).toMatchObject({ valid: false, complete: true, files: 3, rowsChecked: 8 + 4 + 5_000, badRows: 6 + 3 + 5, errorCount: 7 + 4 + 5, truncated: false, unreadableFiles: 0 });
    expect(report.byFile.map((f) => [f.file, f.format, f.rowsChecked, f.badRows, f.errorCount])).toEqual([
      ["datasets/ds_crm.jsonl", "jsonl", 8, 6, 7],
      ["datasets/ds_events.jsonl", "jsonl", 4, 3, 4],
      ["datasets/pq/part-00000.parquet", "parquet", 5_000, 5, 5],
    ]);
    const where = (i: (typeof report.errors)[number]) => (i.kind === "row" ? [i.file, i.line ?? `row ${i.row}`, i.jsonPath ?? null, i.code] : []);
    expect(report.errors.map(where)).toEqual([
      ["datasets/ds_crm.jsonl", 2, "$.person.name.firstName", "IO-D001"],
      ["datasets/ds_crm.jsonl", 4, "$.loyalty.points", "IO-D001"],
      ["datasets/ds_crm.jsonl", 4, "$.homeAddress.state", "IO-D001"],
      ["datasets/ds_crm.jsonl", 5, null, "IO-J001"],
      ["datasets/ds_crm.jsonl", 6, "$.identityMap", "IO-D001"],
      ["datasets/ds_crm.jsonl", 7, "$.person.name.firstName", "IO-D001"],
      ["datasets/ds_crm.jsonl", 8, "$.person.name.firstName", "IO-D001"],
      ["datasets/ds_events.jsonl", 2, "$.timestamp", "IO-D001"],
      ["datasets/ds_events.jsonl", 3, '$.identityMap["ECID"][1].id', "IO-D001"],
      ["datasets/ds_events.jsonl", 3, '$.identityMap["ECID"][2].id', "IO-D001"],
      ["datasets/ds_events.jsonl", 4, "$._acp_system_metadata.ingestTime", "IO-D001"],
      ...[1, 1001, 2001, 3001, 4001].map((row) => ["datasets/pq/part-00000.parquet", `row ${row}`, "$.loyalty.points", "IO-D001"]),
    ]);
    const malformed = report.errors[3] as RowIssue;
    expect(malformed).toMatchObject({ column: expect.any(Number), message: expect.stringContaining("malformed JSON") });
    expect(report.errors[1]!.message).toBe('field "points" is not in the schema (dataset "ds_crm")');
  });

  it("gives as a row's first problem the error the job stops at", async () => {
    const dir = await badSandbox();
    const sandbox = openSandbox(dir);
    const report = await checkSandboxData(sandbox);
    const [crm] = dataFiles(sandbox);
    const line = readFileSync(crm!.path, "utf8").split("\n")[3]!;
    let jobError: ProfileLabError | undefined;
    try {
      toFragment(crm!.dataset, JSON.parse(line), crm!.rel, 4, 0);
    } catch (e) {
      jobError = e as ProfileLabError;
    }
    expect(report.errors[1]).toMatchObject({ code: jobError!.code, message: jobError!.message, jsonPath: jobError!.location.jsonPath, line: 4 });
  });

  it("groups each file's problems by JSON path (array indexes as [*]), most frequent first, with the first examples", async () => {
    const report = await checkSandboxData(openSandbox(await badSandbox()));
    const groups = report.byFile.map((f) => f.paths.map((p) => [p.jsonPath, p.code, p.count, p.examples.length]));
    expect(groups).toEqual([
      [
        ["$.person.name.firstName", "IO-D001", 3, 3],
        ["$.loyalty.points", "IO-D001", 1, 1],
        ["$.homeAddress.state", "IO-D001", 1, 1],
        [null, "IO-J001", 1, 1],
        ["$.identityMap", "IO-D001", 1, 1],
      ],
      [
        ['$.identityMap["ECID"][*].id', "IO-D001", 2, 2],
        ["$.timestamp", "IO-D001", 1, 1],
        ["$._acp_system_metadata.ingestTime", "IO-D001", 1, 1],
      ],
      [["$.loyalty.points", "IO-D001", 5, 3]],
    ]);
    expect(report.byFile[2]!.paths[0]!.examples.map((e) => e.row)).toEqual([1, 1001, 2001]);
  });

  it("lists up to maxErrors problems but counts them all", async () => {
    const report = await checkSandboxData(openSandbox(await badSandbox()), { maxErrors: 2 });
    expect(report).toMatchObject({ maxErrors: 2, badRows: 14, errorCount: 16, truncated: true });
    expect(report.errors.map((e) => (e.kind === "row" ? e.line : undefined))).toEqual([2, 4]);
    expect(report.byFile[2]!.paths[0]!.count).toBe(5);
    const none = await checkSandboxData(openSandbox(await badSandbox()), { maxErrors: 0 });
    expect(none).toMatchObject({ errors: [], errorCount: 16, truncated: true });
  });

  it("reports a file it cannot read as one problem at its sandbox.json entry and goes on with the others", async () => {
    const dir = writeSandbox({ profiles: { ds_crm: [{ ...ids("CRMID", "c1") }] } });
    await writeParquet(join(dir, "datasets/pq/part-00000.parquet"), parquetRows(10));
    await writeParquet(join(dir, "datasets/damaged.parquet"), parquetRows(30_000));
    const damaged = readFileSync(join(dir, "datasets/damaged.parquet"));
    for (let i = 0; i < 4096; i++) damaged[(damaged.length >> 1) + i] = (i * 7919 + 13) & 0xff;
    writeFileSync(join(dir, "datasets/damaged.parquet"), damaged);
    writeFileSync(join(dir, "datasets/text.parquet"), '{"not": "parquet"}\n');
    writeFileSync(join(dir, "datasets/short.parquet"), readFileSync(join(dir, "datasets/pq/part-00000.parquet")).subarray(0, 300));
    addDatasets(dir, [
      { id: "ds_missing", files: ["datasets/nope.jsonl"] },
      { id: "ds_folder", files: ["datasets/pq", "datasets/pq/part-00000.parquet"] },
      { id: "ds_broken", files: ["datasets/damaged.parquet", "datasets/text.parquet", "datasets/short.parquet", "datasets/pq/part-00000.parquet"] },
    ]);
    const report = await checkSandboxData(openSandbox(dir));
    const unreadable = report.byFile.filter((f) => f.unreadable).map((f) => [f.file, f.unreadable!.code, f.unreadable!.entry]);
    expect(unreadable).toEqual([
      ["datasets/nope.jsonl", "IO-F001", "$.datasets[3].files[0]"],
      ["datasets/pq", "IO-F003", "$.datasets[4].files[0]"],
      ["datasets/damaged.parquet", "IO-P003", "$.datasets[5].files[0]"],
      ["datasets/text.parquet", "IO-P001", "$.datasets[5].files[1]"],
      ["datasets/short.parquet", "IO-P001", "$.datasets[5].files[2]"],
    ]);
    expect(report).toMatchObject({ unreadableFiles: 5, errorCount: 5 + 2, badRows: 2 });
    // The good Parquet file, read twice after the damaged one (whose decoding thread panicked), gives all its rows.
    expect(report.byFile.filter((f) => f.file === "datasets/pq/part-00000.parquet").map((f) => [f.rowsChecked, f.badRows])).toEqual([
      [10, 1],
      [10, 1],
    ]);
    const byFile = new Map(report.byFile.map((f) => [f.file, f.unreadable?.message ?? ""]));
    expect(byFile.get("datasets/pq")).toContain('"datasets/pq" is a directory, not a data file: list the files inside it one by one ("datasets/pq/part-00000.parquet")');
    expect(byFile.get("datasets/damaged.parquet")).toMatch(/^damaged Parquet file: the data of row group 0 of 1 \(rows 1–30,000\), columns? .+ does not decode/);
    expect(byFile.get("datasets/text.parquet")).toContain("does not start with the Parquet magic number");
    expect(byFile.get("datasets/short.parquet")).toContain("truncated");
    expect(formatDataIssue(report.byFile.find((f) => f.file === "datasets/nope.jsonl")!.unreadable!)).toBe(
      `IO-F001 datasets/nope.jsonl (sandbox.json at $.datasets[3].files[0]): data file "datasets/nope.jsonl" not found (${join(dir, "datasets/nope.jsonl")}): correct the path or remove the entry`,
    );
  });

  it("checks the datasets named by id or name only, and refuses an unknown one", async () => {
    const sandbox = openSandbox(await badSandbox());
    const some = await checkSandboxData(sandbox, { datasets: ["ds_events", "ds_parquet name"] });
    expect(some.byFile.map((f) => f.datasetId)).toEqual(["ds_events", "ds_parquet"]);
    await expect(checkSandboxData(sandbox, { datasets: ["nope"] })).rejects.toMatchObject({ code: "SBX-004", message: expect.stringContaining("unknown dataset \"nope\"") });
    await expect(checkSandboxData(sandbox, { maxErrors: -1 })).rejects.toMatchObject({ code: "CHK-O001" });
  });

  it("reports progress per file and every 10,000 rows, and stops when its signal is aborted", async () => {
    const dir = writeSandbox({ profiles: { ds_crm: [] } });
    await writeParquet(join(dir, "datasets/pq/part-00000.parquet"), parquetRows(25_000), 10_000);
    addDatasets(dir, [{ id: "ds_parquet", files: ["datasets/pq/part-00000.parquet"] }]);
    const seen: DataCheckProgress[] = [];
    const report = await checkSandboxData(openSandbox(dir), { onProgress: (p) => seen.push(p) });
    expect(report.rowsChecked).toBe(25_000);
    const pq = seen.filter((p) => p.file === "datasets/pq/part-00000.parquet");
    expect(pq.map((p) => [p.fileIndex, p.files, p.fileRows, p.badRows])).toEqual([
      [2, 3, 0, 0],
      [2, 3, 10_000, 10],
      [2, 3, 20_000, 20],
      [2, 3, 25_000, 25],
    ]);
    const controller = new AbortController();
    const stopped = await checkSandboxData(openSandbox(dir), { signal: controller.signal, onProgress: (p) => p.fileRows >= 10_000 && controller.abort() });
    expect(stopped).toMatchObject({ complete: false, valid: false, rowsChecked: 10_000 });
  });

  it("prints as text: files, paths with counts and examples, totals", async () => {
    const report = await checkSandboxData(openSandbox(await badSandbox()));
    const text = formatDataCheck(report);
    expect(text).toContain("✗ datasets/ds_crm.jsonl (ds_crm): 8 rows, 6 bad\n    $.person.name.firstName  IO-D001  ×3\n      IO-D001 datasets/ds_crm.jsonl:2 at $.person.name.firstName: expected a string but found number 3 (dataset \"ds_crm\")");
    expect(text).toContain("    (malformed JSON)  IO-J001  ×1\n      IO-J001 datasets/ds_crm.jsonl:5:");
    expect(text).toContain("    $.loyalty.points  IO-D001  ×5\n      IO-D001 datasets/pq/part-00000.parquet row 1 at $.loyalty.points: ");
    expect(text).toContain("      … 2 more");
    expect(text.split("\n").at(-1)).toBe("16 problems: 14 bad rows; checked 5,012 rows in 3 files.");
    const clean = await checkSandboxData(openSandbox(writeSandbox({ profiles: { ds_crm: [{ ...ids("CRMID", "c1") }] } })));
    expect(clean).toMatchObject({ valid: true, errorCount: 0, errors: [] });
    expect(formatDataCheck(clean)).toBe("✓ datasets/ds_crm.jsonl (ds_crm): 1 row\n✓ datasets/ds_events.jsonl (events): 0 rows\n\nEvery row is valid: 1 row in 2 files.");
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it.each([
    ["$.a[3].b[12]", "$.a[*].b[*]"],
    ['$.identityMap["ECID"][1].id', '$.identityMap["ECID"][*].id'],
    ['$.m["x[1]"][2]', '$.m["x[1]"][*]'],
  ])("groups path %s as %s", (path, group) => {
    expect(pathGroup(path)).toBe(group);
  });
});
