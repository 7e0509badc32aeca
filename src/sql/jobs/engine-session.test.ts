import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EngineSession, JOB_DATABASE, type SqlStatement } from "./engine-session.js";

const root = mkdtempSync(join(tmpdir(), "profile-lab-engine-session-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** DuckDB's checkpoint threshold in a job's session, the statements traced as it started, and whether it had a database file. */
async function settings(onDisk: boolean, memoryBytes: number | undefined): Promise<{ threshold: string; traced: string[]; file: boolean }> {
  const tempDir = join(root, `${onDisk}-${memoryBytes}`);
  const traced: SqlStatement[] = [];
  const session = await EngineSession.open({ tempDir, onDisk, ...(memoryBytes === undefined ? {} : { memoryBytes }), onStatement: (s) => traced.push(s) }, () => undefined);
  const started = traced.map((s) => s.sql);
  try {
    await session.run("CREATE TABLE t AS SELECT range AS i FROM range(1000)");
    const [row] = await session.rows("SELECT current_setting('checkpoint_threshold') AS v");
    return { threshold: String(row!["v"]), traced: started, file: existsSync(join(tempDir, JOB_DATABASE)) };
  } finally {
    session.close();
    expect(existsSync(tempDir)).toBe(false);
  }
}

describe("a job's database file", () => {
  it("is checkpointed only past five times DuckDB's memory limit of write-ahead log, and the settings are traced", async () => {
    // --memory 400m: DuckDB's limit 200 MiB, the log 1,000 MiB.
    const disk = await settings(true, 400 * 2 ** 20);
    expect(disk).toMatchObject({ threshold: "1000.0 MiB", file: true });
    expect(disk.traced).toEqual(expect.arrayContaining(["SET checkpoint_threshold = '1000MiB'", "PRAGMA disable_checkpoint_on_shutdown"]));
    expect((await settings(true, undefined)).threshold).toBe("1.0 GiB");
  });

  it("is not there for a job in memory, which keeps DuckDB's defaults", async () => {
    const memory = await settings(false, 400 * 2 ** 20);
    expect(memory).toMatchObject({ threshold: "16.0 MiB", file: false });
    expect(memory.traced.some((s) => s.includes("checkpoint"))).toBe(false);
  });
});
