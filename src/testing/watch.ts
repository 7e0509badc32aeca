/**
 * `profile-lab test --watch`: runs the tests, then reruns those a change touches — a test file itself; the
 * tests naming a segment whose file changed; the tests reading the sandbox's data when a data file changed;
 * every test when a schema, a merge policy or sandbox.json changed. Changes are gathered for a short while
 * before a rerun, so an editor's write-rename-delete is one rerun. `.profile-lab/` is never watched (the
 * tests never write it).
 */
import { watch, type FSWatcher } from "node:fs";
import { resolve, sep } from "node:path";
import { openSandbox, type Sandbox } from "../engine/sandbox.js";
import { STATE_DIR } from "../io/sandbox-files.js";
import { runSegmentTests, testFilesOf, TESTS_DIR, type TestSummary } from "./run-tests.js";
import { readTestFile } from "./test-file.js";

export interface WatchOptions {
  readonly filter?: string;
  /** How long changes are gathered before a rerun, ms. */
  readonly settleMs?: number;
  /** Each run's results, with what caused it (`start`, or the changed paths relative to the sandbox). */
  readonly onRun: (summary: TestSummary, cause: readonly string[]) => void;
  /** A run that could not start (the sandbox's definitions are broken): reported, and the watch goes on. */
  readonly onError: (error: unknown, cause: readonly string[]) => void;
  readonly signal: AbortSignal;
}

/** What a test depends on, read from its file: the segments it names and whether it reads the sandbox's rows. */
function dependsOn(path: string): { readonly segments: readonly string[]; readonly sandboxData: boolean } | undefined {
  try {
    const { test } = readTestFile(path);
    return { segments: test.runs.flatMap((r) => r.expect.flatMap((a) => ("segment" in a ? [a.segment] : []))), sandboxData: test.sandboxData === true };
  } catch {
    return undefined; // a broken file reruns only when it changes itself
  }
}

/** The test files a set of changed paths (relative to the sandbox) touches, given the sandboxes before and after. */
export function touchedTests(dir: string, changed: readonly string[], before: Sandbox, after: Sandbox): string[] {
  const all = testFilesOf(dir);
  const top = (p: string): string => p.split(/[\\/]/)[0]!;
  if (changed.some((p) => ["schemas", "merge-policies", "sandbox.json", "audiences"].includes(top(p)))) return all;
  const out = new Set(all.filter((f) => changed.some((p) => resolve(dir, p) === resolve(f))));
  const segmentFiles = new Set(changed.filter((p) => top(p) === "segments").map((p) => resolve(dir, p)));
  // A segment file's segment, as it was and as it is: a test naming either (by id or name) reruns.
  const names = new Set([before, after].flatMap((s) => s.segments.filter((c) => segmentFiles.has(resolve(c.file))).flatMap((c) => [c.definition.id, c.definition.name])));
  const dataChanged = changed.some((p) => top(p) === "datasets") || changed.some((p) => before.manifest.datasets.some((d) => (d.files ?? []).includes(p)));
  for (const file of all) {
    if (out.has(file)) continue;
    const deps = dependsOn(file);
    if (deps === undefined) continue;
    if ((dataChanged && deps.sandboxData) || deps.segments.some((s) => names.has(s))) out.add(file);
  }
  return [...out].sort();
}

/** Runs the sandbox's tests, then reruns the ones each change touches until `signal` aborts. */
export async function watchSegmentTests(dir: string, options: WatchOptions): Promise<void> {
  const settleMs = options.settleMs ?? 150;
  const filter = options.filter !== undefined ? { filter: options.filter } : {};
  let sandbox: Sandbox | undefined;
  /** Runs every test (at the start, or after the sandbox could not be opened), else those the change touches. */
  const run = async (cause: readonly string[]): Promise<void> => {
    const before = sandbox;
    try {
      sandbox = openSandbox(dir);
    } catch (e) {
      sandbox = undefined;
      options.onError(e, cause);
      return;
    }
    if (before === undefined) return options.onRun(await runSegmentTests(sandbox, filter), cause);
    const files = touchedTests(dir, cause, before, sandbox);
    if (files.length > 0) options.onRun(await runSegmentTests(sandbox, { ...filter, files }), cause);
  };
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  // The first run is chained like the reruns, and the watcher starts before it: a change made as soon as the
  // first results are printed is never missed.
  let running: Promise<void> = Promise.resolve();
  const flush = (): void => {
    timer = undefined;
    const cause = [...pending].sort();
    pending.clear();
    // Runs one after another: a change during a run is picked up by the next.
    running = running.then(() => run(cause));
  };
  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, name) => {
    if (name === null) return;
    const rel = String(name);
    if (rel === STATE_DIR || rel.startsWith(`${STATE_DIR}${sep}`) || rel.startsWith(`${STATE_DIR}/`)) return;
    if (rel === TESTS_DIR) return;
    pending.add(rel.split(sep).join("/"));
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, settleMs);
  });
  try {
    running = run(["start"]);
    await running;
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) return resolve();
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    watcher.close();
    if (timer !== undefined) clearTimeout(timer);
  }
  await running;
}
