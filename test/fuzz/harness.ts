/**
 * What every fuzz suite shares (issue 17, part 7): its settings from the environment, the timed loop that runs each
 * input and keeps the outcome, and the report (printed, and merged into PROFILE_LAB_FUZZ_REPORT as JSON).
 *
 * Environment: PROFILE_LAB_FUZZ_RUNS (inputs per suite; each suite sets its own default), PROFILE_LAB_FUZZ_SEED
 * (default 17), PROFILE_LAB_FUZZ_INPUT_MS (per-input budget, default 1,000 ms; an input over it is timed twice more
 * and counts only if its fastest run is over too), PROFILE_LAB_FUZZ_REPORT (a file to write the figures to).
 */
import { readFileSync, writeFileSync } from "node:fs";

export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined || v === "" ? NaN : Number(v.replace(/_/g, ""));
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

export const SEED = envInt("PROFILE_LAB_FUZZ_SEED", 17);
export const INPUT_MS = envInt("PROFILE_LAB_FUZZ_INPUT_MS", 1000);
/** The number of inputs a suite runs: PROFILE_LAB_FUZZ_RUNS, or the suite's small CI default. */
export const fuzzRuns = (ciDefault: number): number => envInt("PROFILE_LAB_FUZZ_RUNS", ciDefault);

/** What happened to one input. */
export interface Outcome {
  /** The code of the coded error that refused the input, if any. */
  readonly code?: string;
  /** What broke: an exception that is not one of our coded errors, a broken round trip or property. */
  readonly failure?: string;
}

export type CheckedOutcome = Outcome & { readonly verify?: () => string | undefined };

interface Timed {
  readonly ms: number;
  readonly input: string;
}

export const clip = (s: string): string => (s.length > 160 ? `${JSON.stringify(s.slice(0, 120))}… (${s.length.toLocaleString("en")} characters)` : JSON.stringify(s));

export interface FuzzResult {
  readonly count: number;
  readonly accepted: number;
  readonly codes: Record<string, number>;
  readonly failures: string[];
  readonly over: Timed[];
  readonly slowest: Timed;
  readonly totalMs: number;
}

/** The figures of a run, input by input. */
class Tally<T> {
  private readonly failures: string[] = [];
  private readonly over: Timed[] = [];
  private readonly codes = new Map<string, number>();
  private accepted = 0;
  private slowest: Timed = { ms: 0, input: "" };
  private total = 0;

  constructor(private readonly show: (input: T) => string) {}

  /** Input #i's outcome and time (its fastest, when it was timed again for being over the budget). */
  add(i: number, input: T, outcome: CheckedOutcome, ms: number): void {
    if (ms > INPUT_MS) this.over.push({ ms, input: this.show(input) });
    this.total += ms;
    if (ms > this.slowest.ms) this.slowest = { ms, input: this.show(input) };
    const failure = outcome.failure ?? outcome.verify?.();
    if (failure !== undefined) this.failures.push(`input #${i} ${clip(this.show(input))}: ${failure}`);
    else if (outcome.code === undefined) this.accepted++;
    else this.codes.set(outcome.code, (this.codes.get(outcome.code) ?? 0) + 1);
  }

  result(count: number): FuzzResult {
    const { accepted, failures, over, slowest } = this;
    return { count, accepted, codes: Object.fromEntries([...this.codes].sort()), failures, over, slowest, totalMs: this.total };
  }
}

/** Timed runs of an input over the budget: it is timed twice more and kept at its fastest. */
const RETIMES = 2;

/**
 * The clock inputs are timed on: the CPU time of this process (every thread of it, decoding threads included), in
 * ms — what an input costs whatever else the machine runs; wall time on two shared cores is several times longer.
 */
export const cpuClock = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Runs `count` inputs through `run`, timing each on the CPU clock (`verify`, the oracle, is not timed); an input over the
 * budget is timed twice more and kept at its fastest. `show` renders an input for the report.
 */
export function fuzz<T>(inputs: (i: number) => T, count: number, run: (input: T) => CheckedOutcome, show: (input: T) => string): FuzzResult {
  const tally = new Tally(show);
  for (let i = 0; i < count; i++) {
    const input = inputs(i);
    const t0 = cpuClock();
    const outcome = run(input);
    let ms = cpuClock() - t0;
    for (let k = 0; k < RETIMES && ms > INPUT_MS; k++) {
      const t1 = cpuClock();
      run(input);
      ms = Math.min(ms, cpuClock() - t1);
    }
    tally.add(i, input, outcome, ms);
  }
  return tally.result(count);
}

/** `fuzz` for readers that are asynchronous (Parquet): one input at a time, each awaited. */
export async function fuzzAsync<T>(
  inputs: (i: number) => T,
  count: number,
  run: (input: T) => Promise<CheckedOutcome>,
  show: (input: T) => string,
): Promise<FuzzResult> {
  const tally = new Tally(show);
  for (let i = 0; i < count; i++) {
    const input = inputs(i);
    const t0 = cpuClock();
    const outcome = await run(input);
    let ms = cpuClock() - t0;
    for (let k = 0; k < RETIMES && ms > INPUT_MS; k++) {
      const t1 = cpuClock();
      await run(input);
      ms = Math.min(ms, cpuClock() - t1);
    }
    tally.add(i, input, outcome, ms);
  }
  return tally.result(count);
}

/** A seeded source of numbers in [0, 1) (rng in test/pql/fixtures.ts). */
export type Rand = () => number;
/** A whole number in [0, n). */
export const int = (r: Rand, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)] as T;
/** Log-uniform in [lo, hi]: mostly small, sometimes at (or past) a limit. */
export const logInt = (r: Rand, lo: number, hi: number): number => Math.floor(Math.exp(Math.log(lo) + r() * (Math.log(hi + 1) - Math.log(lo))));

/** Prints a suite's figures and, with PROFILE_LAB_FUZZ_REPORT set, merges them into that JSON file under `name`. */
export function report(name: string, r: FuzzResult, acceptedMeans = "accepted"): void {
  const lines = [
    `${name}: ${r.count.toLocaleString("en")} inputs (seed ${SEED}), ${r.accepted.toLocaleString("en")} ${acceptedMeans}, the rest refused with: ${JSON.stringify(r.codes)}`,
    `  uncoded exceptions or broken properties: ${r.failures.length}; inputs over ${INPUT_MS} ms: ${r.over.length}; mean ${(r.totalMs / r.count).toFixed(2)} ms`,
    `  slowest: ${r.slowest.ms.toFixed(1)} ms on ${clip(r.slowest.input)}`,
    ...r.over.slice(0, 10).map((o) => `  over budget: ${o.ms.toFixed(1)} ms on ${clip(o.input)}`),
  ];
  console.log(lines.join("\n"));
  const file = process.env["PROFILE_LAB_FUZZ_REPORT"];
  if (file !== undefined && file !== "") {
    const previous = (() => {
      try {
        return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      } catch {
        return {};
      }
    })();
    const { failures, over, slowest, ...figures } = r;
    previous[name] = { ...figures, seed: SEED, inputMs: INPUT_MS, failures: failures.slice(0, 50), over: over.map((o) => ({ ms: o.ms, input: clip(o.input) })), slowest: { ms: slowest.ms, input: clip(slowest.input) } };
    writeFileSync(file, `${JSON.stringify(previous, null, 2)}\n`);
  }
}
