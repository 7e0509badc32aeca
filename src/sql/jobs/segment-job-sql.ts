/**
 * A segment job's work on DuckDB, with the reference's rules (src/engine/segment-shard.ts) over whole tables:
 * for each merge policy in turn, its merged profiles (src/sql/merge), the memberships each profile had (its own
 * key's entries, and for segments it has none of, the latest entry stored under another of its identities — S7),
 * all its segments in one pass (`inSegment` reads those prior memberships; a segment the SQL back end refuses is
 * decided by the closure compiler over the pass's rows, closure-pass.ts, its column filled in after), the transitions of
 * src/sql/membership-sql.ts, and the snapshot moved on: the evaluated segments' entries under the profile's other
 * identities superseded, everything else carried. Then the new snapshot is written as the store's Parquet part, in
 * its order (the reference's rows, in the reference's order), and the job's counters are read off the tables.
 *
 * The snapshot is one table of entries (key, its id in KEYS, segmentId, status, time text, version, validUntil): an
 * entry a run keeps is written back as it was read. Profiles and entries meet on the keys' integer ids.
 */
import { IDENTITY_GRAPH_LIMIT } from "../../engine/profile-groups.js";
import type { SegmentPlan, SegmentShardResult } from "../../engine/segment-shard.js";
import type { Checkpoint, StageProgress } from "../../engine/job-progress.js";
import type { StatusModel } from "../../segment/membership.js";
import type { MembershipConventions } from "../../segment/membership.js";
import { SegmentCounters, type SegmentCounts } from "../../segment/segment-job.js";
import type { MergePolicy } from "../../xdm/types.js";
import type { XdmObject } from "../../xdm/xdm-type.js";
import { DUCKDB } from "../duckdb.js";
import { nextMembershipsSql } from "../membership-sql.js";
import { BATCH_FILE_OPTIONS } from "../export/export-sql.js";
import { KEYS } from "../merge/identities.js";
import { dropMergedSql, MERGED_COLUMNS, type EventCountsTable, type MergeProfilesOptions } from "../merge/merge-profiles.js";
import { EVENT_COUNTS_COLUMN, EventCounts } from "../event-counts.js";
import { FieldUseBuilder, prunedSchema, type FieldUse } from "../merge/field-use.js";
import { astOf, compileSegmentSql, passSql } from "../merge/segment-pass.js";
import { closureAnswers, SqlCompileError } from "../errors.js";
import { CLOSURE_TABLE, closureColumns, closurePass, createClosureTable, runClosurePass, type ClosurePass, type ClosureSegment } from "./closure-pass.js";
import { KEPT_PROFILES, profileRuns, withinRun, type SqlMerge } from "../merge/sql-merge.js";
import type { EngineSession } from "./engine-session.js";

const d = DUCKDB;
const q = (s: string): string => d.string(s);
/**
 * The membership snapshot as a table: (key, kid — its id in KEYS, NULL for a key no data has —, segmentId, status,
 * lqtText — lastQualificationTime as stored —, version, validUntil), the store's rows (MEMBERSHIP_ROW) with the key ids.
 */
export const SNAPSHOT_TABLE = "pl_snap";
const SNAP = SNAPSHOT_TABLE;
const KEY = d.ident(MERGED_COLUMNS.key);
const ORDER = d.ident(MERGED_COLUMNS.order);
const KEY_ID = d.ident(MERGED_COLUMNS.keyId);

export interface SqlSegmentOptions {
  readonly asOf: number;
  readonly statusModel: StatusModel;
  readonly conventions: MembershipConventions;
  readonly profileType: XdmObject;
  readonly eventType: XdmObject;
  /** The committed snapshot's part files (none before the first job). */
  readonly priorParts: readonly string[];
  /** Where the new snapshot is written (one part). */
  readonly partFile: string;
  readonly checkpoint: Checkpoint<StageProgress>;
  /** Each policy's segment pass (segmentPasses), compiled before the job reads data. */
  readonly passes: ReadonlyMap<MergePolicy, PolicyPass>;
}

