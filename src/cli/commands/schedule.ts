/** `profile-lab schedule`: segmentation schedules (/config/schedules) and a simulation of their firings. */
import { runSchedules, schedulesOf } from "../../engine/run-schedules.js";
import { formatDateTime, parseDateTime } from "../../xdm/time.js";
import { positional, sandboxOf, statusModelOf, timeOption, withRequest } from "../args.js";
import type { CommandRun } from "../command.js";
import { count, printJson } from "../print.js";

export const run: CommandRun = async (args, io) => {
  const sandbox = sandboxOf(args);
  const schedules = schedulesOf(sandbox);
  const [action, id] = args.positionals;
  const json = args.values["json"] === true;
  switch (action) {
    case "list":
      printJson(io, schedules.list());
      return 0;
    case "get":
      printJson(io, schedules.get(positional(id, "schedule get <id>")));
      return 0;
    case "create":
      printJson(io, withRequest(args, (body, file) => schedules.create(body, file)));
      return 0;
    case "patch":
      printJson(io, withRequest(args, (body, file) => schedules.patch(positional(id, "schedule patch <id>"), body, file)));
      return 0;
    case "delete":
      schedules.delete(positional(id, "schedule delete <id>"));
      if (json) printJson(io, { deleted: id });
      else io.out(`deleted schedule ${id!}`);
      return 0;
    default: {
      const reference = sandbox.manifest.referenceTime === undefined ? undefined : parseDateTime(sandbox.manifest.referenceTime);
      const results = await runSchedules(sandbox, { from: timeOption(args, "from", reference ?? Date.now()), until: timeOption(args, "until", undefined), statusModel: statusModelOf(args) });
      if (json) {
        printJson(io, results.map(({ run: firing, job }) => ({ at: formatDateTime(firing.at), scheduleId: firing.scheduleId, runId: firing.runId, job })));
        return 0;
      }
      if (results.length === 0) io.out("no firings in that window (or they already ran)");
      for (const { run: firing, job } of results) {
        io.out(`${formatDateTime(firing.at)}  schedule ${firing.scheduleId}, run ${firing.runId}: segment job ${job.id} ${job.status}, ${count(job.metrics.totalProfiles ?? 0)} profiles`);
      }
      return 0;
    }
  }
};
