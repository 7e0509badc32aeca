/**
 * The `profile-lab` subcommands. Each maps its options onto one library call and prints either a short
 * human summary or, with `--json`, the platform's JSON.
 */
import { writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { checkSandboxSegments, openSandbox, type Sandbox } from "../engine/sandbox.js";
import { runExportJob, type ExportResult } from "../engine/run-export-job.js";
import { runSegmentJob } from "../engine/run-segment-job.js";
import { explain } from "../engine/explain.js";
import { runSchedules, schedulesOf } from "../engine/run-schedules.js";
import { parseMemorySize } from "../engine/partition.js";
import { Catalog } from "../store/catalog.js";
import { DataAccess, parseRangeHeader } from "../store/data-access.js";
import { MergePolicyStore } from "../merge/merge-policy-store.js";
import type { ExportJob, ExportJobStatus } from "../export/export-job.js";
import { listExportJobs, type ExportJobList } from "../export/export-job-list.js";
import { recoverInterruptedJobs } from "../engine/job-recovery.js";
import { JobControl } from "../store/job-control.js";
import { DEFAULT_ROWS_PER_FILE, generateSandbox } from "../generate/index.js";
import { readJsonFile } from "../io/json-file.js";
import type { StatusModel } from "../segment/membership.js";
import type { SegmentJob, SegmentJobStatus } from "../segment/segment-job.js";
import { listSegmentJobs, parseSegmentJobRequest, type SegmentJobList } from "../segment/segment-job-list.js";
import { SandboxState } from "../store/sandbox-state.js";
import { formatDateTime, parseDateTime } from "../xdm/time.js";
import { requireString, UsageError, type CliIo, type Command, type OptionSpec, type ParsedArgs } from "./command.js";
import { explanationText } from "./explain-text.js";
import { cancelOnInterrupt } from "./interrupt.js";
import { countReporter, progressReporter } from "./progress.js";
import { table } from "./table.js";

const SANDBOX: OptionSpec = { type: "string", value: "dir", description: "the sandbox directory", default: "." };
const AS_OF: OptionSpec = {
  type: "string",
  value: "time",
  description: "evaluation clock, RFC 3339 (PQL `now`, lastQualificationTime); default: now, or the sandbox's referenceTime for `demo`",
};
const STATUS_MODEL: OptionSpec = {
  type: "string",
  value: "model",
  description: "membership statuses: legacy (realized → existing → exited, as in the seeds) or current (realized → exited)",
  default: "legacy",
};
const JSON_OUT: OptionSpec = { type: "boolean", description: "print the platform's JSON instead of a summary" };
const MEMORY: OptionSpec = {
  type: "string",
  value: "size",
  description: "memory budget for the data (e.g. 512m, 4g); larger data is split into shards spilled to disk",
  default: "2g",
};

function formatOf(args: ParsedArgs): "jsonl" | "parquet" {
  const v = args.values["format"];
  if (v !== "jsonl" && v !== "parquet") throw new UsageError(`--format must be jsonl or parquet, not "${String(v)}"`);
  return v;
}

const WORKERS: OptionSpec = {
  type: "string",
  value: "n",
  description: "worker threads evaluating shards (default: one per core for inputs over 256 MiB, else none)",
};

function workersOf(args: ParsedArgs): { workers?: number } {
  const raw = args.values["workers"];
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers must be a whole number from 1 to 256, not "${String(raw)}"`);
  return { workers: n };
}

function memoryOf(args: ParsedArgs): number {
  const raw = String(args.values["memory"]);
  const bytes = parseMemorySize(raw);
  if (bytes === undefined) throw new UsageError(`--memory must look like 512m or 4g, not "${raw}"`);
  return bytes;
}

/** An RFC 3339 option as epoch ms; `fallback` when absent (a UsageError when there is none). */
function timeOption(args: ParsedArgs, name: string, fallback: number | undefined): number {
  const raw = args.values[name];
  if (typeof raw !== "string") {
    if (fallback === undefined) throw new UsageError(`missing --${name}`);
    return fallback;
  }
  const t = parseDateTime(raw);
  if (t === undefined) throw new UsageError(`--${name}: "${raw}" is not an RFC 3339 timestamp with an offset (e.g. 2026-11-01T00:00:00Z)`);
  return t;
}

/** --as-of, else the given RFC 3339 time (a sandbox's referenceTime), else now. */
function asOfOf(args: ParsedArgs, fallback: string | undefined): number {
  return timeOption(args, "as-of", (fallback !== undefined ? parseDateTime(fallback) : undefined) ?? Date.now());
}

function statusModelOf(args: ParsedArgs): StatusModel {
  const v = args.values["status-model"];
  if (v !== "legacy" && v !== "current") throw new UsageError(`--status-model must be "legacy" or "current", not "${String(v)}"`);
  return v;
}

function intOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not "${String(v)}"`);
  return n;
}

