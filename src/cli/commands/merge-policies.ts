/** `profile-lab merge-policies`: the platform's /config/mergePolicies on the sandbox's merge-policies/ folder. */
import { MergePolicyStore } from "../../merge/merge-policy-store.js";
import { intOption, positional, sandboxOf, withRequest } from "../args.js";
import type { CommandRun } from "../command.js";
import { printJson } from "../print.js";

export const run: CommandRun = async (args, io) => {
  const sandbox = sandboxOf(args);
  const store = MergePolicyStore.of(sandbox, Date.now, (w) => io.err(`warning: ${w}`));
  const [action, id] = args.positionals;
  const policyId = (): string => positional(id, `merge-policies ${action!} <id>`);
  switch (action) {
    case "list":
      printJson(io, store.list({ limit: intOption(args, "limit")!, start: intOption(args, "start")! }));
      return 0;
    case "get":
      printJson(io, store.get(policyId()));
      return 0;
    case "create":
      printJson(io, withRequest(args, (body, file) => store.create(body, file)));
      return 0;
    case "patch":
      printJson(io, withRequest(args, (body, file) => store.patch(policyId(), body, file)));
      return 0;
    default:
      store.delete(policyId());
      if (args.values["json"]) printJson(io, { deleted: id });
      else io.out(`deleted merge policy ${id!}`);
      return 0;
  }
};
