/**
 * The SQL export (src/sql/export) against the JS export (src/engine/run-export-job.ts): after the same segment job,
 * for the same requests, every batch has the same files (names, row counts), each file the same columns and types
 * (DuckDB's DESCRIBE) and the same rows in the same order, read back by DuckDB, and the job's counters agree — on
 * sample-data and generated sandboxes (JSON Lines and Parquet), with and without external audiences, for the
 * sandboxes' own requests and for per-segment batches, projections through maps and arrays, status and qualification filters,
 * event lists with windows, empty profiles, split files and a person over the identity graph limit. The SQL files are
 * byte-identical for 1 and 4 threads, and with the merge in one run or in several (mergeProfilesSql `parts`).
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchSpecs, exportContext } from "../../src/engine/export-shard.js";
import { runExportJob, type ExportResult } from "../../src/engine/run-export-job.js";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { openSandbox, type Sandbox } from "../../src/engine/sandbox.js";
import { generateSandbox } from "../../src/generate/index.js";
import { DuckDbSession } from "../../src/sql/merge/duckdb-session.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { createAudiencesTable } from "../../src/sql/export/memberships.js";
import { SqlExportError, writeExportSql, type SqlExportResult } from "../../src/sql/export/export-sql.js";
import { DUCKDB } from "../../src/sql/duckdb.js";
import { SqlCompileError } from "../../src/sql/errors.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { object, scalar } from "../../src/xdm/xdm-type.js";
import type { MergePolicy } from "../../src/xdm/types.js";

const ASOF = Date.parse("2026-11-01T00:00:00Z");
const DAY = 86_400_000;
const scratch = mkdtempSync(join(tmpdir(), "profile-lab-export-sql-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One DuckDB to read every file back with (the reader, not the writer, of the SQL export's files). */
let reader: DuckDBConnection;
beforeAll(async () => {
  reader = await (await DuckDBInstance.create(":memory:", { temp_directory: join(scratch, "reader-tmp") })).connect();
  await reader.run("SET TimeZone = 'UTC'");
});

