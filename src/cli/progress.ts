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

export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr, clock: () => number = Date.now): ProgressReporter {
  const live = stream.isTTY === true;
  const start = clock();
  let last = live ? 0 : start;
  let shown = false;
  return {
    onProgress(p) {
      const now = clock();
      if (now - last < (live ? 250 : 10_000)) return;
      last = now;
      const seconds = (now - start) / 1000;
      const rate = seconds > 0 ? Math.round(p.profiles / seconds).toLocaleString("en-US") : "–";
      const text = `${label}: ${p.profiles.toLocaleString("en-US")} profiles, shard ${p.shard + 1}, ${rate} profiles/s, ${seconds.toFixed(0)} s`;
      stream.write(live ? `\r${text}\x1b[K` : `${text}\n`);
      shown = true;
    },
    done() {
      if (live && shown) stream.write("\r\x1b[K");
    },
  };
}
