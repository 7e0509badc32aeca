/**
 * The `profile-lab` subcommands as declarations: options, arguments and actions. Each command's code is in
 * `commands/<name>.ts`, loaded when it runs; it maps the options onto one library call and prints a short
 * human summary or, with `--json`, the platform's JSON.
 */
import { DEFAULT_ROWS_PER_FILE as EXPORT_ROWS_PER_FILE } from "../export/defaults.js";
import { DEFAULT_ROWS_PER_FILE as GENERATE_ROWS_PER_FILE } from "../generate/defaults.js";
import type { Command, OptionSpec } from "./command.js";

const SANDBOX: OptionSpec = { type: "string", value: "dir", description: "the sandbox directory", default: ".", env: "PROFILE_LAB_SANDBOX", complete: "dir" };
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
const MEMORY: OptionSpec = {
  type: "string",
  value: "size",
  description: "memory budget for the data (e.g. 512m, 4g): half of it is DuckDB's memory limit, past which it spills to disk (--engine reference holds the data in memory and refuses data larger than it allows)",
  default: "2g",
};
const ENGINE: OptionSpec = {
  type: "string",
  value: "engine",
  description: "what runs the job: duckdb (rows merged, segments evaluated and Parquet written in SQL by an embedded DuckDB; --workers its threads, default one per core, --memory its limit) or reference (the JS merge, closure compiler and Parquet writer, the whole sandbox in memory in one thread); default: duckdb (a segment SQL cannot express is decided by the closure compiler over DuckDB's rows; check says which)",
};

const EXPLAIN_SQL: OptionSpec = {
  type: "boolean",
  description: "print every statement the job runs on DuckDB, in order, as a SQL script with each one's stage and time (instead of the summary); a failed job's up to the one that failed",
};

const WORKERS: OptionSpec = {
  type: "string",
  value: "n",
  description: "threads: DuckDB's (default one per core); ignored by --engine reference, which runs in one thread",
};
const REQUEST = (what: string): OptionSpec => ({ type: "string", value: "file.json", description: `${what} (- reads it from standard input)`, complete: "file" });
const PAGING: Record<string, OptionSpec> = {
  limit: { type: "string", value: "n", description: "page size (1–100)", default: "20" },
  start: { type: "string", value: "n", description: "offset of the first item", default: "0" },
};
const PROPERTIES: OptionSpec = { type: "string", value: "a,b", description: "keep only these top-level properties" };

/** What `preview` and `estimate` evaluate, and how. */
const PREVIEW_TARGET: Record<string, OptionSpec> = {
  sandbox: SANDBOX,
  pql: { type: "string", value: "PQL", description: "the PQL expression to evaluate (pql/text)" },
  segment: { type: "string", value: "id or name", description: "a segment of the sandbox, by id or exact name" },
  "merge-policy": { type: "string", value: "id or name", description: "merge under this policy; default: the segment's, else the sandbox default" },
  "as-of": { ...AS_OF, description: "PQL's now, RFC 3339; default: the sandbox's referenceTime, else now" },
  "status-model": STATUS_MODEL,
};

