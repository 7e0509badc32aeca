/**
 * The `profile-lab` subcommands. Each maps its options onto one library call and prints either a short
 * human summary or, with `--json`, the platform's JSON.
 */
import { basename, join, relative } from "node:path";
import { openSandbox, type Sandbox } from "../engine/sandbox.js";
import { runExportJob, type ExportResult } from "../engine/run-export-job.js";
import { runSegmentJob } from "../engine/run-segment-job.js";
import { explain } from "../engine/explain.js";
import { MergePolicyStore } from "../merge/merge-policy-store.js";
import type { ExportJob } from "../export/export-job.js";
import { generateSandbox } from "../generate/index.js";
import { readJsonFile } from "../io/json-file.js";
import type { StatusModel } from "../segment/membership.js";
import type { SegmentJob } from "../segment/segment-job.js";
import { SandboxState } from "../store/sandbox-state.js";
import { formatDateTime, parseDateTime } from "../xdm/time.js";
import { requireString, UsageError, type CliIo, type Command, type OptionSpec, type ParsedArgs } from "./command.js";
import { explanationText } from "./explain-text.js";
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

function asOfOf(args: ParsedArgs, fallback: string | undefined): number {
  const raw = args.values["as-of"];
  if (typeof raw !== "string") return fallback !== undefined ? parseDateTime(fallback) ?? Date.now() : Date.now();
  const t = parseDateTime(raw);
  if (t === undefined) throw new UsageError(`--as-of: "${raw}" is not an RFC 3339 timestamp with an offset (e.g. 2026-11-01T00:00:00Z)`);
  return t;
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
    options: { sandbox: { ...SANDBOX, default: "sample-data" }, "as-of": AS_OF, "status-model": STATUS_MODEL },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const asOf = asOfOf(args, sandbox.manifest.referenceTime);
      const statusModel = statusModelOf(args);
      io.out(`Sandbox "${sandbox.manifest.name}" (${relative(process.cwd(), sandbox.dir) || "."}), evaluated as of ${formatDateTime(asOf)}\n`);
      const job = await runSegmentJob(sandbox, { asOf, statusModel });
      printSegmentJob(io, sandbox, job);
      for (const doc of sandbox.exportRequests) {
        io.out("");
        const result = await runExportJob(sandbox, doc.value, { asOf, statusModel, requestFile: doc.file });
        printExport(io, sandbox, result, basename(doc.file));
      }
      return 0;
    },
  },
  {
    name: "generate",
    summary: "write a seeded, reproducible sandbox: profile and event datasets, schemas, merge policies, segments, export requests",
    usage: "profile-lab generate <dir> [--profiles 1000] [--events-per-profile 20] [--seed 42] [--reference-time <time>]",
    options: {
      profiles: { type: "string", value: "n", description: "number of persons", default: "1000" },
      "events-per-profile": { type: "string", value: "n", description: "average ExperienceEvents per person", default: "20" },
      seed: { type: "string", value: "n", description: "random seed: the same seed gives byte-identical files", default: "42" },
      "reference-time": { type: "string", value: "time", description: "RFC 3339 instant the data is generated relative to", default: "2026-11-01T00:00:00Z" },
      name: { type: "string", value: "name", description: "sandbox name (default: the directory name)" },
    },
    async run(args, io) {
      const dir = args.positionals[0];
      if (dir === undefined) throw new UsageError("missing the target directory: profile-lab generate <dir>");
      const referenceTime = args.values["reference-time"] as string;
      if (parseDateTime(referenceTime) === undefined) throw new UsageError(`--reference-time: "${referenceTime}" is not an RFC 3339 timestamp`);
      const summary = await generateSandbox(dir, {
        profiles: intOption(args, "profiles")!,
        eventsPerProfile: intOption(args, "events-per-profile")!,
        seed: intOption(args, "seed")!,
        referenceTime,
        name: (args.values["name"] as string | undefined) ?? basename(dir),
      });
      io.out(`Generated sandbox in ${dir}: ${count(summary.persons)} persons, ${count(summary.events)} events`);
      for (const [name, n] of Object.entries(summary.records)) io.out(`  ${name}: ${count(n)} records`);
      return 0;
    },
  },
  {
    name: "segment-job",
    summary: "evaluate segment definitions on merged profiles and update their segmentMembership",
    usage: "profile-lab segment-job [--sandbox <dir>] [--segment <id>]... [--as-of <time>] [--status-model legacy|current] [--json]",
    options: {
      sandbox: SANDBOX,
      segment: { type: "string", value: "id", multiple: true, description: "segment id to evaluate (repeatable); default: every segment (\"*\")" },
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      json: JSON_OUT,
    },
    async run(args, io) {
      const sandbox = sandboxOf(args);
      const job = await runSegmentJob(sandbox, {
        segmentIds: args.values["segment"] as string[] | undefined,
        asOf: asOfOf(args, undefined),
        statusModel: statusModelOf(args),
      });
      if (args.values["json"]) io.out(JSON.stringify(job, null, 2));
      else printSegmentJob(io, sandbox, job);
      return 0;
    },
  },
  {
    name: "export",
    summary: "run an export job from a platform request body (POST /export/jobs) and write Parquet batches",
    usage: "profile-lab export --request <file.json> [--sandbox <dir>] [--as-of <time>] [--status-model legacy|current] [--rows-per-file N] [--json]",
    options: {
      sandbox: SANDBOX,
      request: { type: "string", value: "file.json", description: "the export-job request body" },
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      "rows-per-file": { type: "string", value: "n", description: "rows per Parquet part file", default: "5000000" },
      json: JSON_OUT,
    },
    async run(args, io) {
      const requestFile = requireString(args, "request");
      const body = readJsonFile(requestFile);
      const sandbox = sandboxOf(args);
      const rowsPerFile = intOption(args, "rows-per-file");
      if (rowsPerFile === 0) throw new UsageError("--rows-per-file must be at least 1");
      const result = await runExportJob(sandbox, body, {
        asOf: asOfOf(args, undefined),
        statusModel: statusModelOf(args),
        requestFile,
        ...(rowsPerFile !== undefined ? { rowsPerFile } : {}),
      });
      if (args.values["json"]) io.out(JSON.stringify(result.job, null, 2));
      else printExport(io, sandbox, result, basename(requestFile));
      return 0;
    },
  },
  {
    name: "jobs",
    summary: "list recorded segment and export jobs, or show one job's JSON",
    usage: "profile-lab jobs list [--sandbox <dir>] | profile-lab jobs get <id> [--sandbox <dir>]",
    options: { sandbox: SANDBOX, json: JSON_OUT },
    async run(args, io) {
      const [action, id] = args.positionals;
      const state = new SandboxState(sandboxOf(args).dir);
      const segmentJobs = state.records<SegmentJob>("segment-jobs");
      const exportJobs = state.records<ExportJob>("export-jobs");
      if (action === "list") {
        if (args.values["json"]) io.out(JSON.stringify({ segmentJobs: segmentJobs.all(), exportJobs: exportJobs.all() }, null, 2));
        else printJobList(io, segmentJobs.all(), exportJobs.all());
        return 0;
      }
      if (action === "get") {
        if (id === undefined) throw new UsageError("missing the job id: profile-lab jobs get <id>");
        const job = exportJobs.get(id) ?? segmentJobs.get(id);
        if (job === undefined) throw new UsageError(`no segment or export job with id "${id}" (see \`profile-lab jobs list\`)`);
        io.out(JSON.stringify(job, null, 2));
        return 0;
      }
      throw new UsageError(`unknown action "${action ?? ""}": use \`jobs list\` or \`jobs get <id>\``);
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
];
