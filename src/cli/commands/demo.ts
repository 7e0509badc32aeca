/** `profile-lab demo`: a segment job and every export request of a sandbox — by default a copy of the bundled sample. */
import { cpSync, existsSync, readdirSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runExportJob } from "../../engine/run-export-job.js";
import { runSegmentJob } from "../../engine/run-segment-job.js";
import { openSandbox } from "../../engine/sandbox.js";
import { IoError } from "../../io/io-error.js";
import { formatDateTime } from "../../xdm/time.js";
import { asOfOf, memoryOf, statusModelOf, stringOption } from "../args.js";
import type { CommandRun } from "../command.js";
import { printExport, printExportWarnings, printJson, printSegmentJob } from "../print.js";

/** The sample sandbox shipped in the package (and in the repository). */
const BUNDLED_SAMPLE = fileURLToPath(new URL("../../../sample-data", import.meta.url));
const DEFAULT_DEMO_DIR = "profile-lab-demo";

/**
 * The folder the demo runs in: a copy of the bundled sample made on first use, so an installed package
 * never writes into itself and a second run goes on from the first one's memberships.
 */
function demoSandboxDir(target: string, say: (text: string) => void): string {
  if (existsSync(join(target, "sandbox.json"))) return target;
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new IoError("CLI-D001", `${target} exists and is not a sandbox (no sandbox.json); name an empty or new folder for the demo: profile-lab demo <dir>`, { file: target });
  }
  cpSync(BUNDLED_SAMPLE, target, { recursive: true, filter: (src) => basename(src) !== ".profile-lab" });
  say(`Copied the bundled sample sandbox to ${relative(process.cwd(), resolve(target)) || "."}`);
  return target;
}

export const run: CommandRun = async (args, io) => {
  const json = args.values["json"] === true;
  const dir = stringOption(args, "sandbox") ?? demoSandboxDir(args.positionals[0] ?? DEFAULT_DEMO_DIR, (t) => io.err(t));
  const sandbox = openSandbox(dir);
  const asOf = asOfOf(args, sandbox.manifest.referenceTime);
  const statusModel = statusModelOf(args);
  const memoryBytes = memoryOf(args);
  if (!json) io.out(`Sandbox "${sandbox.manifest.name}" (${relative(process.cwd(), sandbox.dir) || "."}), evaluated as of ${formatDateTime(asOf)}\n`);
  const segmentJob = await runSegmentJob(sandbox, { asOf, statusModel, memoryBytes });
  if (!json) printSegmentJob(io, sandbox, segmentJob);
  const exportJobs = [];
  for (const doc of sandbox.exportRequests) {
    const result = await runExportJob(sandbox, doc.value, { asOf, statusModel, requestFile: doc.file, memoryBytes });
    printExportWarnings(io, result);
    exportJobs.push(result.job);
    if (!json) {
      io.out("");
      printExport(io, sandbox, result, basename(doc.file));
    }
  }
  if (json) printJson(io, { sandbox: sandbox.dir, asOf: formatDateTime(asOf), segmentJob, exportJobs });
  return 0;
};
