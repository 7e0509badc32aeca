/** `profile-lab explain --identity <Namespace:id>`: why this profile, value and segment decision. */
import { findSegment } from "../../engine/sandbox.js";
import { explain } from "../../engine/explain.js";
import { asOfOf, sandboxOf, statusModelOf, stringOption } from "../args.js";
import { requireString, type CommandRun } from "../command.js";
import { explanationText } from "../explain-text.js";
import { printJson } from "../print.js";

export const run: CommandRun = async (args, io) => {
  const sandbox = sandboxOf(args);
  const segmentRef = stringOption(args, "segment");
  // An exact name stands for its segment's id; an unknown one is left to explain's own error.
  const segmentId = segmentRef === undefined ? undefined : (findSegment(sandbox, segmentRef)?.definition.id ?? segmentRef);
  const mergePolicyId = stringOption(args, "merge-policy");
  const x = await explain(sandbox, {
    identity: requireString(args, "identity"),
    ...(segmentId !== undefined ? { segmentId } : {}),
    ...(mergePolicyId !== undefined ? { mergePolicyId } : {}),
    // Without --as-of, explain evaluates at the last segment job's instant (and says so), not at the wall clock.
    ...(stringOption(args, "as-of") !== undefined ? { asOf: asOfOf(args, undefined) } : {}),
    statusModel: statusModelOf(args),
  });
  if (args.values["json"]) printJson(io, x);
  else io.out(explanationText(x));
  return 0;
};
