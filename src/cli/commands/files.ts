/** `profile-lab files list <batchId> | get <fileId> | read <fileId>`: Data Access files. */
import { writeFileSync } from "node:fs";
import { parseRangeHeader } from "../../store/data-access.js";
import { positional, stringOption } from "../args.js";
import { requireString, UsageError, type CommandRun } from "../command.js";
import { printJson } from "../print.js";
import { catalogOf } from "./catalog.js";

export const run: CommandRun = async (args, io) => {
  const { access } = catalogOf(args);
  const [action, id] = args.positionals;
  if (action === "list") {
    printJson(io, access.listBatchFiles(positional(id, "files list <batchId>")));
    return 0;
  }
  if (action === "get") {
    printJson(io, access.getFile(positional(id, "files get <fileId>")));
    return 0;
  }
  const rawRange = stringOption(args, "range");
  const range = rawRange === undefined ? undefined : parseRangeHeader(`bytes=${rawRange}`);
  if (rawRange !== undefined && range === undefined) throw new UsageError(`--range must look like 0-99, not "${rawRange}"`);
  const out = requireString(args, "out");
  const content = access.readFile(positional(id, "files read <fileId>"), requireString(args, "path"), range);
  writeFileSync(out, content.bytes);
  const summary = { status: content.status, contentLength: content.contentLength, ...(content.contentRange ? { contentRange: content.contentRange } : {}), out };
  if (args.values["json"]) printJson(io, summary);
  else io.out(`${content.status} ${content.contentLength} bytes${content.contentRange ? ` (${content.contentRange})` : ""} → ${out}`);
  return 0;
};
