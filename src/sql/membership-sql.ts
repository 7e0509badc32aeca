/**
 * Membership transitions as SQL: the rules of src/segment/membership.ts (`nextMembership`) over whole tables, so a
 * job on the SQL back end moves every profile's memberships on in one statement. The JS function stays the
 * reference; membership-sql.test.ts holds the two equal over every case of the rules.
 *
 * Input relations (names are the caller's):
 * - evaluated: (key, segmentId, qualifies BOOLEAN) — one row per profile and segment the job evaluated (a row that
 *   does not qualify and has no prior entry may be left out: it gets none);
 * - prior: (key, segmentId, status VARCHAR, lastQualificationTime TIMESTAMP, version VARCHAR) — the previous
 *   snapshot's entries, already resolved to the keys the job uses (stitched identities: S7).
 * Output: the next snapshot's entries with the same five columns, and two flags for writing them as the reference
 * does: `kept` (the prior entry unchanged, written as it was) and `timeSet` (lastQualificationTime is the evaluation
 * instant; otherwise the prior entry's, written as it was). Entries of profiles or segments the job did not
 * evaluate are carried unchanged; an exited entry past retention and a profile that never qualified have none.
 * Other columns of `prior` can be carried through as they are (`carried`: NULL where there was no prior entry), so
 * a caller needs no join back to it.
 */
import {
  DEFAULT_MEMBERSHIP_CONVENTIONS,
  EXITED_RETENTION_MS,
  type MembershipConventions,
  type StatusModel,
} from "../segment/membership.js";
import type { SqlDialect } from "./dialect.js";

/**
 * DuckDB's memory limit per membership entry that listing entries per profile in one run may take (an export's
 * segmentMembership maps; the snapshot's lines were listed so too): the 1M-person snapshot's entries did not fit in
 * `--memory 400m` (then a 300 MiB limit) in runs of 384 bytes an entry and did in runs of 1,536. Twice that, as runs
 * well inside the limit list faster: 2.7M entries in 2 GiB took 3.4–4.8 s in 2 runs, 2.9–3.0 s in 4; in 1 GiB 10.1–13.7
 * s in 2, 4.5–6.0 in 4, 3.4–4.9 in 8 (bench/RESULTS.md).
 */
export const LISTED_ENTRY_BYTES = 3072;

/**
 * Above this many runs of listed entries, the entries are sorted by profile or key first so that a run reads only its
 * own; in fewer, each run picks its own out of them all, a scan that costs less than the sort (1M persons, an export's
 * segmentMembership maps: in 2 runs 5.2–6.9 s unsorted against 7.2–10.2 s sorted, the sort 2.4 s of it; unsorted in 4
 * and 8 runs 4.5–4.6 and 5.0–5.6 s; bench/RESULTS.md). Not measured where runs are many (10M persons).
 */
export const SORTED_ENTRIES_ABOVE_RUNS = 8;

export interface MembershipSqlOptions {
  /** The evaluation instant (epoch ms): the lastQualificationTime of entries that move. */
  readonly asOf: number;
  readonly statusModel: StatusModel;
  /** The version written on entries this evaluation touches. */
  readonly version: string;
  readonly conventions?: MembershipConventions;
  /** Columns of `prior` the output carries, by name. */
  readonly carried?: readonly string[];
}

/** `SELECT key, segmentId, status, lastQualificationTime, version` of the next snapshot. */
export function nextMembershipsSql(d: SqlDialect, evaluated: string, prior: string, options: MembershipSqlOptions): string {
  const { asOf, statusModel, version } = options;
  const conventions = options.conventions ?? DEFAULT_MEMBERSHIP_CONVENTIONS;
  const [key, segmentId, status, lqt, ver] = [d.ident("key"), d.ident("segmentId"), d.ident("status"), d.ident("lastQualificationTime"), d.ident("version")];
  const e = (c: string): string => `e.${c}`;
  const p = (c: string): string => `p.${c}`;
  const qualifies = d.isTrue(e(d.ident("qualifies")));
  const at = d.timestamp(asOf);
  const s = (x: string): string => d.string(x);
  // What happens to each (profile, segment): `keep` the prior entry, `enter`, `exit`, `stay` (still qualifies),
  // or `none` (no entry after: never qualified, or exited past retention).
  const pastRetention = conventions.exitedRetention === "30days" ? d.compare("<", p(lqt), d.timestamp(asOf - EXITED_RETENTION_MS)) : d.boolean(false);
  const move = d.caseWhen(
    [
      [d.isNull(e(key)), s("keep")],
      [d.isNull(p(key)), d.caseWhen([[qualifies, s("enter")]], s("none"))],
      [d.compare("=", p(status), s("exited")), d.caseWhen([[qualifies, s("enter")], [pastRetention, s("none")]], s("keep"))],
      [qualifies, s("stay")],
    ],
    s("exit"),
  );
  const carried = (options.carried ?? []).map((c) => d.ident(c));
  const moves = [
    `SELECT ${d.coalesce([e(key), p(key)])} AS ${key}, ${d.coalesce([e(segmentId), p(segmentId)])} AS ${segmentId}, ${move} AS move,`,
    `${[`${p(status)} AS prior_status`, `${p(lqt)} AS prior_time`, `${p(ver)} AS prior_version`, ...carried.map((c) => `${p(c)} AS ${c}`)].join(", ")}`,
    `FROM ${evaluated} AS e FULL OUTER JOIN ${prior} AS p ON ${e(key)} = ${p(key)} AND ${e(segmentId)} = ${p(segmentId)}`,
  ].join(" ");
  const stayStatus = s(statusModel === "legacy" ? "existing" : "realized");
  const newStatus = d.caseWhen([[`move = ${s("keep")}`, "prior_status"], [`move = ${s("enter")}`, s("realized")], [`move = ${s("exit")}`, s("exited")]], stayStatus);
  const movesTime = conventions.lastQualificationTime === "everyRun" ? `move <> ${s("keep")}` : `move IN (${s("enter")}, ${s("exit")})`;
  const newTime = d.caseWhen([[movesTime, at]], "prior_time");
  const newVersion = d.caseWhen([[`move = ${s("keep")}`, "prior_version"]], s(version));
  const flags = `move = ${s("keep")} AS kept, ${movesTime} AS ${d.ident("timeSet")}`;
  const columns = [key, segmentId, `${newStatus} AS ${status}`, `${newTime} AS ${lqt}`, `${newVersion} AS ${ver}`, flags, ...carried];
  return `SELECT ${columns.join(", ")} FROM (${moves}) AS m WHERE move <> ${s("none")}`;
}
