/**
 * What a DuckDB job keeps per data version (src/sql/merge/kept-tables.ts, src/engine/data-version.ts): the linked
 * identities, which the next job over the same data copies in (an export copies those only a merge reads when it
 * merges), and each policy's merged profiles, which an export
 * or a segment job after a segment job reads instead of merging (a segment job lists only the events onto them; the
 * `--explain-sql` notes say which a job did); either way the job
 * writes the same bytes as one that builds them anew. A changed data file, schema or dataset list is another version,
 * a changed merge policy another merged file; a damaged kept file, or the temporary file of a job killed while
 * keeping, is never used.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { keptFiles } from "../../src/engine/data-version.js";
import { runExportJob } from "../../src/engine/run-export-job.js";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { openSandbox } from "../../src/engine/sandbox.js";
import type { SqlStatement } from "../../src/sql/jobs/engine-session.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { snapshotText } from "./job-twins.js";
import { REPO, SAMPLE_AS_OF } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-kept-links-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const asOf = Date.parse(SAMPLE_AS_OF);
const REQUEST = JSON.parse(readFileSync(join(REPO, "sample-data/export-jobs/all-profiles-projection.json"), "utf8")) as unknown;

function sampleCopy(name: string): string {
  const dir = join(scratch, name);
  cpSync(join(REPO, "sample-data"), dir, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
  return dir;
}

/** What a job did with kept tables, read off its trace: copied them in, built and kept them, or neither. */
type KeptUse = "reused" | "kept" | "neither";

/** The job's use of the kept linked identities and of the kept merged profiles. */
interface Uses {
  readonly links: KeptUse;
  readonly merged: KeptUse;
}

/** The request's merge policy: the one whose merged profiles `uses` reports (a segment job merges every policy its segments use). */
const POLICY = (REQUEST as { mergePolicy: { id: string } }).mergePolicy.id;

function tracer(): { readonly onSql: (s: SqlStatement) => void; readonly uses: () => Uses } {
  const notes: string[] = [];
  const use = (what: string): KeptUse =>
    notes.some((n) => n.startsWith(`${what} reused from `)) ? "reused" : notes.some((n) => n.startsWith(`${what} kept in `)) ? "kept" : "neither";
  return {
    onSql: (s) => {
      if (s.note === true) notes.push(s.sql.replace(`merged profiles of merge policy ${POLICY} `, "merged profiles "));
    },
    uses: () => ({ links: use("linked identities"), merged: use("merged profiles") }),
  };
}

async function segmentJob(dir: string): Promise<Uses> {
  const t = tracer();
  const job = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb", workers: 1, onSql: t.onSql });
  expect(job.status).toBe("SUCCEEDED");
  return t.uses();
}

/**
 * The export's use of the kept tables, whether it copied in the linked tables only a merge reads (it does when it
 * merges), and the bytes of each file of each batch, in order.
 */
async function exportJob(dir: string, request: unknown = REQUEST): Promise<{ readonly uses: Uses; readonly linksCopied: boolean; readonly files: Buffer[] }> {
  const t = tracer();
  const statements: string[] = [];
  const onSql = (s: SqlStatement): void => {
    statements.push(s.sql);
    t.onSql(s);
  };
  const result = await runExportJob(openSandbox(dir), request, { asOf, statusModel: "current", engine: "duckdb", workers: 1, onSql });
  expect(result.job.status).toBe("SUCCEEDED");
  return {
    uses: t.uses(),
    linksCopied: statements.some((s) => /^CREATE OR REPLACE TABLE pl_frag AS SELECT \* FROM pl_kept\.pl_frag/.test(s)),
    files: result.batches.flatMap((b) => (b.files ?? []).map((f) => readFileSync(join(dir, f.path)))),
  };
}


