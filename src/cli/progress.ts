/**
 * Job progress on stderr: a live line on a terminal, a plain line every ten seconds otherwise (so logs of
 * short jobs stay quiet).
 */
import type { JobProgress } from "../engine/job-progress.js";

export interface ProgressReporter {
  readonly onProgress: (p: JobProgress) => void;
  /** Clears the live line once the job is over. */
  done(): void;
}

/**
 * `segment job: spilling to 8 shards, 600,000 / 12,000,000 rows (5 %), 200,000 rows/s, ETA 57 s, 10 s`, then
 * `segment job: 52,000 profiles, 3/8 shards, 3,400 profiles/s, ETA 40 s, 20 s`. Rates and ETAs are per stage;
 * the ETA of the profiles stage counts finished shards, so it shows once one is done.
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr, clock: () => number = Date.now): ProgressReporter {
  const line = progressLine(stream, clock);
  let stage: JobProgress["stage"] | undefined;
  let stageStart = line.start;
  const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
  return {
    onProgress(p) {
      if (p.stage !== stage) {
        // The first stage runs from the job's start.
        if (stage !== undefined) stageStart = clock();
        stage = p.stage;
      }
      line.show((now) => {
        const elapsed = (now - stageStart) / 1000;
        const total = `${((now - line.start) / 1000).toFixed(0)} s`;
        const rate = (n: number, unit: string): string => `${elapsed > 0 ? fmt(n / elapsed) : "–"} ${unit}/s`;
        if (p.stage === "identities") return `${label}: reading identities, ${fmt(p.rows)} rows, ${rate(p.rows, "rows")}, ${total}`;
        if (p.stage === "spill") {
          const of = p.totalRows ? ` / ${fmt(p.totalRows)} rows (${Math.floor((100 * p.rows) / p.totalRows)} %)` : " rows";
          const eta = p.totalRows && p.rows > 0 ? `, ETA ${duration((elapsed * (p.totalRows - p.rows)) / p.rows)}` : "";
          return `${label}: spilling to ${p.shards} shards, ${fmt(p.rows)}${of}, ${rate(p.rows, "rows")}${eta}, ${total}`;
        }
        const shards = p.shards > 1 ? `, ${p.shardsDone}/${p.shards} shards` : "";
        const eta = p.shards > 1 && p.shardsDone > 0 && p.shardsDone < p.shards ? `, ETA ${duration((elapsed * (p.shards - p.shardsDone)) / p.shardsDone)}` : "";
        return `${label}: ${fmt(p.profiles)} profiles${shards}, ${rate(p.profiles, "profiles")}${eta}, ${total}`;
      });
    },
    done: () => line.done(),
  };
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
}

/**
 * The shared mechanics: throttles to one line every 250 ms on a terminal (rewritten in place) or every ten
 * seconds otherwise, optionally silent at first, and clears a live line at the end.
 */
function progressLine(stream: NodeJS.WriteStream, clock: () => number, options: LineOptions = {}) {
  const live = stream.isTTY === true;
  const start = clock();
  const quietUntil = start + (options.quietMs ?? 0);
  let last = live ? 0 : start;
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