/** The snapshot table: `select` over the store's Parquet parts (`s`: their rows), or `columns` and no rows when there are no parts. */
async function createSnapshot(session: EngineSession, parts: readonly string[], columns: string, select: (rows: string) => string): Promise<void> {
  if (parts.length === 0) await session.run(`CREATE OR REPLACE TABLE ${SNAP} (${columns})`);
  else await session.run(`CREATE OR REPLACE TABLE ${SNAP} AS ${select(`${d.readParquet(parts)} AS s`)}`);
}

/** The snapshot as a segment job carries it over: the stored rows with their keys' ids (KEYS must exist: SqlMerge.prepare). */
export async function loadSnapshot(session: EngineSession, parts: readonly string[]): Promise<void> {
  await createSnapshot(
    session,
    parts,
    "key VARCHAR, kid INTEGER, segmentId VARCHAR, status VARCHAR, lqtText VARCHAR, version VARCHAR, validUntil VARCHAR",
    (rows) => `SELECT s.key, k.id AS kid, s.segmentId, s.status, s.lastQualificationTime AS lqtText, s.version, s.validUntil FROM ${rows} LEFT JOIN ${KEYS} AS k ON k.k = s.key`,
  );
}

/** The snapshot as an export writes it: one row per (key, segment), its status, time text and version (no key ids). */
export async function loadSnapshotFields(session: EngineSession, parts: readonly string[]): Promise<void> {
  await createSnapshot(
    session,
    parts,
    "key VARCHAR, segmentId VARCHAR, status VARCHAR, lqtText VARCHAR, version VARCHAR",
    (rows) => `SELECT s.key, s.segmentId, s.status, s.lastQualificationTime AS lqtText, s.version FROM ${rows}`,
  );
}

/** The last place in profile order of the policy's profiles (0 for none). */
async function lastOrder(session: EngineSession): Promise<number> {
  const [row] = await session.rows(`SELECT coalesce(max(ord), 0) AS n FROM pl_prof`);
  return Number(row!["n"]);
}

/**
 * One policy's run. `merged` is its merged-profiles table and `counts` the table of its event counts, when its pass
 * counts; `graph` the component table of its identity graph (pdg) — a profile's identities are its key and the ids
 * labelled with it; under `none` only its key.
 */