const keptFile = (dir: string): string => {
  const sandbox = openSandbox(dir);
  return keptFiles(sandbox, mergeSourcesOf(sandbox)).links;
};
/** The file the merged profiles of the request's policy are kept in. */
const keptMergedFile = (dir: string): string => {
  const sandbox = openSandbox(dir);
  return keptFiles(sandbox, mergeSourcesOf(sandbox)).merged(sandbox.policies.get(POLICY));
};
const engineFiles = (dir: string): string[] => (existsSync(new SandboxState(dir).engineDir) ? readdirSync(new SandboxState(dir).engineDir).sort() : []);

describe("kept linked identities and merged profiles", () => {
  it("an export after a segment job copies in both and writes the bytes of an export that builds them anew; the next segment job copies in both and writes the snapshot of one that builds them anew", async () => {
    const kept = sampleCopy("kept");
    const anew = sampleCopy("anew");
    expect(await segmentJob(kept)).toEqual({ links: "kept", merged: "kept" });
    expect(await segmentJob(anew)).toEqual({ links: "kept", merged: "kept" });
    rmSync(new SandboxState(anew).engineDir, { recursive: true });
    const [a, b] = [await exportJob(kept), await exportJob(anew)];
    expect([a.uses, b.uses]).toEqual([
      { links: "reused", merged: "reused" },
      { links: "kept", merged: "neither" },
    ]);
    expect(a.linksCopied).toBe(false);
    expect(a.files.length).toBeGreaterThan(0);
    expect(a.files).toEqual(b.files);
    rmSync(new SandboxState(anew).engineDir, { recursive: true });
    expect([await segmentJob(kept), await segmentJob(anew)]).toEqual([
      { links: "reused", merged: "reused" },
      { links: "kept", merged: "kept" },
    ]);
    expect(await snapshotText(kept)).toBe(await snapshotText(anew));
    expect(await snapshotText(kept)).not.toBe("");
  }, 300_000);

  it("an export with an event list merges itself (the kept profiles have no events); a changed merge policy is another merged file", async () => {
    const dir = sampleCopy("policy");
    await segmentJob(dir);
    const withEvents = JSON.parse(readFileSync(join(REPO, "sample-data/export-jobs/big-spenders-with-events.json"), "utf8")) as unknown;
    const merging = await exportJob(dir, withEvents);
    expect(merging.uses).toEqual({ links: "reused", merged: "neither" });
    expect(merging.linksCopied).toBe(true);
    const before = await exportJob(dir);
    expect(before.uses.merged).toBe("reused");
    const policyFile = join(dir, "merge-policies/time-based-stitched.json");
    const policy = JSON.parse(readFileSync(policyFile, "utf8")) as Record<string, unknown>;
    writeFileSync(policyFile, JSON.stringify({ ...policy, name: `${String(policy["name"])} (renamed)` }, null, 2));
    const renamed = await exportJob(dir);
    expect(renamed.uses).toEqual({ links: "reused", merged: "neither" });
    expect(renamed.files).toEqual(before.files);
    expect((await segmentJob(dir)).merged).toBe("kept");
    expect((await exportJob(dir)).uses.merged).toBe("reused");
  }, 300_000);

  it("a damaged kept merged file is not used: the export merges and writes the same bytes, and the next segment job keeps it anew", async () => {
    const dir = sampleCopy("damaged-merged");
    await segmentJob(dir);
    const whole = await exportJob(dir);
    expect(whole.uses.merged).toBe("reused");
    writeFileSync(keptMergedFile(dir), "not a database, garbage ".repeat(1000));
    const damaged = await exportJob(dir);
    expect(damaged.uses.merged).toBe("neither");
    expect(damaged.files).toEqual(whole.files);
    expect(existsSync(keptMergedFile(dir))).toBe(false);
    expect((await segmentJob(dir)).merged).toBe("kept");
  }, 300_000);

  it("the sandbox opened by another path (relative, with a trailing slash) is the same version", async () => {
    const dir = sampleCopy("paths");
    expect((await segmentJob(dir)).links).toBe("kept");
    expect((await segmentJob(`${relative(process.cwd(), dir)}/`)).links).toBe("reused");
  }, 300_000);

  it("a data file rewritten as it was, a schema changed or a dataset added is another version: linked anew", async () => {
    const dir = sampleCopy("changes");
    expect((await segmentJob(dir)).links).toBe("kept");
    expect((await segmentJob(dir)).links).toBe("reused");
    const data = join(dir, "datasets/loyalty-members.jsonl");
    writeFileSync(data, readFileSync(data));
    expect((await segmentJob(dir)).links).toBe("kept");

    const schemaFile = join(dir, "schemas/loyalty-profile.schema.json");
    const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as { properties: Record<string, unknown> };
    schema.properties["nickname"] = { type: "string" };
    writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
    expect((await segmentJob(dir)).links).toBe("kept");

    const manifestFile = join(dir, "sandbox.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { datasets: Array<{ id: string; name: string; files?: string[] }> };
    const loyalty = manifest.datasets.find((d) => d.name === "Loyalty Members")!;
    cpSync(data, join(dir, "datasets/loyalty-members-2.jsonl"));
    manifest.datasets.push({ ...loyalty, id: "0123456789abcdef01234567", name: "Loyalty Members 2", files: ["datasets/loyalty-members-2.jsonl"] });
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    expect((await segmentJob(dir)).links).toBe("kept");
    expect((await segmentJob(dir)).links).toBe("reused");
    // The newest other version stays for a job still on it; older ones are removed.
    expect(new Set(engineFiles(dir).map((f) => f.slice(0, f.indexOf(".")))).size).toBe(2);
  }, 300_000);

  it("a damaged kept file is not used: the job links anew and keeps a whole one", async () => {
    const dir = sampleCopy("damaged");
    expect((await segmentJob(dir)).links).toBe("kept");
    const file = keptFile(dir);
    writeFileSync(file, "not a database, garbage ".repeat(1000));
    expect((await segmentJob(dir)).links).toBe("kept");
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    expect((await segmentJob(dir)).links).toBe("kept");
    expect((await segmentJob(dir)).links).toBe("reused");
  }, 300_000);

  it("an export does not use a damaged kept file either, merging or not: it links anew and writes the same bytes", async () => {
    const dir = sampleCopy("damaged-export");
    await segmentJob(dir);
    const withEvents = JSON.parse(readFileSync(join(REPO, "sample-data/export-jobs/big-spenders-with-events.json"), "utf8")) as unknown;
    const file = keptFile(dir);
    const bytes = readFileSync(file);
    for (const request of [REQUEST, withEvents]) {
      const whole = await exportJob(dir, request);
      expect(whole.uses.links).toBe("reused");
      const damages = [
        () => writeFileSync(file, "not a database, garbage ".repeat(1000)),
        () => truncateSync(file, Math.floor(bytes.length / 2)),
        // Whole but for a table only a merge reads: what the export copies in first is there, the rest fails later.
        async () => {
          const instance = await DuckDBInstance.create(file);
          const connection = await instance.connect();
          await connection.run("DROP TABLE pl_frag");
          connection.closeSync();
          instance.closeSync();
        },
      ];
      for (const damage of damages) {
        await damage();
        expect((await exportJob(dir, request)).files).toEqual(whole.files);
        writeFileSync(file, bytes);
      }
    }
  }, 300_000);

  it("the file a job killed while keeping was writing is never used, and is removed once its process is gone", async () => {
    const dir = sampleCopy("killed");
    expect((await segmentJob(dir)).links).toBe("kept");
    const file = keptFile(dir);
    const whole = readFileSync(file);
    rmSync(file);
    // What a job killed while keeping leaves: its temporary file, part written, named by its process (gone) …
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    const partial = `${file}.${gone}-0123abcd.tmp`;
    writeFileSync(partial, whole.subarray(0, whole.length / 2));
    // … and one of a job still running (this process): left alone.
    const running = `${file}.${process.pid}-4567cdef.tmp`;
    writeFileSync(running, whole.subarray(0, whole.length / 2));
    expect((await segmentJob(dir)).links).toBe("kept");
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(file)).toBe(true);
  }, 300_000);
});