function sandboxOf(args: ParsedArgs): Sandbox {
  return openSandbox(args.values["sandbox"] as string);
}

const PAGING: Record<string, OptionSpec> = {
  limit: { type: "string", value: "n", description: "page size (1–100)", default: "20" },
  start: { type: "string", value: "n", description: "offset of the first item", default: "0" },
};
const PROPERTIES: OptionSpec = { type: "string", value: "a,b", description: "keep only these top-level properties" };

function positional(value: string | undefined, usageText: string): string {
  if (value === undefined) throw new UsageError(`missing an argument: profile-lab ${usageText}`);
  return value;
}

function usage(message: string): never {
  throw new UsageError(message);
}

function catalogOf(args: ParsedArgs): { catalog: Catalog; access: DataAccess } {
  const sandbox = sandboxOf(args);
  const state = new SandboxState(sandbox.dir);
  return { catalog: new Catalog(state, sandbox.manifest, { clock: Date.now }), access: new DataAccess(state, sandbox.manifest) };
}

const seconds = (ms: number | undefined): string => (ms === undefined ? "?" : `${(ms / 1000).toFixed(2)} s`);
const count = (n: number): string => n.toLocaleString("en-US");

function printSegmentJob(io: CliIo, sandbox: Sandbox, job: SegmentJob): void {
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

function printExport(io: CliIo, sandbox: Sandbox, result: ExportResult, label: string): void {
  const { job, batches } = result;
  for (const w of result.warnings) io.err(`warning: ${w}`);
  io.out(`Export job ${job.id} (${label}) ${job.status} in ${seconds(job.metrics.totalTime.totalTimeInMs)}: ${count(job.metrics.totalExportedProfileCounter ?? 0)} profiles, ${batches.length} batch${batches.length === 1 ? "" : "es"}`);
  const segmentName = (id: string): string => sandbox.segments.find((s) => s.definition.id === id)?.definition.name ?? id;
  const rows = batches.flatMap((b) =>
    (b.files ?? []).map((f) => [b.id, b.tags?.segmentId?.map(segmentName).join(", ") ?? "all profiles", count(f.rows), relative(process.cwd(), join(sandbox.dir, f.path))]),
  );
  io.out(table(["batch", "segment", "rows", "file"], rows, [false, false, true, false]));
}

function printJobList(io: CliIo, segmentJobs: SegmentJob[], exportJobs: ExportJob[]): void {
  const rows = [
    ...segmentJobs.map((j) => ["segment", j.id, j.status, formatDateTime(j.creationTime), `${j.metrics.totalProfiles ?? "-"} profiles`] as const),
    ...exportJobs.map((j) => ["export", String(j.id), j.status, formatDateTime(j.creationTime), `${j.metrics.totalExportedProfileCounter ?? "-"} exported`] as const),
  ].sort((a, b) => (a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0));
  io.out(rows.length ? table(["type", "id", "status", "created", "result"], rows.map((r) => [...r])) : "no jobs yet");
}

export const COMMANDS: readonly Command[] = [
  {
    name: "demo",
    summary: "run a segment job and every export request of a sandbox, and show where the Parquet went",
    usage: "profile-lab demo [--sandbox sample-data] [--as-of <time>] [--status-model legacy|current]",
    options: { sandbox: { ...SANDBOX, default: "sample-data" }, "as-of": AS_OF, "status-model": STATUS_MODEL, memory: MEMORY },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const asOf = asOfOf(args, sandbox.manifest.referenceTime);
      const statusModel = statusModelOf(args);
      io.out(`Sandbox "${sandbox.manifest.name}" (${relative(process.cwd(), sandbox.dir) || "."}), evaluated as of ${formatDateTime(asOf)}\n`);
      const memoryBytes = memoryOf(args);
      const job = await runSegmentJob(sandbox, { asOf, statusModel, memoryBytes });
      printSegmentJob(io, sandbox, job);
      for (const doc of sandbox.exportRequests) {
        io.out("");
        const result = await runExportJob(sandbox, doc.value, { asOf, statusModel, requestFile: doc.file, memoryBytes });
        printExport(io, sandbox, result, basename(doc.file));
      }
      return 0;
    },
  },
  {
    name: "generate",
    summary: "write a seeded, reproducible sandbox: profile and event datasets, schemas, merge policies, segments, export requests",
    usage: "profile-lab generate <dir> [--profiles 1000] [--events-per-profile 20] [--seed 42] [--reference-time <time>] [--format parquet|jsonl] [--rows-per-file 1000000] [--quiet]",
    options: {
      profiles: { type: "string", value: "n", description: "number of persons", default: "1000" },
      "events-per-profile": { type: "string", value: "n", description: "average ExperienceEvents per person", default: "20" },
      seed: { type: "string", value: "n", description: "random seed: the same seed gives byte-identical files", default: "42" },
      "reference-time": { type: "string", value: "time", description: "RFC 3339 instant the data is generated relative to", default: "2026-11-01T00:00:00Z" },
      name: { type: "string", value: "name", description: "sandbox name (default: the directory name)" },
      format: { type: "string", value: "parquet|jsonl", description: "dataset files as Parquet part files (datasets/<dataset>/part-NNNNN.parquet) or one JSON Lines file per dataset", default: "parquet" },
      "rows-per-file": { type: "string", value: "n", description: "Parquet: rows per part file", default: String(DEFAULT_ROWS_PER_FILE) },
      quiet: { type: "boolean", description: "no progress line on stderr" },
    },
    async run(args, io) {
      const dir = args.positionals[0];
      if (dir === undefined) throw new UsageError("missing the target directory: profile-lab generate <dir>");
      const referenceTime = args.values["reference-time"] as string;
      if (parseDateTime(referenceTime) === undefined) throw new UsageError(`--reference-time: "${referenceTime}" is not an RFC 3339 timestamp`);
      const rowsPerFile = intOption(args, "rows-per-file")!;
      if (rowsPerFile < 1) throw new UsageError(`--rows-per-file must be at least 1, not ${rowsPerFile}`);
      const progress = args.values["quiet"] ? undefined : countReporter("generate", "persons");
      const summary = await generateSandbox(dir, {
        profiles: intOption(args, "profiles")!,
        eventsPerProfile: intOption(args, "events-per-profile")!,
        seed: intOption(args, "seed")!,
        referenceTime,
        name: (args.values["name"] as string | undefined) ?? basename(dir),
        format: formatOf(args),
        rowsPerFile,
        ...(progress ? { onProgress: progress.onProgress } : {}),
      }).finally(() => progress?.done());
      io.out(`Generated sandbox in ${dir}: ${count(summary.persons)} persons, ${count(summary.events)} events`);
      for (const [name, n] of Object.entries(summary.records)) io.out(`  ${name}: ${count(n)} records`);
      return 0;
    },
  },
  {
    name: "check",
    summary: "check segment definitions before any data is read: every PQL error at once, and streaming/edge eligibility",
    usage: "profile-lab check [--sandbox <dir>] [--segment <id>]... [--json]",
    options: {
      sandbox: SANDBOX,
      segment: { type: "string", value: "id", multiple: true, description: "check only this segment (repeatable); default: every segment" },
      json: JSON_OUT,
    },
    async run(args, io) {
      const results = checkSandboxSegments(args.values["sandbox"] as string, args.values["segment"] as string[] | undefined);
      const failed = results.filter((r) => r.check.errors.length > 0).length;
      if (args.values["json"]) {
        const out = results.map(({ file, definition, check }) => ({
          segmentId: definition.id,
          name: definition.name,
          file,
          valid: check.errors.length === 0,
          errors: check.errors.map((e) => ({ code: e.code, message: e.message, location: e.location })),
          evaluationInfo: check.eligibility && { batch: { enabled: true }, continuous: { enabled: check.eligibility.streaming }, synchronous: { enabled: check.eligibility.edge } },
          reasons: check.eligibility?.reasons ?? [],
        }));
        io.out(JSON.stringify(out, null, 2));
      } else {
        for (const { definition, check } of results) {
          const e = check.eligibility;
          const where = e ? `batch${e.streaming ? ", streaming" : ""}${e.edge ? ", edge" : ""}` : "does not parse";
          io.out(`${check.errors.length ? "✗" : "✓"} ${definition.name} (${definition.id}): ${where}`);
          for (const error of check.errors) io.out(error.format().replace(/^/gm, "    "));
          if (e && !check.errors.length && e.reasons.length) io.out(`    not streaming/edge: ${e.reasons.join("; ")}`);
        }
        io.out(`\n${results.length - failed} of ${results.length} segment definitions are valid`);
      }
      return failed > 0 ? 1 : 0;
    },
  },
  {
    name: "segment-job",
    summary: "evaluate segment definitions on merged profiles and update their segmentMembership",
    usage: "profile-lab segment-job [--sandbox <dir>] [--segment <id>]... [--as-of <time>] [--status-model legacy|current] [--memory 2g] [--workers n] [--json]",
    options: {
      sandbox: SANDBOX,
      segment: { type: "string", value: "id", multiple: true, description: "segment id to evaluate (repeatable); default: every segment (\"*\")" },
      request: { type: "string", value: "file.json", description: "a POST /segment/jobs body instead: [{\"segmentId\": …}] or {\"segments\": [{\"segmentId\": \"*\"}]}" },
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      memory: MEMORY,
      workers: WORKERS,
      json: JSON_OUT,
    },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const progress = progressReporter("segment job");
      const interrupt = cancelOnInterrupt(sandbox.dir, progress.onProgress);
      const requestFile = args.values["request"] as string | undefined;
      const segmentIds = requestFile !== undefined ? parseSegmentJobRequest(readJsonFile(requestFile), requestFile) : (args.values["segment"] as string[] | undefined);
      const job = await runSegmentJob(sandbox, {
        segmentIds,
        asOf: asOfOf(args, undefined),
        statusModel: statusModelOf(args),
        memoryBytes: memoryOf(args),
        ...workersOf(args),
        onProgress: interrupt.onProgress,
      }).finally(() => {
        interrupt.dispose();
        progress.done();
      });
      if (args.values["json"]) io.out(JSON.stringify(job, null, 2));
      else printSegmentJob(io, sandbox, job);
      return 0;
    },
  },
  {
    name: "export",
    summary: "run an export job from a platform request body (POST /export/jobs) and write Parquet batches",
    usage: "profile-lab export --request <file.json> [--sandbox <dir>] [--as-of <time>] [--status-model legacy|current] [--rows-per-file N] [--memory 2g] [--workers n] [--json]",
    options: {
      sandbox: SANDBOX,
      request: { type: "string", value: "file.json", description: "the export-job request body" },
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      "rows-per-file": { type: "string", value: "n", description: "rows per Parquet part file", default: "5000000" },
      memory: MEMORY,
      workers: WORKERS,
      json: JSON_OUT,
    },
    async run(args, io) {
      const requestFile = requireString(args, "request");
      const body = readJsonFile(requestFile);
      const sandbox = sandboxOf(args);
      const rowsPerFile = intOption(args, "rows-per-file");
      if (rowsPerFile === 0) throw new UsageError("--rows-per-file must be at least 1");
      const progress = progressReporter("export job");
      const interrupt = cancelOnInterrupt(sandbox.dir, progress.onProgress);
      const result = await runExportJob(sandbox, body, {
        asOf: asOfOf(args, undefined),
        statusModel: statusModelOf(args),
        requestFile,
        memoryBytes: memoryOf(args),
        ...workersOf(args),
        onProgress: interrupt.onProgress,
        ...(rowsPerFile !== undefined ? { rowsPerFile } : {}),
      }).finally(() => {
        interrupt.dispose();
        progress.done();
      });
      if (args.values["json"]) io.out(JSON.stringify(result.job, null, 2));
      else printExport(io, sandbox, result, basename(requestFile));
      return 0;
    },
  },
  {
    name: "jobs",
    summary: "list recorded segment and export jobs, show one job's JSON, or cancel a running job",
    usage: "profile-lab jobs list [--type segment|export] [--limit n] [--offset cursor] [--start n] [--page n] [--sort f:dir] [--status S] | jobs get <id> | jobs cancel <id>  [--sandbox <dir>] [--json]",
    options: {
      sandbox: SANDBOX,
      type: { type: "string", value: "segment|export", description: "list only this kind; with --json, the platform's GET /segment/jobs or GET /export/jobs answer" },
      limit: { type: "string", value: "n", description: "page size for export job lists", default: "50" },
      offset: { type: "string", value: "cursor", description: "page cursor for export job lists ({creationTime}_{id}, from page.pageOffset)" },
      start: { type: "string", value: "n", description: "skip this many jobs" },
      page: { type: "string", value: "n", description: "export jobs: this page (from 1) of --limit jobs" },
      sort: { type: "string", value: "field:dir", description: "e.g. creationTime:desc (default) or updateTime:asc" },
      status: { type: "string", value: "status", description: "only jobs with this status (NEW, PROCESSING, SUCCEEDED, FAILED; segment jobs also QUEUED, CANCELLING, CANCELLED)" },
      json: JSON_OUT,
    },
    async run(args, io) {
      const [action, id] = args.positionals;
      if (action !== "list" && action !== "get" && action !== "cancel") {
        throw new UsageError(`${action === undefined ? "missing an action" : `unknown action "${action}"`}: use \`jobs list\`, \`jobs get <id>\` or \`jobs cancel <id>\``);
      }
      const dir = sandboxOf(args).dir;
      recoverInterruptedJobs(dir);
      const state = new SandboxState(dir);
      const segmentJobs = state.records<SegmentJob>("segment-jobs");
      const exportJobs = state.records<ExportJob>("export-jobs");
      const type = args.values["type"];
      if (type !== undefined && type !== "segment" && type !== "export") throw new UsageError(`--type must be segment or export, not "${String(type)}"`);
      if (action === "list") {
        const exportList = (): ExportJobList =>
          listExportJobs(exportJobs.all(), {
            limit: intOption(args, "limit")!,
            ...(typeof args.values["offset"] === "string" ? { offset: args.values["offset"] } : {}),
            ...(typeof args.values["status"] === "string" ? { status: args.values["status"] as ExportJobStatus } : {}),
            ...(args.values["start"] !== undefined ? { start: intOption(args, "start")! } : {}),
            ...(args.values["page"] !== undefined ? { page: intOption(args, "page")! } : {}),
            ...(typeof args.values["sort"] === "string" ? { sort: args.values["sort"] } : {}),
          });
        if (args.values["json"]) {
          const segmentList = (): SegmentJobList =>
            listSegmentJobs(segmentJobs.all(), {
              limit: intOption(args, "limit")!,
              ...(typeof args.values["status"] === "string" ? { status: args.values["status"] as SegmentJobStatus } : {}),
              ...(args.values["start"] !== undefined ? { start: intOption(args, "start")! } : {}),
              ...(typeof args.values["sort"] === "string" ? { sort: args.values["sort"] } : {}),
            });
          const out = type === "export" ? exportList() : type === "segment" ? segmentList() : { segmentJobs: segmentJobs.all(), exportJobs: exportJobs.all() };
          io.out(JSON.stringify(out, null, 2));
        } else {
          printJobList(io, type === "export" ? [] : segmentJobs.all(), type === "segment" ? [] : exportList().records);
        }
        return 0;
      }
      const jobId = positional(id, `jobs ${action} <id>`);
      const kind = /^\d+$/.test(jobId) ? "export-jobs" : "segment-jobs";
      const job = kind === "export-jobs" ? exportJobs.get(jobId) : segmentJobs.get(jobId);
      if (job === undefined) throw new UsageError(`no ${kind === "export-jobs" ? "export" : "segment"} job with id "${jobId}" (see \`profile-lab jobs list\`)`);
      if (action === "get") {
        io.out(JSON.stringify(job, null, 2));
        return 0;
      }
      const control = new JobControl(state.root);
      if (!control.isRunning(kind, jobId)) throw new UsageError(`job ${jobId} is not running (status ${job.status}); only running jobs can be cancelled`);
      control.requestCancel(kind, jobId);
      const message = kind === "export-jobs" ? "Export job has been marked for cancelling" : `Segment job with id '${jobId}' has been marked for cancelling`;
      io.out(JSON.stringify({ status: true, message }, null, 2));
      return 0;
    },
  },
  {
    name: "explain",
    summary: "why this profile, why this value, why this segment: identities, fragments, winning and losing values, segment decisions",
    usage: "profile-lab explain --identity <Namespace:id> [--segment <id>] [--merge-policy <id>] [--sandbox <dir>] [--as-of <time>] [--json]",
    options: {
      sandbox: SANDBOX,
      identity: { type: "string", value: "ns:id", description: "an identity of the profile, e.g. CRMID:c1 (namespaces compare case-insensitively)" },
      segment: { type: "string", value: "id", description: "explain this segment only (and merge under its policy); default: every segment of the policy" },
      "merge-policy": { type: "string", value: "id", description: "merge under this policy; default: the segment's policy, else the sandbox default" },
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      json: JSON_OUT,
    },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const x = await explain(sandbox, {
        identity: requireString(args, "identity"),
        ...(typeof args.values["segment"] === "string" ? { segmentId: args.values["segment"] } : {}),
        ...(typeof args.values["merge-policy"] === "string" ? { mergePolicyId: args.values["merge-policy"] } : {}),
        asOf: asOfOf(args, undefined),
        statusModel: statusModelOf(args),
      });
      io.out(args.values["json"] ? JSON.stringify(x, null, 2) : explanationText(x));
      return 0;
    },
  },
  {
    name: "merge-policies",
    summary: "list, show, create, patch or delete merge policies (the platform's /config/mergePolicies)",
    usage: "profile-lab merge-policies list | get <id> | create --body <file.json> | patch <id> --body <file.json> | delete <id>  [--sandbox <dir>]",
    options: {
      sandbox: SANDBOX,
      body: { type: "string", value: "file.json", description: "request body for create (a policy) or patch (one JSON Patch operation or an array)" },
      limit: { type: "string", value: "n", description: "page size for list", default: "20" },
      start: { type: "string", value: "n", description: "offset for list", default: "0" },
    },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const store = new MergePolicyStore(sandbox.dir, new Set(sandbox.datasets.map((d) => d.entry.id)), {
        imsOrgId: sandbox.manifest.imsOrgId,
        sandbox: sandbox.manifest.sandbox,
        name: sandbox.manifest.name,
      });
      const [action, id] = args.positionals;
      const needId = (): string => {
        if (id === undefined) throw new UsageError(`missing the policy id: profile-lab merge-policies ${action} <id>`);
        return id;
      };
      const body = (): unknown => readJsonFile(requireString(args, "body"));
      switch (action) {
        case "list":
          io.out(JSON.stringify(store.list({ limit: intOption(args, "limit")!, start: intOption(args, "start")! }), null, 2));
          return 0;
        case "get":
          io.out(JSON.stringify(store.get(needId()), null, 2));
          return 0;
        case "create":
          io.out(JSON.stringify(store.create(body()), null, 2));
          return 0;
        case "patch":
          io.out(JSON.stringify(store.patch(needId(), body()), null, 2));
          return 0;
        case "delete":
          store.delete(needId());
          io.out(`deleted merge policy ${id}`);
          return 0;
        default:
          throw new UsageError(`unknown action "${action ?? ""}": use list, get, create, patch or delete`);
      }
    },
  },
  {
    name: "datasets",
    summary: "Catalog datasets: list, show one, or create an export target on the profile union schema",
    usage: "profile-lab datasets [list] | get <id> | create --body <file.json>  [--sandbox <dir>] [--limit n] [--start n] [--properties a,b]",
    options: { sandbox: SANDBOX, body: { type: "string", value: "file.json", description: "POST /dataSets body for create" }, ...PAGING, properties: PROPERTIES },
    async run(args, io) {
      const { catalog } = catalogOf(args);
      const [action = "list", id] = args.positionals;
      const properties = args.values["properties"] as string | undefined;
      const result =
        action === "list"
          ? catalog.listDatasets({ limit: args.values["limit"] as string, start: args.values["start"] as string, ...(properties ? { properties } : {}) })
          : action === "get"
            ? catalog.getDataset(positional(id, "datasets get <id>"), properties ? { properties } : {})
            : action === "create"
              ? catalog.createDataset(readJsonFile(requireString(args, "body")))
              : usage(`unknown action "${action}": use list, get or create`);
      io.out(JSON.stringify(result, null, 2));
      return 0;
    },
  },
  {
    name: "batches",
    summary: "Catalog batches of a dataset (newest first), or one batch",
    usage: "profile-lab batches <datasetId> | batches get <batchId>  [--sandbox <dir>] [--limit n] [--start n] [--order-by desc:created|asc:created]",
    options: { sandbox: SANDBOX, ...PAGING, "order-by": { type: "string", value: "order", description: "desc:created or asc:created", default: "desc:created" }, properties: PROPERTIES },
    async run(args, io) {
      const { catalog } = catalogOf(args);
      const [first, second] = args.positionals;
      const properties = args.values["properties"] as string | undefined;
      const result =
        first === "get"
          ? catalog.getBatch(positional(second, "batches get <batchId>"), properties ? { properties } : {})
          : catalog.listBatches({
              ...(first !== undefined ? { dataSet: first } : {}),
              limit: args.values["limit"] as string,
              start: args.values["start"] as string,
              orderBy: args.values["order-by"] as string,
              ...(properties ? { properties } : {}),
            });
      io.out(JSON.stringify(result, null, 2));
      return 0;
    },
  },
  {
    name: "files",
    summary: "Data Access: the files of a batch, one file's parts, or a file's bytes (with an optional byte range)",
    usage: "profile-lab files <batchId> | files get <fileId> | files read <fileId> --path <name> --out <file> [--range 0-99]  [--sandbox <dir>]",
    options: {
      sandbox: SANDBOX,
      path: { type: "string", value: "name", description: "the part file to read, e.g. part-00000.parquet" },
      out: { type: "string", value: "file", description: "where to write the bytes read" },
      range: { type: "string", value: "start-end", description: "read only these bytes (inclusive), as an HTTP Range" },
    },
    async run(args, io) {
      const { access } = catalogOf(args);
      const [first, second] = args.positionals;
      if (first === "get") {
        io.out(JSON.stringify(access.getFile(positional(second, "files get <fileId>")), null, 2));
      } else if (first === "read") {
        const range = args.values["range"] === undefined ? undefined : parseRangeHeader(`bytes=${String(args.values["range"])}`);
        if (args.values["range"] !== undefined && range === undefined) throw new UsageError(`--range must look like 0-99, not "${String(args.values["range"])}"`);
        const content = access.readFile(positional(second, "files read <fileId>"), requireString(args, "path"), range);
        writeFileSync(requireString(args, "out"), content.bytes);
        io.out(`${content.status} ${content.contentLength} bytes${content.contentRange ? ` (${content.contentRange})` : ""} → ${String(args.values["out"])}`);
      } else {
        io.out(JSON.stringify(access.listBatchFiles(positional(first, "files <batchId>")), null, 2));
      }
      return 0;
    },
  },
  {
    name: "schedule",
    summary: "segmentation schedules (Quartz cron, once a day): create, list, get, patch, delete, and run the firings between two instants",
    usage: "profile-lab schedule list | get <id> | create --body <file.json> | patch <id> --body <file.json> | delete <id> | run --until <time> [--from <time>]  [--sandbox <dir>]",
    options: {
      sandbox: SANDBOX,
      body: { type: "string", value: "file.json", description: "POST /config/schedules body, or a JSON Patch array for patch" },
      from: { type: "string", value: "time", description: "run: start of the window (RFC 3339); default: the sandbox's referenceTime, else now" },
      until: { type: "string", value: "time", description: "run: end of the window (RFC 3339, exclusive)" },
      "status-model": STATUS_MODEL,
    },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const schedules = schedulesOf(sandbox);
      const [action, id] = args.positionals;
      switch (action) {
        case "list":
          io.out(JSON.stringify(schedules.list(), null, 2));
          return 0;
        case "get":
          io.out(JSON.stringify(schedules.get(positional(id, "schedule get <id>")), null, 2));
          return 0;
        case "create":
          io.out(JSON.stringify(schedules.create(readJsonFile(requireString(args, "body"))), null, 2));
          return 0;
        case "patch":
          io.out(JSON.stringify(schedules.patch(positional(id, "schedule patch <id>"), readJsonFile(requireString(args, "body"))), null, 2));
          return 0;
        case "delete":
          schedules.delete(positional(id, "schedule delete <id>"));
          io.out(`deleted schedule ${id}`);
          return 0;
        case "run": {
          const reference = sandbox.manifest.referenceTime === undefined ? undefined : parseDateTime(sandbox.manifest.referenceTime);
          const results = await runSchedules(sandbox, { from: timeOption(args, "from", reference ?? Date.now()), until: timeOption(args, "until", undefined), statusModel: statusModelOf(args) });
          if (results.length === 0) io.out("no firings in that window (or they already ran)");
          for (const { run, job } of results) {
            io.out(`${formatDateTime(run.at)}  schedule ${run.scheduleId}, run ${run.runId}: segment job ${job.id} ${job.status}, ${count(job.metrics.totalProfiles ?? 0)} profiles`);
          }
          return 0;
        }
        default:
          throw new UsageError(`unknown action "${action ?? ""}": use list, get, create, patch, delete or run`);
      }
    },
  },
];
