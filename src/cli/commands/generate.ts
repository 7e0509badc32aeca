/** `profile-lab generate <dir>`: a seeded, reproducible sandbox. */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { DEFAULT_CONFIG_FILE, readGeneratorConfig } from "../../generate/gen-config.js";
import { GENERATE_COMPRESSIONS, generateSandbox, type GenerateCompression } from "../../generate/index.js";
import { parseDateTime } from "../../xdm/time.js";
import { formatOf, intOption, stringOption, workersOf } from "../args.js";
import { UsageError, type CommandRun } from "../command.js";
import { count, printJson } from "../print.js";
import { countReporter } from "../progress.js";

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

/** `<segment>=<share>`: a share as 0.3 or 30 %; the segment (id or name) may hold "=" itself. */
function targetOf(text: string): { segment: string; share: number } {
  const at = text.lastIndexOf("=");
  const value = text.slice(at + 1).trim();
  const share = value.endsWith("%") ? Number(value.slice(0, -1).trim()) / 100 : Number(value);
  if (at <= 0 || value === "" || !Number.isFinite(share) || share < 0 || share > 1) {
    throw new UsageError(`--target-audience: "${text}" is not <segment>=<share> with a share from 0 to 1 or 0 % to 100 % (e.g. "US residents=30%")`);
  }
  return { segment: text.slice(0, at).trim(), share };
}

export const run: CommandRun = async (args, io) => {
  if (args.values["print-config"]) {
    io.out(readFileSync(DEFAULT_CONFIG_FILE, "utf8").trimEnd());
    return 0;
  }
  const dir = args.positionals[0];
  if (dir === undefined) throw new UsageError("missing the target directory: profile-lab generate <dir>");
  const referenceTime = args.values["reference-time"] as string;
  if (parseDateTime(referenceTime) === undefined) throw new UsageError(`--reference-time: "${referenceTime}" is not an RFC 3339 timestamp`);
  const rowsPerFile = intOption(args, "rows-per-file")!;
  if (rowsPerFile < 1) throw new UsageError(`--rows-per-file must be at least 1, not ${rowsPerFile}`);
  const compression = args.values["compression"] as string;
  if (!(GENERATE_COMPRESSIONS as readonly string[]).includes(compression)) throw new UsageError(`--compression must be ${GENERATE_COMPRESSIONS.join(" or ")}, not ${compression}`);
  const configFile = stringOption(args, "config");
  const fromSandbox = stringOption(args, "from-sandbox");
  if (configFile !== undefined && fromSandbox !== undefined) throw new UsageError("--config and --from-sandbox both give the shape: use one");
  const targets = ((args.values["target-audience"] as string[] | undefined) ?? []).map(targetOf);
  if (targets.length > 0 && fromSandbox === undefined) throw new UsageError("--target-audience steers a sandbox's own segments: use it with --from-sandbox");
  // The sandbox reader (and the engine it validates with) is loaded only for --from-sandbox.
  const config =
    configFile !== undefined ? readGeneratorConfig(configFile) : fromSandbox !== undefined ? await (await import("../../generate/from-sandbox.js")).configFromSandbox(fromSandbox) : undefined;
  const progress = args.values["quiet"] ? undefined : countReporter("generate", "persons");
  const started = Date.now();
  const summary = await generateSandbox(dir, {
    profiles: intOption(args, "profiles")!,
    eventsPerProfile: intOption(args, "events-per-profile")!,
    seed: intOption(args, "seed")!,
    referenceTime,
    name: stringOption(args, "name") ?? basename(dir),
    format: formatOf(args),
    rowsPerFile,
    compression: compression as GenerateCompression,
    ...workersOf(args),
    ...(config ? { config } : {}),
    ...(targets.length > 0 ? { targets } : {}),
    ...(progress ? { onProgress: progress.onProgress } : {}),
  }).finally(() => progress?.done());
  if (args.values["json"]) {
    printJson(io, summary);
    return 0;
  }
  const seconds = (Date.now() - started) / 1000;
  io.out(`Generated sandbox in ${dir}: ${count(summary.persons)} persons, ${count(summary.events)} events`);
  for (const [name, { rows, bytes }] of Object.entries(summary.datasets)) {
    io.out(`  ${name}: ${count(rows)} ${name in summary.records ? "records" : "events"}, ${mib(bytes)}`);
  }
  for (const d of summary.distributions) {
    const total = Object.values(d.eventTypes ?? {}).reduce((a, b) => a + b, 0);
    const types = Object.entries(d.eventTypes ?? {}).map(([type, n]) => `${type} ${percent(n / total)}`);
    io.out(`  ${d.name}: ${percent(d.share)} of persons, ${d.rowsPerPerson.toFixed(1)} ${d.eventTypes ? "events" : "rows"} each${types.length > 0 ? `; ${types.join(", ")}` : ""}`);
  }
  for (const t of summary.targets ?? []) {
    io.out(`  target ${t.name}: ${percent(t.share)} asked, ${percent(t.achieved)} reached (${count(t.members)} of ${count(t.profiles)} profiles)`);
  }
  const threads = summary.workers === 0 ? "in this thread" : `${summary.workers} worker${summary.workers === 1 ? "" : "s"}`;
  io.out(`  ${seconds.toFixed(1)} s, ${count(Math.round(summary.persons / Math.max(seconds, 0.001)))} persons/s, ${threads}`);
  return 0;
};
