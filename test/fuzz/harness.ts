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

/**
 * Runs `count` inputs through `run`, timing each (`verify`, the oracle, is not timed); an input over the budget is
 * timed twice more and kept at its fastest. `show` renders an input for the report.
 */
export function fuzz<T>(inputs: (i: number) => T, count: number, run: (input: T) => CheckedOutcome, show: (input: T) => string): FuzzResult {
  const failures: string[] = [];
  const over: Timed[] = [];
  const codes = new Map<string, number>();
  let accepted = 0;
  let slowest: Timed = { ms: 0, input: "" };
  let total = 0;
  for (let i = 0; i < count; i++) {
    const input = inputs(i);
    const t0 = performance.now();
    const outcome = run(input);
    let ms = performance.now() - t0;
    if (ms > INPUT_MS) {
      for (let k = 0; k < 2; k++) {
        const t1 = performance.now();
        run(input);
        ms = Math.min(ms, performance.now() - t1);
      }
      if (ms > INPUT_MS) over.push({ ms, input: show(input) });
    }
    total += ms;
    if (ms > slowest.ms) slowest = { ms, input: show(input) };
    const failure = outcome.failure ?? outcome.verify?.();
    if (failure !== undefined) failures.push(`input #${i} ${clip(show(input))}: ${failure}`);
    else if (outcome.code === undefined) accepted++;
    else codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
  }
  return { count, accepted, codes: Object.fromEntries([...codes].sort()), failures, over, slowest, totalMs: total };
}

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
