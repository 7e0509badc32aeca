/** Renders an Explanation as the readable text `profile-lab explain` prints. */
import type { Explanation, FragmentSource, TraceExplanation } from "../engine/explain.js";
import type { SegmentMembershipEntry } from "../xdm/types.js";

const show = (v: unknown): string => JSON.stringify(v);

function source(s: FragmentSource): string {
  return `${s.datasetName} (${s.file}:${s.line}, ingested ${s.ingestTime}${s.customTimestamp ? `, lastUpdatedDate ${s.customTimestamp}` : ""})`;
}

function status(e: SegmentMembershipEntry | null): string {
  return e === null ? "none" : `${e.status} since ${e.lastQualificationTime}`;
}

/**
 * One line per traced sub-expression, indented under its parent: `text  → value`. A time reference shows as
 * its ISO 8601 text unquoted (`date(2012, 1, 1)  → 2012-01-01`), so it reads as a date, not as a string.
 */
function traceLines(node: TraceExplanation, depth: number, out: string[]): void {
  const value = node.time !== undefined && typeof node.value === "string" ? node.value : show(node.value);
  out.push(`${"  ".repeat(depth)}${node.text}  → ${value}`);
  for (const c of node.children) traceLines(c, depth + 1, out);
}

export function explanationText(x: Explanation): string {
  const out: string[] = [`As of ${x.asOf} (${x.asOfSource})`];
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