async function readBack(file: string): Promise<{ schema: string; rows: string[] }> {
  const path = `'${file.replace(/'/g, "''")}'`;
  const schema = (await reader.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${path})`)).getRowObjectsJson().map((r) => `${r["column_name"]} ${r["column_type"]}`);
  const rows = (await reader.runAndReadAll(`SELECT * FROM read_parquet(${path})`)).getRowObjectsJson().map((r) => JSON.stringify(r));
  return { schema: schema.join(", "), rows };
}

// ------------------------------------------------------------------ sandboxes

/**
 * Writes external audiences over some of the sandbox's identities (known from a first SQL merge): two namespaces, an
 * audience whose id is shared by two documents (ties between identities of one profile), expired memberships, a
 * namespace that differs from another only in case, and a segment id that JavaScript orders first (an array index).
 */
async function addAudiences(dir: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1", temp_directory: join(dir, ".tmp-audiences") });
  const connection = await instance.connect();
  const session = await DuckDbSession.open(connection);
  await SqlMerge.prepare(session, mergeSourcesOf(openSandbox(dir, { segments: false })));
  const keys = (await session.rows("SELECT k FROM pl_keys ORDER BY id")).map((r) => String(r["k"]));
  connection.closeSync();
  instance.closeSync();
  rmSync(join(dir, ".tmp-audiences"), { recursive: true, force: true });
  const identity = (k: string): string => {
    const colon = k.indexOf(":");
    return `${k.slice(0, colon).toUpperCase()}:${k.slice(colon + 1)}`;
  };
  const at = (i: number): string => new Date(ASOF - (i % 40) * DAY).toISOString();
  const members = (step: number, offset: number, expire: boolean) =>
    keys
      .filter((_, i) => i % step === offset)
      .map((k, i) => ({
        identity: identity(k),
        lastQualificationTime: at(i * 3),
        ...(expire && i % 4 === 0 ? { validUntil: new Date(ASOF - DAY).toISOString() } : i % 5 === 0 ? { validUntil: new Date(ASOF + 30 * DAY).toISOString() } : {}),
        ...(i % 9 === 0 ? { status: "exited" } : {}),
      }));
  mkdirSync(join(dir, "audiences"), { recursive: true });
  const docs = [
    { id: "aam-high-value", name: "AAM high value", namespace: "AAM", members: members(3, 0, true) },
    { id: "aam-high-value", name: "AAM high value (second upload)", namespace: "AAM", members: members(4, 1, false) },
    { id: "42", name: "Indexed", namespace: "AAM", members: members(5, 2, true) },
    { id: "upload-1", name: "Upload", namespace: "Upload", members: members(6, 3, false) },
    { id: "upload-2", name: "Upload, other case", namespace: "upload", members: members(7, 1, false) },
  ];
  docs.forEach((doc, i) => writeFileSync(join(dir, `audiences/a${i}.json`), JSON.stringify(doc)));
}

interface Prepared {
  readonly dir: string;
  readonly sandbox: Sandbox;
  /** The sandbox's export requests (export-jobs/*.json) and the test's own, by name. */
  readonly requests: ReadonlyArray<readonly [string, object]>;
}

/** Requests beyond the sandbox's own, over its segments and policies. */
function extraRequests(sandbox: Sandbox): Array<[string, object]> {
  const datasetId = sandbox.datasets.find((d) => d.kind === "union")!.entry.id;
  const destination = { datasetId };
  const base = { destination, schema: { name: "_xdm.context.profile" } };
  const segs = sandbox.segments.map((s) => s.definition.id);
  const policies = sandbox.policies.all();
  const pdg = policies.find((p) => p.identityGraph.type === "pdg") ?? policies[0]!;
  return [
    ["every profile, every field, split into files of 97 rows", { ...base, mergePolicy: { id: pdg.id } }],
    [
      "per-segment batches with every status, projected through maps and arrays",
      {
        ...base,
        fields: "identityMap.ECID,identityMap.Email,segmentMembership.ups,segmentMembership.AAM,person.name.firstName,productListItems.SKU,loyalty",
        mergePolicy: { id: pdg.id },
        filter: { segments: [...segs.slice(0, 4).map((segmentId) => ({ segmentId, status: ["realized", "exited"] })), { segmentId: "aam-high-value", segmentNs: "aam" }, { segmentId: "upload-2", segmentNs: "UPLOAD" }] },
        destination: { datasetId, segmentPerBatch: true },
      },
    ],
    [
      "members qualified before the last job, with all their events ingested in a window",
      {
        ...base,
        fields: "identityMap,segmentMembership",
        filter: {
          segments: segs.slice(0, 8).map((segmentId, i) => ({ segmentId, status: i % 2 === 0 ? ["exited"] : ["realized", "exited"] })),
          segmentQualificationTime: { startTime: "2026-01-01T00:00:00Z", endTime: "2026-10-31T12:00:00Z" },
        },
        additionalFields: { eventList: { filter: { fromIngestTimestamp: "2026-06-01T00:00:00Z", toIngestTimestamp: "2026-10-15T00:00:00Z" } } },
      },
    ],
    [
      "empty profiles updated lately, with projected events",
      {
        ...base,
        fields: "identityMap.ECID,homeAddress",
        mergePolicy: { id: pdg.id },
        filter: { emptyProfiles: true, fromIngestTimestamp: "2026-10-01T00:00:00Z" },
        additionalFields: { eventList: { fields: "timestamp,eventType,commerce.order,productListItems.SKU,identityMap.ECID" } },
      },
    ],
    [
      "external audience members only, without their memberships",
      {
        ...base,
        fields: "identityMap,person",
        filter: { segments: [{ segmentId: "42", segmentNs: "AAM", status: ["realized", "exited"] }, { segmentId: "upload-1", segmentNs: "Upload" }, { segmentId: "upload-2", segmentNs: "UPLOAD" }] },
      },
    ],
  ];
}

const prepared = new Map<string, Promise<Prepared>>();

/** A copy of a sandbox with audiences, its segment jobs run by the reference (once per file: the tests share it). */
function prepare(name: string, make: (dir: string) => Promise<void>, audiences: boolean): Promise<Prepared> {
  let p = prepared.get(name);
  if (p === undefined) prepared.set(name, (p = prepareOnce(name.replace(/\W+/g, "-"), make, audiences)));
  return p;
}

async function prepareOnce(name: string, make: (dir: string) => Promise<void>, audiences: boolean): Promise<Prepared> {
  const dir = join(scratch, name);
  await make(dir);
  rmSync(join(dir, ".profile-lab"), { recursive: true, force: true });
  if (audiences) await addAudiences(dir);
  const sandbox = openSandbox(dir);
  // Two segment jobs: memberships that entered, stayed and exited, qualified at two instants.
  for (const asOf of [ASOF - 20 * DAY, ASOF]) await runSegmentJob(sandbox, { asOf, statusModel: "current", workers: 1 });
  const jobs = join(dir, "export-jobs");
  const own = readdirSync(jobs)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(jobs, f), "utf8")) as object] as const);
  return { dir, sandbox, requests: [...own, ...extraRequests(sandbox)] };
}

const ROWS_PER_FILE = (request: string): number | undefined => (request.includes("files of 97 rows") ? 97 : undefined);

// ------------------------------------------------------------------ the SQL side

/** A DuckDB session with the sandbox merged and its membership snapshot and audiences loaded. */
class SqlSide {
  private readonly mergedTables = new Map<string, string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly session: DuckDbSession,
    readonly merge: SqlMerge,
    readonly audiences: string | undefined,
    /** The runs each policy is merged and exported in (default: as many as the memory budget needs). */
    private readonly parts: number | undefined,
  ) {}

  static async open(p: Prepared, threads: number, parts?: number): Promise<SqlSide> {
    const instance = await DuckDBInstance.create(":memory:", { threads: String(threads), temp_directory: join(p.dir, `.tmp-sql-${threads}`) });
    const connection = await instance.connect();
    // The export's files written side by side, as the jobs write them (EngineSession).
    const session = await DuckDbSession.open(connection, () => instance.connect());
    const merge = await SqlMerge.prepare(session, mergeSourcesOf(p.sandbox));
    // The snapshot the segment job left, as the SQL segment job keeps it.
    await session.run("CREATE TEMP TABLE memberships (key VARCHAR, segmentId VARCHAR, status VARCHAR, lastQualificationTime TIMESTAMP, version VARCHAR)");
    const rows = [...(await new SandboxState(p.dir).membership.readAll())].flatMap(([key, entries]) =>
      [...entries].map(([segmentId, e]) => `('${key.replace(/'/g, "''")}', '${segmentId}', '${e.status}', TIMESTAMP '${e.lastQualificationTime.replace("T", " ").replace("Z", "")}', '${e.version ?? ""}')`),
    );
    for (let i = 0; i < rows.length; i += 500) await session.run(`INSERT INTO memberships VALUES ${rows.slice(i, i + 500).join(", ")}`);
    let audiences: string | undefined;
    if (p.sandbox.externalAudiences.size > 0) {
      audiences = "audiences";
      await createAudiencesTable(session, audiences, p.sandbox.externalAudiences, DUCKDB);
    }
    return new SqlSide(instance, connection, session, merge, audiences, parts);
  }

  async mergedOf(policy: MergePolicy): Promise<string> {
    let table = this.mergedTables.get(policy.id);
    if (table === undefined) {
      table = `merged_${this.mergedTables.size}`;
      await this.merge.mergePolicy(policy, table, this.parts === undefined ? {} : { parts: this.parts });
      this.mergedTables.set(policy.id, table);
    }
    return table;
  }

  async export(p: Prepared, body: object, outDir: string, rowsPerFile: number | undefined): Promise<SqlExportResult> {
    const { plan, policy, rowType } = exportContext(p.sandbox, body, "current", undefined);
    const specs = batchSpecs(p.sandbox, plan, 1);
    return writeExportSql(
      this.session,
      {
        merged: await this.mergedOf(policy),
        identityGraph: await this.merge.identityGraphOf(policy),
        memberships: "memberships",
        audiences: this.audiences,
        sources: this.merge.sources,
        fragments: () => this.merge.fragments(),
        policy,
        plan,
        rowType,
        specs,
      },
      {
        asOf: ASOF,
        batchDirs: specs.map((_, i) => join(outDir, `batch-${i}`)),
        ...(rowsPerFile === undefined ? {} : { rowsPerFile }),
        ...(this.parts === undefined ? {} : { runsFor: () => this.parts! }),
      },
    );
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

// ------------------------------------------------------------------ the comparison

let runs = 0;

const references = new Map<string, Promise<ExportResult>>();

/** The reference export of one request, run once per file: on sample-data each costs seconds of CPU. */
function referenceExport(p: Prepared, name: string, body: object): Promise<ExportResult> {
  const at = `${p.dir}\0${name}`;
  let r = references.get(at);
  if (r === undefined) {
    const rowsPerFile = ROWS_PER_FILE(name);
    references.set(at, (r = runExportJob(openSandbox(p.dir), body, { asOf: ASOF, statusModel: "current", engine: "reference", workers: 1, ...(rowsPerFile === undefined ? {} : { rowsPerFile }) })));
  }
  return r;
}

/** The JS export and the SQL export of one request: the same files, columns, rows and counters. */
async function expectSameExport(p: Prepared, sql: SqlSide, name: string, body: object): Promise<number> {
  const rowsPerFile = ROWS_PER_FILE(name);
  const reference = await referenceExport(p, name, body);
  const out = join(scratch, `sql-out-${++runs}`);
  const got = await sql.export(p, body, out, rowsPerFile);
  const metrics = reference.job.metrics;
  expect({ name, exported: got.exported, byNamespace: got.byNamespace, excluded: got.excludedOverIdentityLimit }).toEqual({
    name,
    exported: metrics.totalExportedProfileCounter,
    byNamespace: metrics.exportedProfileByNamespaceCounter,
    excluded: metrics.excludedProfileCounter?.identityGraphOverLimit ?? 0,
  });
  let rows = 0;
  expect(got.files.length).toBe(reference.batches.length);
  for (const [i, batch] of reference.batches.entries()) {
    expect({ name, batch: i, files: got.files[i]!.map((f) => [f.name, f.rows]) }).toEqual({ name, batch: i, files: batch.files!.map((f) => [f.name, f.rows]) });
    for (const [k, file] of batch.files!.entries()) {
      const expected = await readBack(join(p.dir, file.path));
      const actual = await readBack(join(out, `batch-${i}`, got.files[i]![k]!.name));
      expect({ name, batch: i, file: k, schema: actual.schema }).toEqual({ name, batch: i, file: k, schema: expected.schema });
      const at = expected.rows.findIndex((r, j) => r !== actual.rows[j]);
      expect({ name, batch: i, file: k, count: actual.rows.length, at, row: actual.rows[at] }).toEqual({ name, batch: i, file: k, count: expected.rows.length, at: -1, row: expected.rows[at] });
      rows += expected.rows.length;
    }
  }
  return rows;
}

/** A person with 51 identities in the first profile dataset: left out of stitched profiles (excludedProfileCounter). */
function addOverLimitPerson(dir: string): void {
  const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: Array<{ files?: string[] }> };
  const file = join(dir, manifest.datasets.find((d) => d.files?.[0]?.endsWith(".jsonl"))!.files![0]!);
  const first = JSON.parse(readFileSync(file, "utf8").split("\n")[0]!) as Record<string, unknown>;
  const identityMap = { CRMID: [{ id: "over-limit", primary: true }], Email: Array.from({ length: 50 }, (_, i) => ({ id: `over-limit-${i}@example.com` })) };
  writeFileSync(file, `${JSON.stringify({ ...first, identityMap })}\n`, { flag: "a" });
}

