/** `profile-lab query "<SQL>" | --file q.sql [--tables] [--json | --csv]`: SQL over the sandbox's tables (engine/query.ts). */
import { readFileSync } from "node:fs";
import { SandboxQuery, type QueryResult } from "../../engine/query.js";
import { memoryOf, sandboxOf, stringOption, workersOf } from "../args.js";
import { UsageError, type CommandRun } from "../command.js";
import { printJson } from "../print.js";
import { table } from "../table.js";

const text = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
const csvField = (v: unknown): string => {
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function sqlOf(statement: string | undefined, file: string | undefined): string {
  if ((statement === undefined) === (file === undefined)) throw new UsageError('give the SQL as an argument or with --file <file.sql> (one of the two), or list the tables with --tables');
  if (statement !== undefined) return statement;
  try {
    return readFileSync(file!, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function print(io: Parameters<CommandRun>[1], result: QueryResult, format: "table" | "json" | "csv"): void {
  if (format === "json") return printJson(io, result.rows);
  const rows = result.rows.map((r) => result.columns.map((c) => r[c]));
  if (format === "csv") {
    io.out([result.columns.map(csvField).join(","), ...rows.map((r) => r.map(csvField).join(","))].join("\n"));
    return;
  }
  // Numbers come as JSON numbers, or as strings for BIGINT and DECIMAL (exact): a column of them aligns right.
  const numeric = result.columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === "number" || (typeof r[i] === "string" && /^-?\d+(\.\d+)?$/.test(r[i] as string))));
  io.out(table(result.columns, rows.map((r) => r.map(text)), numeric));
  io.out(`(${result.rows.length.toLocaleString("en-US")} row${result.rows.length === 1 ? "" : "s"})`);
}

export const run: CommandRun = async (args, io) => {
  const listTables = args.values["tables"] === true;
  const csv = args.values["csv"] === true;
  if (csv && args.values["json"]) throw new UsageError("--json and --csv: give one output format");
  const sql = listTables ? undefined : sqlOf(args.positionals[0], stringOption(args, "file"));
  const workers = workersOf(args).workers;
  const query = await SandboxQuery.open(sandboxOf(args), { memory: memoryOf(args), ...(workers !== undefined ? { threads: workers } : {}) });
  try {
    if (listTables) {
      print(io, { columns: ["table", "reads"], rows: query.tables.map((t) => ({ table: t.name, reads: t.source })) }, args.values["json"] ? "json" : csv ? "csv" : "table");
      return 0;
    }
    print(io, await query.run(sql!), args.values["json"] ? "json" : csv ? "csv" : "table");
    return 0;
  } finally {
    query.close();
  }
};