export const COMMANDS: readonly Command[] = [
  {
    name: "demo",
    summary: "run a segment job and every export request of a sandbox, and show where the Parquet went",
    usage: "profile-lab demo [<dir>] [--sandbox <dir>] [--as-of <time>] [--status-model legacy|current]",
    options: {
      sandbox: { type: "string", value: "dir", description: "run on this sandbox instead of a copy of the bundled sample", env: "PROFILE_LAB_SANDBOX", complete: "dir" },
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      memory: MEMORY,
    },
    maxArgs: 1,
    load: async () => (await import("./commands/demo.js")).run,
  },
  {
    name: "generate",
    summary: "write a seeded, reproducible sandbox: profile and event datasets, schemas, merge policies, segments, export requests",
    usage: "profile-lab generate <dir> [--config gen.yaml] [--profiles 1000] [--events-per-profile 20] [--seed 42] [--reference-time <time>] [--format parquet|jsonl] [--rows-per-file 1000000] [--compression zstd|snappy] [--workers n] [--quiet] [--json] | generate <dir> --from-sandbox <dir> [--target-audience <segment>=<share>]... | generate --print-config",
    options: {
      profiles: { type: "string", value: "n", description: "number of persons", default: "1000" },
      "events-per-profile": { type: "string", value: "n", description: "average ExperienceEvents per person", default: "20" },
      seed: { type: "string", value: "n", description: "random seed: the same seed gives byte-identical files", default: "42" },
      "reference-time": { type: "string", value: "time", description: "RFC 3339 instant the data is generated relative to", default: "2026-11-01T00:00:00Z" },
      name: { type: "string", value: "name", description: "sandbox name (default: the directory name)" },
      format: { type: "string", value: "parquet|jsonl", description: "dataset files as Parquet part files (datasets/<dataset>/part-NNNNN.parquet) or one JSON Lines file per dataset", default: "parquet" },
      "rows-per-file": { type: "string", value: "n", description: "Parquet: rows per part file", default: String(GENERATE_ROWS_PER_FILE) },
      compression: { type: "string", value: "zstd|snappy", description: "Parquet: page compression; snappy takes about half the encoding CPU and makes files ~1.8× larger", default: "zstd" },
      workers: { type: "string", value: "n", description: "worker threads generating blocks of 1,000 persons and encoding their Parquet (default: one per core when more than 200,000 rows are expected, else none); the files are the same for any number" },
      quiet: { type: "boolean", description: "no progress line on stderr" },
      config: { type: "string", value: "file", description: "the shape: a generator config (YAML or JSON, schemas/generator-config.schema.json): built-in datasets or not, datasets of your own XDM schemas, segments", complete: "file" },
      "print-config": { type: "boolean", description: "print the default generator config (a file to copy and edit) and exit" },
      "from-sandbox": { type: "string", value: "dir", description: "generate data for an existing sandbox: its schemas, merge policies, segments and export requests, with the identities, event types, value ranges and categories its rows show", complete: "dir" },
      "target-audience": { type: "string", value: "segment=share", multiple: true, description: "with --from-sandbox: steer a segment (id or name) towards this share of its merge policy's profiles, e.g. \"US residents=30%\" (repeatable); the summary gives the share reached" },
    },
    maxArgs: 1,
    load: async () => (await import("./commands/generate.js")).run,
  },
  {
    name: "check",
    summary: "check segment definitions before any data is read (every PQL error at once, streaming/edge eligibility), and with --data every data row",
    usage: "profile-lab check [--sandbox <dir>] [--segment <id or name>]... [--data [--max-errors 100]] [--json]",
    options: {
      sandbox: SANDBOX,
      segment: { type: "string", value: "id or name", multiple: true, description: "check only this segment (repeatable); default: every segment" },
      data: { type: "boolean", description: "also validate every row of every dataset against its schema and report all bad rows" },
      "max-errors": { type: "string", value: "n", description: "with --data: list at most this many bad rows (the total is always counted)", default: "100" },
    },
    maxArgs: 0,
    load: async () => (await import("./commands/check.js")).run,
  },
  {
    name: "segment-job",
    summary: "evaluate segment definitions on merged profiles and update their segmentMembership",
    usage: "profile-lab segment-job [--sandbox <dir>] [--segment <id or name>]... [--request <file.json>] [--as-of <time>] [--status-model legacy|current] [--engine duckdb|reference] [--explain-sql] [--memory 2g] [--workers n] [--json]",
    options: {
      sandbox: SANDBOX,
      segment: { type: "string", value: "id or name", multiple: true, description: "segment to evaluate, by id or exact name (repeatable); default: every segment (\"*\")" },
      request: REQUEST("a POST /segment/jobs body instead: [{\"segmentId\": …}] or {\"segments\": [{\"segmentId\": \"*\"}]}"),
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      engine: ENGINE,
      "explain-sql": EXPLAIN_SQL,
      memory: MEMORY,
      workers: WORKERS,
    },
    maxArgs: 0,
    load: async () => (await import("./commands/segment-job.js")).run,
  },
  {
    name: "export",
    summary: "run an export job from a platform request body (POST /export/jobs) and write Parquet batches",
    usage: "profile-lab export --request <file.json> [--sandbox <dir>] [--as-of <time>] [--status-model legacy|current] [--engine duckdb|reference] [--explain-sql] [--rows-per-file N] [--memory 2g] [--workers n] [--json]",
    options: {
      sandbox: SANDBOX,
      request: REQUEST("the export-job request body"),
      "as-of": AS_OF,
      "status-model": STATUS_MODEL,
      "rows-per-file": { type: "string", value: "n", description: "rows per Parquet part file", default: String(EXPORT_ROWS_PER_FILE) },
      engine: ENGINE,
      "explain-sql": EXPLAIN_SQL,
      memory: MEMORY,
      workers: WORKERS,
    },
    maxArgs: 0,
    load: async () => (await import("./commands/export.js")).run,
  },
  {
    name: "jobs",
    summary: "list recorded segment and export jobs, show one job's JSON, or cancel a running job",
    usage: "profile-lab jobs list [--type segment|export] [--limit n] [--offset cursor] [--start n] [--page n] [--sort field:dir] [--status S] | jobs get <id> | jobs cancel <id>  [--sandbox <dir>] [--json]",
    options: {
      sandbox: SANDBOX,
      type: { type: "string", value: "segment|export", description: "list only this kind; with --json, the platform's GET /segment/jobs or GET /export/jobs answer" },
      limit: { type: "string", value: "n", description: "page size for export job lists", default: "50" },
      offset: { type: "string", value: "cursor", description: "page cursor for export job lists ({creationTime}_{id}, from page.pageOffset)" },
      start: { type: "string", value: "n", description: "skip this many jobs" },
      page: { type: "string", value: "n", description: "export jobs: this page (from 1) of --limit jobs" },
      sort: { type: "string", value: "field:dir", description: "e.g. creationTime:desc (default) or updateTime:asc" },
      status: { type: "string", value: "status", description: "only jobs with this status (NEW, PROCESSING, SUCCEEDED, FAILED; segment jobs also QUEUED, CANCELLING, CANCELLED)" },
    },
    actions: ["list", "get <id>", "cancel <id>"],
    maxArgs: 2,
    load: async () => (await import("./commands/jobs.js")).run,
  },
  {
    name: "explain",
    summary: "why this profile, why this value, why this segment: identities, fragments, winning and losing values, segment decisions",
    usage: "profile-lab explain --identity <Namespace:id> [--segment <id or name>] [--merge-policy <id>] [--sandbox <dir>] [--as-of <time>] [--json]",
    options: {
      sandbox: SANDBOX,
      identity: { type: "string", value: "ns:id", description: "an identity of the profile, e.g. CRMID:c1 (namespaces compare case-insensitively)" },
      segment: { type: "string", value: "id or name", description: "explain this segment only, by id or exact name (and merge under its policy); default: every segment of the policy" },
      "merge-policy": { type: "string", value: "id", description: "merge under this policy; default: the segment's policy, else the sandbox default" },
      "as-of": { ...AS_OF, description: "evaluation clock, RFC 3339; default: the asOf of the last segment job, else the sandbox's referenceTime, else now" },
      "status-model": STATUS_MODEL,
    },
    maxArgs: 0,
    load: async () => (await import("./commands/explain.js")).run,
  },
  {
    name: "test",
    summary: "run the sandbox's segment tests (tests/*.yaml|json): data, asOf runs and assertions on members, statuses, sizes, merged fields and exports; exit 1 on a failure",
    usage: "profile-lab test [<name-filter>] [--sandbox <dir>] [--reporter pretty|json|junit] [--watch]",
    options: {
      sandbox: SANDBOX,
      reporter: { type: "string", value: "name", description: "pretty (failures with explain's account of the profile), json, or junit (JUnit XML for CI)", default: "pretty" },
      watch: { type: "boolean", description: "after the run, rerun the tests a change to a test, segment, data or definition file touches, until Ctrl-C" },
    },
    maxArgs: 1,
    load: async () => (await import("./commands/test.js")).run,
  },
  {
    name: "query",
    summary: "SQL over the sandbox, as Query Service sees it: its datasets, merged profiles per merge policy, memberships, exported datasets and batches (DuckDB)",
    usage: 'profile-lab query "<SQL>" | --file <q.sql> | --tables [--sandbox <dir>] [--json | --csv] [--memory 2g] [--workers n]',
    options: {
      sandbox: SANDBOX,
      file: { type: "string", value: "q.sql", description: "read the SQL from this file", complete: "file" },
      tables: { type: "boolean", description: "list the tables a query can name and what each reads" },
      csv: { type: "boolean", description: "print the rows as CSV (RFC 4180)" },
      memory: { ...MEMORY, description: "memory budget, as a job's (e.g. 512m, 4g): half of it is DuckDB's memory limit, past which it spills to disk, and merged profiles are merged in as many runs as it needs" },
      workers: { ...WORKERS, description: "DuckDB's threads (default 2)" },
    },
    maxArgs: 1,
    load: async () => (await import("./commands/query.js")).run,
  },
  {
    name: "preview",
    summary: "the audience of a PQL or a segment now: its size, members with the fields the PQL reads, counts per namespace (the platform's /preview); writes nothing",
    usage: "profile-lab preview --pql '<PQL>' | --segment <id or name> [--merge-policy <id or name>] [--as-of <time>] [--limit 20] [--sandbox <dir>] [--json]",
    options: {
      ...PREVIEW_TARGET,
      limit: { type: "string", value: "n", description: "list at most this many members (1–1000)", default: "20" },
    },
    maxArgs: 0,
    load: async () => (await import("./commands/preview.js")).run,
  },
  {
    name: "estimate",
    summary: "the audience size of a PQL or a segment estimated from a sample, with a 95% interval (the platform's /estimate); writes nothing",
    usage: "profile-lab estimate --pql '<PQL>' | --segment <id or name> [--merge-policy <id or name>] [--as-of <time>] [--sample-size <n>] [--sandbox <dir>] [--json]",
    options: {
      ...PREVIEW_TARGET,
      "sample-size": { type: "string", value: "n", description: "profiles to read (default as the platform: all under 1M, 1M up to 20M, 5% above)" },
    },
    maxArgs: 0,
    load: async () => (await import("./commands/estimate.js")).run,
  },
  {
    name: "merge-policies",
    summary: "list, show, create, patch or delete merge policies (the platform's /config/mergePolicies)",
    usage: "profile-lab merge-policies list | get <id> | create --request <file.json> | patch <id> --request <file.json> | delete <id>  [--sandbox <dir>]",
    options: {
      sandbox: SANDBOX,
      request: REQUEST("request body for create (a policy) or patch (one JSON Patch operation or an array)"),
      ...PAGING,
    },
    actions: ["list", "get <id>", "create", "patch <id>", "delete <id>"],
    defaultAction: "list",
    maxArgs: 2,
    load: async () => (await import("./commands/merge-policies.js")).run,
  },
  {
    name: "datasets",
    summary: "Catalog datasets: list, show one, or create an export target on the profile union schema",
    usage: "profile-lab datasets list | get <id> | create --request <file.json>  [--sandbox <dir>] [--limit n] [--start n] [--properties a,b]",
    options: { sandbox: SANDBOX, request: REQUEST("POST /dataSets body for create"), ...PAGING, properties: PROPERTIES },
    actions: ["list", "get <id>", "create"],
    defaultAction: "list",
    maxArgs: 2,
    load: async () => (await import("./commands/datasets.js")).run,
  },
  {
    name: "batches",
    summary: "Catalog batches (newest first), of every dataset or of one, or one batch",
    usage: "profile-lab batches list [<datasetId>] | get <batchId>  [--sandbox <dir>] [--limit n] [--start n] [--sort created:desc|created:asc] [--properties a,b]",
    options: {
      sandbox: SANDBOX,
      ...PAGING,
      sort: { type: "string", value: "field:dir", description: "created:desc or created:asc", default: "created:desc" },
      properties: PROPERTIES,
    },
    actions: ["list [<datasetId>]", "get <batchId>"],
    defaultAction: "list",
    maxArgs: 2,
    load: async () => (await import("./commands/batches.js")).run,
  },
  {
    name: "files",
    summary: "Data Access: the files of a batch, one file's parts, or a file's bytes (with an optional byte range)",
    usage: "profile-lab files list <batchId> | get <fileId> | read <fileId> --path <name> --out <file> [--range 0-99]  [--sandbox <dir>]",
    options: {
      sandbox: SANDBOX,
      path: { type: "string", value: "name", description: "the part file to read, e.g. part-00000.parquet" },
      out: { type: "string", value: "file", description: "where to write the bytes read", complete: "file" },
      range: { type: "string", value: "start-end", description: "read only these bytes (inclusive), as an HTTP Range" },
    },
    actions: ["list <batchId>", "get <fileId>", "read <fileId>"],
    maxArgs: 2,
    load: async () => (await import("./commands/files.js")).run,
  },
  {
    name: "schedule",
    summary: "segmentation schedules (Quartz cron, once a day): create, list, get, patch, delete, and run the firings between two instants",
    usage: "profile-lab schedule list | get <id> | create --request <file.json> | patch <id> --request <file.json> | delete <id> | run --until <time> [--from <time>]  [--sandbox <dir>]",
    options: {
      sandbox: SANDBOX,
      request: REQUEST("POST /config/schedules body, or a JSON Patch array for patch"),
      from: { type: "string", value: "time", description: "run: start of the window (RFC 3339); default: the sandbox's referenceTime, else now" },
      until: { type: "string", value: "time", description: "run: end of the window (RFC 3339, exclusive)" },
      "status-model": STATUS_MODEL,
    },
    actions: ["list", "get <id>", "create", "patch <id>", "delete <id>", "run"],
    defaultAction: "list",
    maxArgs: 2,
    load: async () => (await import("./commands/schedule.js")).run,
  },
  {
    name: "serve",
    summary: "serve the platform's REST endpoints (export and segment jobs, segment definitions, merge policies, schedules, previews, Catalog, Data Access) on localhost",
    usage: "profile-lab serve [--port 8080] [--host 127.0.0.1] [--sandboxes <dir>] [--token <token>] [--status-model legacy|current]",
    options: {
      port: { type: "string", value: "n", description: "TCP port (0: any free port)", default: "8080" },
      host: { type: "string", value: "address", description: "address to listen on", default: "127.0.0.1" },
      sandboxes: {
        type: "string",
        value: "dir",
        description: "a sandbox folder (x-sandbox-name: its sandboxName), or a folder of sandbox folders (x-sandbox-name: the sub-folder's name)",
        default: ".",
        env: "PROFILE_LAB_SANDBOXES",
        complete: "dir",
      },
      token: { type: "string", value: "token", description: "require `Authorization: Bearer <token>` (default: any bearer token is accepted)" },
      "status-model": STATUS_MODEL,
    },
    maxArgs: 0,
    load: async () => (await import("./commands/serve.js")).run,
  },
  {
    name: "completion",
    summary: "print a shell completion script: `eval \"$(profile-lab completion bash)\"` (or zsh) in your shell's rc file",
    usage: "profile-lab completion bash|zsh",
    options: {},
    actions: ["bash", "zsh"],
    maxArgs: 1,
    load: async () => (await import("./commands/completion.js")).run,
  },
];