/** Name, how to make it, whether external audiences are added. */
const SANDBOXES: Array<[string, (dir: string) => Promise<void>, boolean]> = [
  ["sample-data with external audiences", async (dir) => cpSync("sample-data", dir, { recursive: true }), true],
  ...([
    [1, "jsonl", true],
    [2, "parquet", true],
    [3, "jsonl", false],
  ] as const).map(
    ([seed, format, audiences]) =>
      [
        `a generated sandbox (seed ${seed}, ${format}${audiences ? ", external audiences" : ""})`,
        async (dir: string) => {
          await generateSandbox(dir, { profiles: 200, eventsPerProfile: 5, seed, referenceTime: "2026-11-01T00:00:00Z", name: `g${seed}`, format, rowsPerFile: 250 });
          if (format === "jsonl") addOverLimitPerson(dir);
        },
        audiences,
      ] as [string, (dir: string) => Promise<void>, boolean],
  ),
];

describe("the SQL export writes the JS export's rows", () => {
  it.each(SANDBOXES)("on %s, for its requests and the test's", async (name, make, audiences) => {
    const p = await prepare(name, make, audiences);
    const sql = await SqlSide.open(p, 2);
    try {
      let rows = 0;
      for (const [request, body] of p.requests) rows += await expectSameExport(p, sql, request, body);
      expect(rows).toBeGreaterThan(200);
    } finally {
      sql.close();
    }
  }, 600_000);
});

