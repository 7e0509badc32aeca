/** Renders an Explanation as the readable text `profile-lab explain` prints. */
import type { Explanation, FragmentSource } from "../engine/explain.js";
import type { PqlTraceNode } from "../pql/index.js";
import type { SegmentMembershipEntry } from "../xdm/types.js";

const show = (v: unknown): string => JSON.stringify(v);

function source(s: FragmentSource): string {
  return `${s.datasetName} (${s.file}:${s.line}, ingested ${s.ingestTime}${s.customTimestamp ? `, lastUpdatedDate ${s.customTimestamp}` : ""})`;
}

function status(e: SegmentMembershipEntry | null): string {
  return e === null ? "none" : `${e.status} since ${e.lastQualificationTime}`;
}

/** One line per traced sub-expression, indented under its parent: `text  → value`. */
function traceLines(node: PqlTraceNode, depth: number, out: string[]): void {
  out.push(`${"  ".repeat(depth)}${node.text}  → ${show(node.value)}`);
  for (const c of node.children) traceLines(c, depth + 1, out);
}

export function explanationText(x: Explanation): string {
  const out: string[] = [];
  const policy = x.mergePolicy;
  out.push(
    policy
      ? `Profile ${x.profileKey} under merge policy "${policy.name}" (${policy.id}: identity graph ${policy.identityGraph}, ${policy.attributeMerge})`
      : `Fragments of ${x.profileKey}, not merged: the sandbox has no default merge policy (pass --merge-policy to merge)`,
  );
  out.push(`Identities: ${x.identities.join(", ")}`);
  out.push("", `Fragments, in the order the merge applies them (the last to set a field wins it):`);
  x.fragments.forEach((f, i) => out.push(`  ${i + 1}. ${source(f)}`));
  if (x.merged !== null) {
    out.push("", "Merged profile:");
    for (const f of x.fields) {
      out.push(`  ${f.path} = ${show(f.value)}  ← ${source(f.source)}`);
      for (const l of f.losing) out.push(`      lost: ${show(l.value)} from ${source(l.source)}`);
    }
  }
  out.push("", x.events.count ? `Events: ${x.events.count}, from ${x.events.first} to ${x.events.last}` : "Events: none");
  if (x.segments.length) {
    out.push("", `Segments, evaluated as of ${x.asOf}:`);
    for (const s of x.segments) {
      out.push(`  ${s.name} (${s.segmentId}): ${s.qualifies ? "qualifies" : "does not qualify"}`);
      traceLines(s.trace, 3, out);
      out.push(`      membership: ${status(s.before)} → ${status(s.after)}`);
    }
  }
  return out.join("\n");
}
