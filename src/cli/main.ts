/**
 * The `profile-lab` entry point: dispatches to a subcommand, prints user errors as one located message
 * (never a stack trace) and returns the exit code (see EXIT_CODES).
 */
import { ProfileLabError } from "../xdm/errors.js";
import { version } from "../version.js";
import { commandHelp, exitCodesHelp, parseCommandArgs, type CliIo } from "./command.js";
import { COMMANDS } from "./commands.js";
import { closest } from "../requests/did-you-mean.js";

const consoleIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "profile-lab: Real-Time Customer Profile on your machine: merge policies, PQL segments, segment and export jobs, Parquet.",
    "",
    "Usage: profile-lab <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  --help, -h      show help (`profile-lab <command> --help` for a command's options)",
    "  --version, -v   print the version",
    "",
    "The sandbox is --sandbox <dir> or the environment variable PROFILE_LAB_SANDBOX (default: the current folder).",
    "PROFILE_LAB_DEBUG=1 prints the stack of an internal error.",
    "",
    ...exitCodesHelp(),
  ].join("\n");
}

function internalError(e: unknown, argv: readonly string[]): string {
  const message = e instanceof Error ? e.message : String(e);
  return [
    `internal error: ${message}`,
    `This is a bug in profile-lab ${version()}. Please report it with this message, the command line (profile-lab ${argv.join(" ")})`,
    "and, if a job was running, its id and record (`profile-lab jobs list`, `profile-lab jobs get <id>`); PROFILE_LAB_DEBUG=1 adds the stack.",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script); returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = consoleIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.out(`profile-lab ${version()}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    const suggestion = closest(name, COMMANDS.map((c) => c.name));
    io.err(`error: CLI-U002 unknown command "${name}"${suggestion ? `; did you mean \`profile-lab ${suggestion}\`?` : ""}\nRun \`profile-lab --help\` for the list of commands.`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    const args = parseCommandArgs(command, rest);
    const run = await command.load();
    return await run(args, io);
  } catch (e) {
    if (e instanceof ProfileLabError) {
      io.err(`error: ${e.format()}`);
      return e.code.startsWith("CLI-U") ? 2 : 1;
    }
    io.err(internalError(e, argv));
    if (process.env["PROFILE_LAB_DEBUG"] && e instanceof Error) io.err(e.stack ?? "");
    return 70;
  }
}