describe("the SQL export's files", () => {
  it("are byte-identical for 1 and 4 DuckDB threads, and with the merge and the export in 1 or 3 runs", async () => {
    const p = await prepare(...SANDBOXES[2]!);
    const digests: string[][] = [];
    for (const [threads, parts] of [[1, 1], [4, 1], [2, 3]] as const) {
      const sql = await SqlSide.open(p, threads, parts);
      try {
        const out = join(scratch, `threads-${threads}-parts-${parts}`);
        const files: string[] = [];
        // The test's own requests: split files, per-segment batches, projections, windows, audiences.
        for (const [i, [request, body]] of extraRequests(p.sandbox).entries()) {
          const got = await sql.export(p, body, join(out, String(i)), ROWS_PER_FILE(request));
          got.files.forEach((batch, b) => batch.forEach((f) => files.push(createHash("sha256").update(readFileSync(join(out, String(i), `batch-${b}`, f.name))).digest("hex"))));
        }
        digests.push(files);
      } finally {
        sql.close();
      }
    }
    expect(digests[0]!.length).toBeGreaterThan(10);
    expect(digests[1]).toEqual(digests[0]);
    expect(digests[2]).toEqual(digests[0]);
  }, 600_000);

  it("have the JS writer's Parquet schema but for what DuckDB writes otherwise (timestamp unit, annotations, a group name)", async () => {
    const p = await prepare(...SANDBOXES[0]!);
    const sql = await SqlSide.open(p, 1);
    try {
      // The request the first test exported already (split files: the schema is each file's).
      const [name, body] = p.requests.find(([n]) => n.startsWith("every profile"))!;
      const out = join(scratch, "types-out");
      await sql.export(p, body, out, ROWS_PER_FILE(name));
      const reference = await referenceExport(p, name, body);
      const schemaOf = async (file: string) =>
        (await reader.runAndReadAll(`SELECT name, type, repetition_type AS rep, converted_type AS conv, logical_type AS logical, num_children AS n FROM parquet_schema('${file}')`))
          .getRowObjectsJson()
          .slice(1);
      const js = await schemaOf(join(p.dir, reference.batches[0]!.files![0]!.path));
      const ours = await schemaOf(join(out, "batch-0", "part-00000.parquet"));
      expect(ours.length).toBe(js.length);
      const differences = new Set<string>();
      js.forEach((j, i) => {
        const o = ours[i]!;
        // Names, physical types, repetition and nesting are the same; what differs is collected.
        expect({ at: i, name: o["name"] === "key_value" ? "entries" : o["name"], type: o["type"], rep: o["rep"], n: o["n"] }).toEqual({ at: i, name: j["name"], type: j["type"], rep: j["rep"], n: j["n"] });
        if (o["name"] !== j["name"]) differences.add(`${j["name"]} → ${o["name"]}`);
        const note = (r: Record<string, unknown>): string => `${r["conv"] ?? "-"} ${String(r["logical"] ?? "-").replace(/\(.*/, "")}`;
        if (note(o) !== note(j)) differences.add(`${note(j)} → ${note(o)}${String(o["logical"]).includes("MICROS=MicroSeconds") && String(o["logical"]).includes("isAdjustedToUTC=1") ? " (MICROS, UTC)" : ""}`);
      });
      expect([...differences].sort()).toEqual(
        [
          // The map's repeated group: DuckDB names it key_value (readers go by the MAP annotation).
          "entries → key_value",
          // DuckDB writes no LogicalType on strings, lists, maps, dates; a ConvertedType on integers (INT_64 too: none here).
          "UTF8 StringType → UTF8 -",
          "LIST ListType → LIST -",
          "MAP MapType → MAP -",
          "DATE DateType → DATE -",
          "- - → INT_32 -",
          // No TIMESTAMP(MILLIS) with isAdjustedToUTC from DuckDB: MICROS, still UTC.
          "TIMESTAMP_MILLIS TimestampType → TIMESTAMP_MICROS TimestampType (MICROS, UTC)",
        ].sort(),
      );
    } finally {
      sql.close();
    }
  }, 300_000);
});

