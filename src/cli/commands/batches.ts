/** `profile-lab batches list [<datasetId>] | get <batchId>`: Catalog batches. */
import { positional, sortOf } from "../args.js";
import type { CommandRun } from "../command.js";
import { printJson } from "../print.js";
import { catalogOf, propertiesOf } from "./catalog.js";

export const run: CommandRun = async (args, io) => {
  const { catalog } = catalogOf(args);
  const [action, id] = args.positionals;
  const properties = propertiesOf(args);
  if (action === "get") {
    printJson(io, catalog.getBatch(positional(id, "batches get <batchId>"), properties));
    return 0;
  }
  // The Catalog API's own syntax is orderBy=desc:created; the CLI's one sort syntax is field:direction.
  const sort = sortOf(args, ["created"])!;
  printJson(
    io,
    catalog.listBatches({
      ...(id !== undefined ? { dataSet: id } : {}),
      limit: args.values["limit"] as string,
      start: args.values["start"] as string,
      orderBy: `${sort.direction}:${sort.field}`,
      ...properties,
    }),
  );
  return 0;
};
