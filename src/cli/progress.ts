/**
 * Job progress on stderr, silent for a job's first two seconds (a short job prints nothing): then a live line
 * on a terminal, otherwise a plain line at once and every ten seconds after (so logs stay short).
 */
import type { JobProgress } from "../engine/job-progress.js";

export interface ProgressReporter {
  readonly onProgress: (p: JobProgress) => void;
  /** Clears the live line once the job is over. */
  done(): void;
}

/** A job prints nothing for this long, and its first line as soon as it has passed. */
const JOB_QUIET_MS = 2000;

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const percentOf = (done: number, total: number): string => `${total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100} %`;

/**
 * A line per stage, counting what the job's result counts: `segment job: reading, 120,000 rows, 40,000
 * rows/s, 3 s`, `segment job: identities, policy 1/3, 45 %, 7 s` (`all datasets` first), `segment job: evaluating, policy 2/3,
 * 40,000 / 111,251 profiles (35 %), 5,000 profiles/s, 12 s` (the result's profiles are the largest policy's),
 * `export job: merging, 12,000 profiles exported, 40,000 / 111,251 merged (35 %), 5,000 profiles/s, ETA 14 s,
 * 12 s`, `… writing …`; on DuckDB, the statement's step. Rates and ETAs are per stage (and policy).
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr, clock: () => number = Date.now): ProgressReporter {
  const line = progressLine(stream, clock, { quietMs: JOB_QUIET_MS, firstAfterQuiet: true });
  let stage: string | undefined;
  let stageStart = line.start;
  return {
    onProgress(p) {
      const key = `${p.kind} ${p.jobId} ${p.stage} ${p.policy ?? ""}`;
      if (key !== stage) {
        // The first stage runs from the job's start.
        if (stage !== undefined) stageStart = clock();
        stage = key;
      }
      line.show((now) => `${label}: ${stageText(p, (now - stageStart) / 1000)}, ${duration((now - line.start) / 1000)}`);
    },
    done: () => line.done(),
  };
}

/** What a job is doing, `elapsed` seconds into its stage. */
function stageText(p: JobProgress, elapsed: number): string {
  if (p.step !== undefined) return p.step;
  const rate = (n: number, unit: string): string => `${elapsed > 0 ? fmt(n / elapsed) : "–"} ${unit}/s`;
  const of = (done: number, total: number | undefined, unit: string): string =>
    total !== undefined ? `${fmt(done)} / ${fmt(total)} ${unit} (${percentOf(done, total)})` : `${fmt(done)} ${unit}`;
  const eta = (done: number, total: number | undefined): string => (total !== undefined && done > 0 && done < total ? `, ETA ${duration((elapsed * (total - done)) / done)}` : "");
  const policy = p.policy !== undefined && p.policies !== undefined && p.policies > 1 ? `, policy ${p.policy}/${p.policies}` : "";
  const exported = `${fmt(p.exported ?? 0)} profiles exported`;
  switch (p.stage) {
    case "reading":
      return `reading, ${fmt(p.rows)} rows, ${rate(p.rows, "rows")}`;
    case "identities": {
      // The graph of all datasets, then each merge policy's profiles (rows gone through more than once).
      if (p.totalRows === undefined) return `identities, ${fmt(p.rows)} rows, ${rate(p.rows, "rows")}`;
      const which = p.policy === undefined ? "all datasets" : p.policies !== undefined && p.policies > 1 ? `policy ${p.policy}/${p.policies}` : "merge policy";
      return `identities, ${which}, ${percentOf(p.rows, p.totalRows)}`;
    }
    case "evaluating":
      return `evaluating${policy}, ${of(p.profiles, p.totalProfiles, "profiles")}, ${rate(p.profiles, "profiles")}`;
    case "merging":
      return `merging, ${exported}, ${of(p.profiles, p.totalProfiles, "merged")}, ${rate(p.profiles, "profiles")}${eta(p.profiles, p.totalProfiles)}`;
    case "writing":
      if (p.kind === "export-jobs") return `writing, ${exported}`;
      return `writing memberships${p.totalRows !== undefined ? `, ${percentOf(p.rows, p.totalRows)}` : ""}`;
  }
}

/** Progress of a task whose total is known, e.g. the persons of `generate`. */
export interface CountReporter {
  readonly onProgress: (done: number, total: number) => void;
  /** Clears the live line once the task is over. */
  done(): void;
}

interface LineOptions {
  /** Nothing is shown before this many ms have passed (default 0). */
  readonly quietMs?: number;
  /** Off a terminal, the first line comes as soon as the quiet time is over, not ten seconds in. */
  readonly firstAfterQuiet?: boolean;
}

/**
 * The shared mechanics: throttles to one line every 250 ms on a terminal (rewritten in place) or every ten
 * seconds otherwise, optionally silent at first, and clears a live line at the end.
 */
function progressLine(stream: NodeJS.WriteStream, clock: () => number, options: LineOptions = {}) {
  const live = stream.isTTY === true;
  const start = clock();
  const quietUntil = start + (options.quietMs ?? 0);
  let last = live || options.firstAfterQuiet === true ? -Infinity : start;
  let shown = false;
  return {
    start,
    /** Writes `text(now)` if it is time to; returns nothing. */
    show(text: (now: number) => string): void {
      const now = clock();
      if (now < quietUntil || now - last < (live ? 250 : 10_000)) return;
      last = now;
      const line = text(now);
      stream.write(live ? `\r${line}\x1b[K` : `${line}\n`);
      shown = true;
    },
    done(): void {
      if (live && shown) stream.write("\r\x1b[K");
    },
  };
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/**
 * `label: 120,000 / 1,000,000 persons (12 %), 40,000 persons/s, ETA 22 s, 3 s`. Silent for the first two
 * seconds, so a task that ends sooner prints nothing; then as `progressReporter` (live line on a terminal,
 * a plain line every ten seconds otherwise).
 */
export function countReporter(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr, clock: () => number = Date.now): CountReporter {
  const line = progressLine(stream, clock, { quietMs: 2000 });
  const n = (x: number): string => x.toLocaleString("en-US");
  return {
    onProgress(done, total) {
      line.show((now) => {
        const seconds = (now - line.start) / 1000;
        const rate = seconds > 0 ? done / seconds : 0;
        const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
        const eta = rate > 0 && done < total ? `, ETA ${duration((total - done) / rate)}` : "";
        return `${label}: ${n(done)} / ${n(total)} ${unit} (${percent} %), ${n(Math.round(rate))} ${unit}/s${eta}, ${duration(seconds)}`;
      });
    },
    done: () => line.done(),
  };
}
