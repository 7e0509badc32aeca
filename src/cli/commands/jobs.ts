/** `profile-lab jobs list | get <id> | cancel <id>`: recorded segment and export jobs. */
import { recoverInterruptedJobs } from "../../engine/job-recovery.js";
import type { ExportJob, ExportJobStatus } from "../../export/export-job.js";
import { listExportJobs, type ExportJobList } from "../../export/export-job-list.js";
import type { SegmentJob, SegmentJobStatus } from "../../segment/segment-job.js";
import { listSegmentJobs, type SegmentJobList } from "../../segment/segment-job-list.js";
import { JobControl } from "../../store/job-control.js";
import { SandboxState } from "../../store/sandbox-state.js";
import { formatDateTime } from "../../xdm/time.js";
import { intOption, positional, sandboxOf, stringOption } from "../args.js";
import { UsageError, type CliIo, type CommandRun, type ParsedArgs } from "../command.js";
import { printJson } from "../print.js";
import { table } from "../table.js";

function printJobList(io: CliIo, segmentJobs: SegmentJob[], exportJobs: ExportJob[]): void {
  const rows = [
    ...segmentJobs.map((j) => ["segment", j.id, j.status, formatDateTime(j.creationTime), `${j.metrics.totalProfiles ?? "-"} profiles`] as const),
    ...exportJobs.map((j) => ["export", String(j.id), j.status, formatDateTime(j.creationTime), `${j.metrics.totalExportedProfileCounter ?? "-"} exported`] as const),
  ].sort((a, b) => (a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0));
  io.out(rows.length ? table(["type", "id", "status", "created", "result"], rows.map((r) => [...r])) : "no jobs yet");
}

/** The paging and filter options both lists share, as the list functions take them. */
function listQuery<Status extends string>(args: ParsedArgs): { limit: number; status?: Status; start?: number; sort?: string } {
  const status = stringOption(args, "status") as Status | undefined;
  const sort = stringOption(args, "sort");
  return {
    limit: intOption(args, "limit")!,
    ...(status !== undefined ? { status } : {}),
    ...(args.values["start"] !== undefined ? { start: intOption(args, "start")! } : {}),
    ...(sort !== undefined ? { sort } : {}),
  };
}

export const run: CommandRun = async (args, io) => {
  const [action, id] = args.positionals;
  const dir = sandboxOf(args).dir;
  recoverInterruptedJobs(dir);
  const state = new SandboxState(dir);
  const segmentJobs = state.records<SegmentJob>("segment-jobs");
  const exportJobs = state.records<ExportJob>("export-jobs");
  const type = args.values["type"];
  if (type !== undefined && type !== "segment" && type !== "export") throw new UsageError(`--type must be segment or export, not "${String(type)}"`);
  if (action === "list") {
    const offset = stringOption(args, "offset");
    const exportList = (): ExportJobList =>
      listExportJobs(exportJobs.all(), {
        ...listQuery<ExportJobStatus>(args),
        ...(offset !== undefined ? { offset } : {}),
        ...(args.values["page"] !== undefined ? { page: intOption(args, "page")! } : {}),
      });
    if (args.values["json"]) {
      const segmentList = (): SegmentJobList => listSegmentJobs(segmentJobs.all(), listQuery<SegmentJobStatus>(args));
      printJson(io, type === "export" ? exportList() : type === "segment" ? segmentList() : { segmentJobs: segmentJobs.all(), exportJobs: exportJobs.all() });
    } else {
      printJobList(io, type === "export" ? [] : segmentJobs.all(), type === "segment" ? [] : exportList().records);
    }
    return 0;
  }
  const jobId = positional(id, `jobs ${action!} <id>`);
  const kind = /^\d+$/.test(jobId) ? "export-jobs" : "segment-jobs";
  const job = kind === "export-jobs" ? exportJobs.get(jobId) : segmentJobs.get(jobId);
  if (job === undefined) throw new UsageError(`no ${kind === "export-jobs" ? "export" : "segment"} job with id "${jobId}" (see \`profile-lab jobs list\`)`);
  if (action === "get") {
    printJson(io, job);
    return 0;
  }
  const answer = new JobControl(state.root).cancel(kind, jobId);
  if (answer === undefined) throw new UsageError(`job ${jobId} is not running (status ${job.status}); only running jobs can be cancelled`);
  printJson(io, answer);
  return 0;
};