async function runPolicy(
  session: EngineSession,
  policy: MergePolicy,
  pass: PolicyPass,
  plan: SegmentPlan,
  merged: string,
  counts: EventCountsTable | undefined,
  graph: string | undefined,
  parts: number,
  options: SqlSegmentOptions,
  counters: SegmentCounters,
): Promise<{ profiles: number; excluded: number }> {
  const segments = plan.byPolicy.get(policy)!;
  const ids = segments.map((s) => q(s.definition.id)).join(", ");
  // The policy's profiles with their key ids.
  await session.run(`CREATE OR REPLACE TABLE pl_prof AS SELECT m.${KEY} AS pkey, m.${ORDER} AS ord, m.${KEY_ID} AS kid FROM ${d.ident(merged)} AS m`);
  // The stored entries that belong to a profile: under its key, or (pdg) under another of its identities.
  const owner = graph === undefined ? "s.kid" : "coalesce(g.label, s.kid)";
  await session.run(
    `CREATE OR REPLACE TABLE pl_owned AS SELECT s.*, p.pkey, p.kid AS pkid, s.kid = p.kid AS own FROM ${SNAP} AS s ` +
      `${graph === undefined ? "" : `LEFT JOIN ${graph} AS g ON g.id = s.kid `}JOIN pl_prof AS p ON p.kid = ${owner}`,
  );
  // What each profile had: its own entry, else the latest under its other identities (ties: the smallest identity).
  // Own entries are one per (profile, segment) and need no ranking (under `none` every entry is own); only the others are grouped.
  const columns = ["pkey", "pkid", "segmentId", "status", "lqtText", "version", "validUntil"];
  const others =
    ` UNION ALL SELECT e.* FROM (SELECT arg_max({${columns.map((c) => `'${c}': ${c}`).join(", ")}}, {'t': lqtText, 'k': -kid}) AS e FROM pl_owned AS o WHERE NOT own ` +
    `AND NOT EXISTS (SELECT 1 FROM pl_owned AS w WHERE w.own AND w.pkid = o.pkid AND w.segmentId = o.segmentId) GROUP BY pkid, segmentId)`;
  await session.run(`CREATE OR REPLACE TABLE pl_prior AS SELECT ${columns.join(", ")} FROM pl_owned WHERE own${graph === undefined ? "" : others}`);
  // What each profile was in before the run (xSegments: the ids of those segments), by its place in profile order.
  await session.run(
    `CREATE OR REPLACE TABLE pl_insegs AS SELECT p.ord, list(r.segmentId) AS segs FROM pl_prior AS r JOIN pl_prof AS p ON p.kid = r.pkid ` +
      `WHERE r.status IS DISTINCT FROM 'exited' GROUP BY p.ord ORDER BY p.ord`,
  );
  const stage = `evaluating the segments of merge policy ${policy.id}`;
  const closure = pass.closure;
  if (closure !== undefined) await createClosureTable(session, closure);
  // In the merge's runs of consecutive profiles: a run's working set is its profiles' rows and events (the pass over
  // every profile at once ran out of memory where the merge's runs fit: 1M persons in 400 MiB, bench/RESULTS.md).
  // Each run is appended in profile order, so the table is the same for any number of runs.
  const runs = profileRuns(await lastOrder(session), parts);
  for (const [i, range] of runs.entries()) {
    const run = runs.length === 1 ? "" : ` (run ${i + 1} of ${runs.length})`;
    session.stage = `${stage}${run}`;
    const [countsColumn, countsJoin] =
      counts === undefined
        ? ["", ""]
        : [`, c.${d.ident(EVENT_COUNTS_COLUMN)}`, ` LEFT JOIN (SELECT * FROM ${d.ident(counts.table)}${withinRun(ORDER, range)}) AS c ON c.${ORDER} = m.${ORDER}`];
    await session.run(
      `CREATE OR REPLACE TEMP VIEW pl_rows AS SELECT m.* REPLACE (coalesce(i.segs, []::VARCHAR[]) AS ${d.ident("xSegments")})${countsColumn} FROM ${d.ident(merged)} AS m ` +
        `LEFT JOIN (SELECT * FROM pl_insegs${withinRun("ord", range)}) AS i ON i.ord = m.${ORDER}${countsJoin}${withinRun(`m.${ORDER}`, range)}`,
    );
    await session.run(i === 0 ? `CREATE OR REPLACE TABLE pl_pass AS ${pass.sql}` : `INSERT INTO pl_pass ${pass.sql}`);
    if (closure !== undefined) {
      session.stage = `${stage} that SQL does not express${run}, with the closure compiler over DuckDB's rows`;
      await runClosurePass(session, closure, "pl_rows", { now: options.asOf, idsByName: plan.idsByName });
    }
  }
  session.stage = stage;
  // The results by the profiles' key ids, which the transitions join on; the closure's decisions in their columns.
  const evaluated = closure === undefined ? "pl_pass" : "pl_eval";
  if (closure !== undefined) {
    await session.run(`CREATE OR REPLACE TABLE pl_eval AS SELECT x.* REPLACE (${closureColumns(closure)}) FROM pl_pass AS x JOIN ${CLOSURE_TABLE} AS c ON c.kid = x.pl_kid`);
  }
  // Each segment's transitions with its own version, then the entries as the store writes them.
  const asOfText = new Date(options.asOf).toISOString();
  const moves = segments.map((s, i) => {
    const id = q(s.definition.id);
    // A profile that neither qualifies nor had an entry gets none: left out before the join (1M persons' first job:
    // 2.4M profiles a segment, 5 to 600 thousand of them qualifying).
    const decided =
      `(SELECT pl_kid AS key, ${id} AS segmentId, s${i} AS qualifies FROM ${evaluated} ` +
      `WHERE s${i} IS TRUE OR pl_kid IN (SELECT pkid FROM pl_prior WHERE segmentId = ${id}))`;
    // The rules read a prior time only to drop an exited entry past retention (the entries are written from lqtText):
    // parsing the text is the costly part, so only exited entries' is parsed.
    const time = `CASE WHEN status = 'exited' THEN pql_string_ts(lqtText) END`;
    const prior = `(SELECT pkid AS key, segmentId, status, ${time} AS lastQualificationTime, version, validUntil, lqtText FROM pl_prior WHERE segmentId = ${id})`;
    const version = String(s.definition.version ?? 1);
    return nextMembershipsSql(d, decided, prior, { asOf: options.asOf, statusModel: options.statusModel, version, conventions: options.conventions, carried: ["validUntil", "lqtText"] });
  });
  await session.run(
    // A kept entry is written as it was; one the run touched holds status, time and version (as nextMembership builds it).
    `CREATE OR REPLACE TABLE pl_next AS SELECT f.pkey AS key, n.key AS kid, n.segmentId, n.status, ` +
      `CASE WHEN n.kept OR NOT n.timeSet THEN n.lqtText ELSE ${q(asOfText)} END AS lqtText, n.version, CASE WHEN n.kept THEN n.validUntil END AS validUntil ` +
      `FROM (${moves.join(" UNION ALL ")}) AS n JOIN pl_prof AS f ON f.kid = n.key`,
  );
  await countPolicy(session, merged, segments.map((s) => s.definition.id), options.profileType, counters);
  // The snapshot moved on: the evaluated segments' entries of the policy's profiles (under any of their identities) replaced.
  await session.run(
    `CREATE OR REPLACE TABLE ${SNAP} AS SELECT * FROM ${SNAP} AS s WHERE NOT (s.segmentId IN (${ids}) AND coalesce(s.kid IN (SELECT kid FROM pl_owned), FALSE)) ` +
      `UNION ALL SELECT key, kid, segmentId, status, lqtText, version, validUntil FROM pl_next`,
  );
  const [stats] = await session.rows(
    `SELECT (SELECT count(*) FROM pl_prof) AS profiles, ` +
      `${graph === undefined ? "0" : `(SELECT count(*) FROM (SELECT label FROM ${graph} GROUP BY label HAVING count(*) + 1 > ${IDENTITY_GRAPH_LIMIT}))`} AS excluded`,
  );
  return { profiles: Number(stats!["profiles"]), excluded: Number(stats!["excluded"]) };
}

