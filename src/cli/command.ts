/**
 * The command framework: each command declares its options, arguments and actions once, and the same
 * declaration drives parsing, validation, "did you mean", `--help` and shell completion. A command's code is
 * loaded only when it runs, so `--help` and a usage error never pay for the engine (or the PQL parser).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ProfileLabError } from "../xdm/errors.js";
import { closest } from "../requests/did-you-mean.js";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Shown in help as `--name <value>`. */
  readonly value?: string;
  readonly default?: string;
  readonly multiple?: boolean;
  /** Completes as a file or a directory path. */
  readonly complete?: "file" | "dir";
  /** Read from this environment variable when the option is not given. */
  readonly env?: string;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export type CommandRun = (args: ParsedArgs, io: CliIo) => Promise<number>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** The actions the first argument names, with their own arguments (`get <id>`): for validation, suggestions and completion. */
  readonly actions?: readonly string[];
  /** The action taken when no argument is given. */
  readonly defaultAction?: string;
  /** How many arguments the command takes at most (actions included). */
  readonly maxArgs: number;
  /** Loads the command's code; it returns the process exit code. */
  readonly load: () => Promise<CommandRun>;
}

export class UsageError extends ProfileLabError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super("CLI-U001", message);
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: "boolean", description: "print the result as JSON (the platform's JSON where there is one)" },
};

/** Option names that changed, so an old command line gets a pointer instead of a bare "unknown option". */
const RENAMED: Readonly<Record<string, string>> = { body: "request", "order-by": "sort" };

export function optionsOf(command: Command): Readonly<Record<string, OptionSpec>> {
  return { ...command.options, ...COMMON_OPTIONS };
}

function unknownOption(command: Command, name: string): UsageError {
  const names = Object.keys(optionsOf(command));
  const renamed = RENAMED[name];
  const hint =
    renamed !== undefined && names.includes(renamed)
      ? `; it is --${renamed} now`
      : ((s) => (s ? `; did you mean --${s}?` : ""))(closest(name, [...names, "help"]));
  return new UsageError(`unknown option --${name} for \`profile-lab ${command.name}\`${hint} (see \`profile-lab ${command.name} --help\`)`);
}

/** A positional that names a sandbox folder was most likely meant as `--sandbox`. */
function unexpectedArgument(command: Command, value: string): UsageError {
  const hint = "sandbox" in command.options && existsSync(join(value, "sandbox.json")) ? `; to name the sandbox, use --sandbox ${value} (or set PROFILE_LAB_SANDBOX)` : "";
  return new UsageError(`unexpected argument "${value}"${hint} (see \`profile-lab ${command.name} --help\`)`);
}

export function parseCommandArgs(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const specs = optionsOf(command);
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)} (see \`profile-lab ${command.name} --help\`)`);
  }
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    const spec = specs[token.name];
    const flag = token.rawName;
    if (spec === undefined) throw unknownOption(command, token.name);
    if (spec.type === "string" && token.value === undefined) throw new UsageError(`option ${flag} needs a value: ${flag} <${spec.value ?? "value"}>`);
    if (spec.type === "boolean" && token.value !== undefined) throw new UsageError(`option ${flag} takes no value (found "${token.value}")`);
  }
  const values = { ...parsed.values } as Record<string, string | boolean | string[] | undefined>;
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] !== undefined) continue;
    const fromEnv = spec.env !== undefined ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") values[name] = fromEnv;
    else if (spec.default !== undefined) values[name] = spec.default;
  }
  const positionals = parsed.positionals;
  if (command.actions !== undefined) {
    const action = positionals[0];
    const names = actionNames(command);
    if (action !== undefined && !names.includes(action)) {
      const s = closest(action, names);
      throw new UsageError(`unknown action "${action}"${s ? ` (did you mean \`${command.name} ${s}\`?)` : ""}: use ${actionList(command)}`);
    }
    if (action === undefined && command.defaultAction === undefined) throw new UsageError(`missing an action: use ${actionList(command)}`);
  }
  if (positionals.length > command.maxArgs) throw unexpectedArgument(command, positionals[command.maxArgs]!);
  return { values, positionals: command.actions !== undefined && positionals.length === 0 ? [command.defaultAction!] : positionals };
}

export function actionNames(command: Command): string[] {
  return (command.actions ?? []).map((a) => a.split(" ")[0]!);
}

/** `\`jobs list\`, \`jobs get <id>\` or \`jobs cancel <id>\``. */
function actionList(command: Command): string {
  const all = (command.actions ?? []).map((a) => `\`${command.name} ${a}\``);
  return all.length > 1 ? `${all.slice(0, -1).join(", ")} or ${all.at(-1)!}` : all.join("");
}

export const EXIT_CODES = [
  ["0", "success"],
  ["1", "the job, the data or a definition failed (a located, coded error; `check` found errors)"],
  ["2", "usage error: unknown command or option, missing or malformed argument"],
  ["70", "internal error: a bug in profile-lab (please report it)"],
  ["130", "interrupted twice with Ctrl-C"],
] as const;

export function exitCodesHelp(): string[] {
  return ["Exit codes:", ...EXIT_CODES.map(([code, what]) => `  ${code.padEnd(3)}  ${what}`)];
}

export function commandHelp(command: Command): string {
  const rows = Object.entries(optionsOf(command)).map(([name, spec]) => {
    const flag = `--${name}${spec.type === "string" ? ` <${spec.value ?? "value"}>` : ""}`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : "";
    const env = spec.env !== undefined ? ` [env: ${spec.env}]` : "";
    return [flag, `${spec.description}${def}${env}`] as const;
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
    "",
    ...exitCodesHelp(),
  ].join("\n");
}

/** A string option's value, or a UsageError when a required one is missing. */
export function requireString(args: ParsedArgs, name: string): string {
  const v = args.values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing --${name}`);
  return v;
}