describe("the SQL export's errors are coded", () => {
  it("an engine error names the step (SQL-X001), a column DuckDB cannot hold is refused (SQL-U005)", async () => {
    // A generated sandbox: the errors are the same on any, and its DuckDB merge is cheaper than sample-data's.
    const p = await prepare(...SANDBOXES[1]!);
    const sql = await SqlSide.open(p, 1);
    try {
      const [, body] = p.requests.find(([n]) => n.startsWith("every profile"))!;
      const { plan, policy, rowType } = exportContext(p.sandbox, body, "current", undefined);
      const specs = batchSpecs(p.sandbox, plan, 1);
      const input = { merged: await sql.mergedOf(policy), identityGraph: undefined, memberships: "no_such_table", audiences: sql.audiences, sources: mergeSourcesOf(p.sandbox), fragments: () => sql.merge.fragments(), policy, plan, rowType, specs };
      const options = { asOf: ASOF, batchDirs: [join(scratch, "errors-out")] };
      const engine = await writeExportSql(sql.session, input, options).catch((e: unknown) => e);
      expect(engine).toBeInstanceOf(SqlExportError);
      expect(engine).toMatchObject({ code: "SQL-X001", message: expect.stringMatching(/building the segment memberships: .*no_such_table/) });
      const clash = object([...rowType.fields, ["Person", object([["x", scalar("string")]])]]);
      const names = await writeExportSql(sql.session, { ...input, memberships: "memberships", rowType: clash }, options).catch((e: unknown) => e);
      expect(names).toBeInstanceOf(SqlCompileError);
      expect(names).toMatchObject({ code: "SQL-U005" });
    } finally {
      sql.close();
    }
  }, 300_000);
});
