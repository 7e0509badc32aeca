/** The human summaries of jobs that several commands print. */
import { join, relative } from "node:path";
import type { ExportResult } from "../engine/run-export-job.js";
import type { Sandbox } from "../engine/sandbox.js";
import type { SegmentJob } from "../segment/segment-job.js";
import type { CliIo } from "./command.js";
import { table } from "./table.js";

export const seconds = (ms: number | undefined): string => (ms === undefined ? "?" : `${(ms / 1000).toFixed(2)} s`);
export const count = (n: number): string => n.toLocaleString("en-US");

export function printSegmentJob(io: CliIo, sandbox: Sandbox, job: SegmentJob): void {
  const m = job.metrics;
  io.out(`Segment job ${job.id} ${job.status} in ${seconds(m.totalTime.totalTimeInMs)}: ${count(m.totalProfiles ?? 0)} profiles`);
  const rows = sandbox.segments
    .filter((s) => m.segmentedProfileCounter?.[s.definition.id] !== undefined)
    .map((s) => {
      const id = s.definition.id;
      const st = m.segmentedProfileByStatusCounter?.[id] ?? {};
      return [s.definition.name, count(m.segmentedProfileCounter![id]!), count(st.realized ?? 0), count(st.existing ?? 0), count(st.exited ?? 0)];
    });
  io.out(table(["segment", "members", "realized", "existing", "exited"], rows, [false, true, true, true, true]));
}

/** Warnings go to stderr whatever the output format, so `--json` keeps them too. */
export function printExportWarnings(io: CliIo, result: ExportResult): void {
  for (const w of result.warnings) io.err(`warning: ${w}`);
}

export function printExport(io: CliIo, sandbox: Sandbox, result: ExportResult, label: string): void {
  const { job, batches } = result;
  io.out(`Export job ${job.id} (${label}) ${job.status} in ${seconds(job.metrics.totalTime.totalTimeInMs)}: ${count(job.metrics.totalExportedProfileCounter ?? 0)} profiles, ${batches.length} batch${batches.length === 1 ? "" : "es"}`);
  const segmentName = (id: string): string => sandbox.segments.find((s) => s.definition.id === id)?.definition.name ?? id;
  const rows = batches.flatMap((b) =>
    (b.files ?? []).map((f) => [b.id, b.tags?.segmentId?.map(segmentName).join(", ") ?? "all profiles", count(f.rows), relative(process.cwd(), join(sandbox.dir, f.path))]),
  );
  io.out(table(["batch", "segment", "rows", "file"], rows, [false, false, true, false]));
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
