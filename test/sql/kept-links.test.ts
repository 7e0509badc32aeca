/**
 * The linked identities a DuckDB job keeps per data version (src/sql/merge/kept-tables.ts, src/engine/data-version.ts):
 * the next job over the same data copies them in (the `--explain-sql` notes say which a job did) and writes the same
 * bytes as a job that links anew; a changed data file, schema or dataset list is another version; a damaged kept
 * file, or the temporary file of a job killed while keeping, is never used.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keptLinksFile } from "../../src/engine/data-version.js";
import { runExportJob } from "../../src/engine/run-export-job.js";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { openSandbox } from "../../src/engine/sandbox.js";
import type { SqlStatement } from "../../src/sql/jobs/engine-session.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
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

/** What a job did with the kept linked identities, read off its trace: copied them in, linked and kept them, or neither. */
type KeptUse = "reused" | "kept" | "neither";

function tracer(): { readonly onSql: (s: SqlStatement) => void; readonly use: () => KeptUse } {
  const notes: string[] = [];
  return {
    onSql: (s) => {
      if (s.note === true) notes.push(s.sql);
    },
    use: () => (notes.some((n) => n.startsWith("linked identities reused from ")) ? "reused" : notes.some((n) => n.startsWith("linked identities kept in ")) ? "kept" : "neither"),
  };
}

async function segmentJob(dir: string): Promise<KeptUse> {
  const t = tracer();
  const job = await runSegmentJob(openSandbox(dir), { asOf, statusModel: "current", engine: "duckdb", workers: 1, onSql: t.onSql });
  expect(job.status).toBe("SUCCEEDED");
  return t.use();
}

/** The export's use of the kept tables and the bytes of each file of each batch, in order. */
async function exportJob(dir: string): Promise<{ readonly use: KeptUse; readonly files: Buffer[] }> {
  const t = tracer();
  const result = await runExportJob(openSandbox(dir), REQUEST, { asOf, statusModel: "current", engine: "duckdb", workers: 1, onSql: t.onSql });
  expect(result.job.status).toBe("SUCCEEDED");
  return { use: t.use(), files: result.batches.flatMap((b) => (b.files ?? []).map((f) => readFileSync(join(dir, f.path)))) };
}

const snapshotOf = (dir: string): string =>
  new SandboxState(dir).membership
    .parts()
    .map((p) => readFileSync(p, "utf8"))
    .join("");

const keptFile = (dir: string): string => {
  const sandbox = openSandbox(dir);
  return keptLinksFile(sandbox, mergeSourcesOf(sandbox));
};
const engineFiles = (dir: string): string[] => (existsSync(new SandboxState(dir).engineDir) ? readdirSync(new SandboxState(dir).engineDir).sort() : []);

describe("kept linked identities", () => {
  it("an export after a segment job copies them in and writes the bytes of an export that links anew; so does the next segment job", async () => {
    const kept = sampleCopy("kept");
    const anew = sampleCopy("anew");
    expect(await segmentJob(kept)).toBe("kept");
    expect(await segmentJob(anew)).toBe("kept");
    rmSync(new SandboxState(anew).engineDir, { recursive: true });
    const [a, b] = [await exportJob(kept), await exportJob(anew)];
    expect([a.use, b.use]).toEqual(["reused", "kept"]);
    expect(a.files.length).toBeGreaterThan(0);
    expect(a.files).toEqual(b.files);
    rmSync(new SandboxState(anew).engineDir, { recursive: true });
    expect([await segmentJob(kept), await segmentJob(anew)]).toEqual(["reused", "kept"]);
    expect(snapshotOf(kept)).toBe(snapshotOf(anew));
    expect(snapshotOf(kept)).not.toBe("");
  }, 300_000);

  it("a data file rewritten as it was, a schema changed or a dataset added is another version: linked anew", async () => {
    const dir = sampleCopy("changes");
    expect(await segmentJob(dir)).toBe("kept");
    expect(await segmentJob(dir)).toBe("reused");
    const data = join(dir, "datasets/loyalty-members.jsonl");
    writeFileSync(data, readFileSync(data));
    expect(await segmentJob(dir)).toBe("kept");

    const schemaFile = join(dir, "schemas/loyalty-profile.schema.json");
    const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as { properties: Record<string, unknown> };
    schema.properties["nickname"] = { type: "string" };
    writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
    expect(await segmentJob(dir)).toBe("kept");

    const manifestFile = join(dir, "sandbox.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { datasets: Array<{ id: string; name: string; files?: string[] }> };
    const loyalty = manifest.datasets.find((d) => d.name === "Loyalty Members")!;
    cpSync(data, join(dir, "datasets/loyalty-members-2.jsonl"));
    manifest.datasets.push({ ...loyalty, id: "0123456789abcdef01234567", name: "Loyalty Members 2", files: ["datasets/loyalty-members-2.jsonl"] });
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    expect(await segmentJob(dir)).toBe("kept");
    expect(await segmentJob(dir)).toBe("reused");
    // The newest other version stays for a job still on it; older ones are removed.
    expect(engineFiles(dir).length).toBe(2);
  }, 300_000);

  it("a damaged kept file is not used: the job links anew and keeps a whole one", async () => {
    const dir = sampleCopy("damaged");
    expect(await segmentJob(dir)).toBe("kept");
    const file = keptFile(dir);
    writeFileSync(file, "not a database, garbage ".repeat(1000));
    expect(await segmentJob(dir)).toBe("kept");
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    expect(await segmentJob(dir)).toBe("kept");
    expect(await segmentJob(dir)).toBe("reused");
  }, 300_000);

  it("the file a job killed while keeping was writing is never used, and is removed once its process is gone", async () => {
    const dir = sampleCopy("killed");
    expect(await segmentJob(dir)).toBe("kept");
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
    expect(await segmentJob(dir)).toBe("kept");
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(file)).toBe(true);
  }, 300_000);
});
