/**
 * A tiny command framework over node:util parseArgs: each command declares its options once, and the
 * same declaration drives parsing, validation and `--help`.
 */
import { parseArgs } from "node:util";
import { ProfileLabError } from "../xdm/errors.js";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Shown in help as `--name <value>`. */
  readonly value?: string;
  readonly default?: string;
  readonly multiple?: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Returns the process exit code. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export class UsageError extends ProfileLabError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super("CLI-U001", message);
  }
}

export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(command.options)) options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    const withDefaults = { ...values } as Record<string, string | boolean | string[] | undefined>;
    for (const [name, spec] of Object.entries(command.options)) if (withDefaults[name] === undefined && spec.default !== undefined) withDefaults[name] = spec.default;
    return { values: withDefaults, positionals };
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)} (see \`profile-lab ${command.name} --help\`)`);
  }
}

export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `--${name}${spec.type === "string" ? ` <${spec.value ?? "value"}>` : ""}`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : "";
    return [flag, `${spec.description}${def}`] as const;
  });
  rows.push(["--help", "show this help"]);
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    `profile-lab ${command.name}: ${command.summary}`,
    "",
    `Usage: ${command.usage}`,
    "",
    "Options:",
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
  ].join("\n");
}

/** A string option's value, or a UsageError when a required one is missing. */
export function requireString(args: ParsedArgs, name: string): string {
  const v = args.values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing --${name}`);
  return v;
}
