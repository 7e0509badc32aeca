/**
 * The `profile-lab` entry point: dispatches to a subcommand, prints user errors as one located message
 * (never a stack trace) and returns the exit code.
 */
import { ProfileLabError } from "../xdm/errors.js";
import { commandHelp, parseCommandArgs, type CliIo } from "./command.js";
import { COMMANDS } from "./commands.js";

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
    "Run `profile-lab <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script); returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = consoleIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`error: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (e) {
    if (e instanceof ProfileLabError) {
      io.err(`error: ${e.format()}`);
      return e.code.startsWith("CLI-U") ? 2 : 1;
    }
    io.err(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env["PROFILE_LAB_DEBUG"] && e instanceof Error) io.err(e.stack ?? "");
    return 70;
  }
}