/**
 * The job's counters for one policy's segments, as SegmentCounters counts profile by profile: keys in the order of
 * the first profile (and, for namespaces, the first place in its identityMap) that has them.
 */
async function countPolicy(session: EngineSession, merged: string, segmentIds: readonly string[], profileType: XdmObject, counters: SegmentCounters): Promise<void> {
  const byStatus = await session.rows(
    `SELECT n.segmentId, n.status, count(*) AS n FROM pl_next AS n JOIN pl_prof AS p ON p.kid = n.kid GROUP BY n.segmentId, n.status ORDER BY min(p.ord)`,
  );
  const hasMap = profileType.fields.get("identityMap")?.kind === "map";
  const byNamespace = hasMap
    ? await session.rows(
        `WITH ns AS (SELECT m.${KEY_ID} AS kid, m.${ORDER} AS ord, unnest(map_keys(m.${d.ident("identityMap")})) AS ns, generate_subscripts(map_keys(m.${d.ident("identityMap")}), 1) AS i FROM ${d.ident(merged)} AS m) ` +
          `SELECT n.segmentId, ns.ns, count(*) AS n FROM pl_next AS n JOIN ns ON ns.kid = n.kid WHERE n.status <> 'exited' GROUP BY n.segmentId, ns.ns ORDER BY min({'o': ns.ord, 'i': ns.i})`,
      )
    : [];
  const counts: SegmentCounts = { segmented: {}, byNamespace: {}, byStatus: {} };
  const segmented = counts.segmented as Record<string, number>;
  for (const id of segmentIds) segmented[id] = 0;
  for (const r of byStatus) {
    const id = String(r["segmentId"]);
    const status = String(r["status"]) as "realized" | "existing" | "exited";
    const n = Number(r["n"]);
    (counts.byStatus[id] ??= {})[status] = n;
    if (status !== "exited") segmented[id] = segmented[id]! + n;
  }
  for (const r of byNamespace) (counts.byNamespace[String(r["segmentId"])] ??= {})[String(r["ns"])] = Number(r["n"]);
  counters.add(counts);
}

