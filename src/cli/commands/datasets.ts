/** `profile-lab datasets list | get <id> | create --request <file.json>`: Catalog datasets. */
import { positional, withRequest } from "../args.js";
import type { CommandRun } from "../command.js";
import { printJson } from "../print.js";
import { catalogOf, propertiesOf } from "./catalog.js";

export const run: CommandRun = async (args, io) => {
  const { catalog } = catalogOf(args);
  const [action, id] = args.positionals;
  const properties = propertiesOf(args);
  printJson(
    io,
    action === "get"
      ? catalog.getDataset(positional(id, "datasets get <id>"), properties)
      : action === "create"
        ? withRequest(args, (body, file) => catalog.createDataset(body, file))
        : catalog.listDatasets({ limit: args.values["limit"] as string, start: args.values["start"] as string, ...properties }),
  );
  return 0;
};
