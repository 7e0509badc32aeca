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

describe("statements side by side (runEach)", () => {
  it("out of memory, those not done run one after another; one failing alone too fails the job with SQL-E003", async () => {
    const tempDir = join(root, "side-by-side");
    const traced: SqlStatement[] = [];
    // DuckDB's limit 1 MiB: the table is made in it, the list of a million numbers is not.
    const session = await EngineSession.open({ tempDir, threads: 2, memoryBytes: 2 ** 21, onStatement: (s) => traced.push(s) }, () => undefined);
    const small = "CREATE TABLE small AS SELECT 1 AS x";
    const large = "SELECT max(l) FROM (SELECT list(i) AS l FROM range(1000000) AS r(i))";
    const ended: Array<[number, boolean]> = [];
    try {
      const error = await session.runEach([small, large], (index, _ms, failed) => ended.push([index, failed !== undefined])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "SQL-E003" });
      expect(String((error as Error).message)).toContain("--memory");
      expect(await session.rows("SELECT x FROM small")).toEqual([{ x: 1 }]);
      const runs = (sql: string): SqlStatement[] => traced.filter((s) => s.sql === sql);
      // The small one ran once (beside the large one, or alone after it if the large one's failure stopped it first).
      expect(runs(small).filter((s) => s.failed === undefined)).toHaveLength(1);
      // The large one beside it, then alone (as `run` runs it: on both threads, then again on one).
      expect(runs(large).map((s) => s.failed)).toEqual(Array.from({ length: 3 }, () => expect.stringContaining("Out of Memory")));
      expect(traced.some((s) => s.note === true && s.sql.includes("out of memory with 2 statements side by side"))).toBe(true);
      expect(ended.filter(([index, failed]) => index === 0 && !failed)).toHaveLength(1);
      expect(ended.filter(([index, failed]) => index === 1 && failed)).toHaveLength(2);
    } finally {
      session.close();
    }
  });
});