/**
 * Writes the snapshot table as the store's part (MEMBERSHIP_ROW) in its order (storeOrder: keys in code point order,
 * DuckDB's order of VARCHAR), a key's entries by segment id. Returns the number of profiles written.
 */
async function writeSnapshot(session: EngineSession, file: string): Promise<number> {
  const rows = `SELECT key, segmentId, status, lqtText AS ${d.ident("lastQualificationTime")}, version, validUntil FROM ${SNAP} ORDER BY key, segmentId`;
  await session.run(`COPY (${rows}) TO ${q(file)} (${BATCH_FILE_OPTIONS})`);
  const [written] = await session.rows(`SELECT count(DISTINCT key) AS n FROM ${SNAP}`);
  return Number(written!["n"]);
}

/** What a policy's run needs: its segment pass over `pl_rows`, the fields merged (every profile field, events as its segments read them), and its segments the closure compiler decides. */
export interface PolicyPass {
  readonly sql: string;
  readonly use: FieldUse;
  /** The event conditions its segments count (EventCounts), over one event (EVENT_ELEMENT); none: no counts table. */
  readonly counts: readonly string[];
  /** The segments the SQL back end refuses and the closure compiler answers for; their columns in `sql` are NULL until it has. */
  readonly closure: ClosurePass | undefined;
}

/**
 * Each policy's segment pass, compiled before any data is read against the schema the merge carries (every profile
 * field, events pruned to what its segments read). A segment the SQL back end refuses is left to the closure compiler over the pass's rows when it answers for
 * the construct (closureAnswers); one it does not stops the job at once with its coded, located error and what to do.
 */
export function segmentPasses(plan: SegmentPlan, options: Pick<SqlSegmentOptions, "asOf" | "profileType" | "eventType">): Map<MergePolicy, PolicyPass> {
  const schema = { profile: options.profileType, event: options.eventType };
  return new Map(
    [...plan.byPolicy].map(([policy, segments]) => {
      const list = segments.map((s) => {
        const segment = { id: s.definition.id, name: s.definition.name, expression: s.definition.expression, ...(s.file === undefined ? {} : { file: s.file }) };
        return { ...segment, parsed: astOf(segment) };
      });
      // A profile field of the counts column's name would be ambiguous in the pass's rows: nothing is counted then.
      const fold = (name: string): string => (d.caseSensitiveNames ? name : name.toLowerCase());
      const counts = [...schema.profile.fields.keys()].some((n) => fold(n) === fold(EVENT_COUNTS_COLUMN)) ? undefined : new EventCounts();
      // Every profile field is merged, not only those the segments read: the merged profiles are kept for an export
      // over the same data (SqlMerge.keepMerged), which then does not merge again. A segment the closure compiler
      // decides reads the events as their list (`closure`: its index).
      const useOf = (closure: ReadonlySet<number>): FieldUse => {
        const builder = new FieldUseBuilder(schema).addPaths("profile", undefined);
        list.forEach((s, i) => builder.addExpression(s.parsed.ast, "predicate", counts !== undefined && !closure.has(i)));
        return builder.build();
      };
      // The fields read do not depend on what is counted: only whether the events are listed does.
      const pruned = prunedSchema(schema, useOf(new Set()));
      const passOptions = { schema: pruned, now: options.asOf, segmentIdsByName: plan.idsByName, ...(counts === undefined ? {} : { eventCounts: counts }) };
      const refused: ClosureSegment[] = [];
      const columns = list.map((s, index) => {
        try {
          return compileSegmentSql(s, passOptions);
        } catch (e) {
          if (!(e instanceof SqlCompileError) || !closureAnswers(e)) throw e;
          refused.push({ index, expression: s.expression, ast: s.parsed.ast, ...(s.file === undefined ? {} : { file: s.file }) });
          return "CAST(NULL AS BOOLEAN)";
        }
      });
      const closure = refused.length === 0 ? undefined : closurePass(refused, schema, pruned);
      const use = useOf(new Set(refused.map((r) => r.index)));
      return [policy, { sql: passSql("pl_rows", columns, d, true), use, counts: counts?.conditions() ?? [], closure }] as const;
    }),
  );
}

