/**
 * Active schedules fire by the wall clock while the server runs: every tick, each sandbox's firings between
 * the previous tick and now run as segment jobs (runSchedules: `source: "scheduler"`, evaluated as of the
 * firing time, a firing never run twice). Firings before the server started are not made up for; `profile-lab
 * schedule run --from … --until …` runs a past window. A tick that is still running when the next is due
 * lets it pass.
 */
import { runSchedules } from "../engine/run-schedules.js";
import type { StatusModel } from "../segment/membership.js";
import type { SandboxRegistry } from "./sandboxes.js";

/** How often the server looks for due firings (schedules fire at most once a day). */
export const SCHEDULE_TICK_MS = 30_000;

export interface ScheduleTrigger {
  /** Stops the ticks and waits for the one running, if any. */
  stop(): Promise<void>;
}

export function startScheduleTrigger(registry: SandboxRegistry, options: { clock: () => number; statusModel: StatusModel; tickMs: number; onFailure: (e: unknown) => void }): ScheduleTrigger {
  let from = options.clock();
  let running: Promise<void> | undefined;
  const tick = async (): Promise<void> => {
    const until = options.clock();
    for (const { sandbox } of registry.list()) {
      if (sandbox === undefined) continue;
      await runSchedules(sandbox, { from, until, statusModel: options.statusModel, clock: options.clock }).catch(options.onFailure);
    }
    from = until;
  };
  const timer = setInterval(() => {
    running ??= tick().finally(() => (running = undefined));
  }, options.tickMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
