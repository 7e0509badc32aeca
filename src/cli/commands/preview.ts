/** `profile-lab preview --pql <PQL> | --segment <id or name>`: the audience, a sample of members and counts per namespace, nothing written. */
import { preview, type PreviewOptions } from "../../engine/preview.js";
import { asOfOf, intOption, sandboxOf, statusModelOf, stringOption } from "../args.js";
import { UsageError, type CommandRun, type ParsedArgs } from "../command.js";
import { count, printJson } from "../print.js";

/** --pql or --segment (exactly one), and --merge-policy: what preview and estimate evaluate. */
export function previewTarget(args: ParsedArgs): Pick<PreviewOptions, "pql" | "segment" | "mergePolicy"> {
  const pql = stringOption(args, "pql");
  const segment = stringOption(args, "segment");
  const mergePolicy = stringOption(args, "merge-policy");
  if ((pql === undefined) === (segment === undefined)) throw new UsageError("give --pql '<PQL>' or --segment <id or name> (one of the two)");
  return { ...(pql !== undefined ? { pql } : { segment: segment! }), ...(mergePolicy !== undefined ? { mergePolicy } : {}) };
}

export const run: CommandRun = async (args, io) => {
  const limit = intOption(args, "limit") ?? 20;
  if (limit < 1 || limit > 1000) throw new UsageError(`--limit must be from 1 to 1000, not ${limit}`);
  const target = previewTarget(args);
  const sandbox = sandboxOf(args);
  const r = await preview(sandbox, { ...target, asOf: asOfOf(args, sandbox.manifest.referenceTime), statusModel: statusModelOf(args), limit });
  if (args.values["json"]) {
    printJson(io, r);
    return 0;
  }
  io.out(`${count(r.size)} profiles qualify as of ${r.asOf} (merge policy ${r.mergePolicyId}, identity graph ${r.graphType}): ${r.predicateExpression}`);
  const namespaces = Object.entries(r.namespaceCounts);
  if (namespaces.length > 0) io.out(`By namespace: ${namespaces.map(([ns, n]) => `${ns} ${count(n)}`).join(", ")}`);
  if (r.results.length > 0) io.out(`First ${r.results.length}, with the fields the PQL reads:`);
  for (const { objectId, identityMap: _identities, ...fields } of r.results) io.out(`  ${String(objectId)}  ${JSON.stringify(fields)}`);
  return 0;
};