/** Runs every policy of the plan on the merge's session and writes the new snapshot; returns the job's counts. */
export async function runSegmentsOnSql(session: EngineSession, merge: SqlMerge, plan: SegmentPlan, options: SqlSegmentOptions): Promise<SegmentShardResult> {
  const { checkpoint, passes } = options;
  const counters = new SegmentCounters(plan.segments.map((s) => s.definition.id));
  const profilesByPolicy: Record<string, number> = {};
  const excludedByPolicy: Record<string, number> = {};
  session.stage = "reading the previous memberships";
  await loadSnapshot(session, options.priorParts);
  let index = 0;
  for (const policy of plan.byPolicy.keys()) {
    index++;
    const where = { policy: index, policies: plan.byPolicy.size };
    await checkpoint({ stage: "identities", rows: 0, profiles: 0, ...where });
    session.stage = `merging the profiles of merge policy ${policy.id}`;
    const merged = `pl_merged_${index}`;
    const pass = passes.get(policy)!;
    const counts = pass.counts.length === 0 ? undefined : { table: `${merged}_counts`, conditions: pass.counts };
    // Merged before over the same data (an earlier segment job kept them): only the events are listed or counted again.
    // Else kept as they are merged, for an export over the same data (SqlMerge.keepMerged): `merged` is then a view.
    const reused = await merge.restoreMerged(policy);
    const keep = reused ? undefined : await merge.keepMerged(policy, pass.use);
    const mergeOptions: MergeProfilesOptions = {
      use: pass.use,
      ...(reused ? { keptProfiles: KEPT_PROFILES } : {}),
      ...(counts === undefined ? {} : { eventCounts: counts }),
      ...(keep === undefined ? {} : { into: keep.into }),
    };
    try {
      const parts = await merge.mergePolicy(policy, merged, mergeOptions);
      if (reused) await merge.releaseMerged();
      const graph = await merge.identityGraphOf(policy);
      await checkpoint({ stage: "evaluating", rows: 0, profiles: 0, ...where });
      const { profiles, excluded } = await runPolicy(session, policy, pass, plan, merged, counts, graph, parts, options, counters);
      profilesByPolicy[policy.id] = profiles;
      excludedByPolicy[policy.id] = excluded;
      await checkpoint({ stage: "evaluating", rows: 0, profiles, totalProfiles: profiles, ...where });
      for (const s of dropMergedSql(merged, d, mergeOptions)) await session.run(s);
      if (keep !== undefined) {
        session.stage = `keeping the merged profiles of merge policy ${policy.id}`;
        await keep.commit();
      }
    } catch (e) {
      await keep?.abort().catch(() => undefined);
      throw e;
    }
  }
  session.stage = "writing the memberships";
  await checkpoint({ stage: "writing", rows: 0, profiles: 0 });
  const rows = await writeSnapshot(session, options.partFile);
  await checkpoint({ stage: "writing", rows, totalRows: rows, profiles: 0 });
  return { counts: counters.counts(), profilesByPolicy, excludedByPolicy };
}
