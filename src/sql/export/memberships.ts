/**
 * A profile's segmentMembership as the JS export builds it (`membershipsOf` in src/engine/run-segment-job.ts), over
 * whole tables:
 * - `ups`: the profile key's own entries of the snapshot, then for segments it has none of, the latest entry stored
 *   under another of its identities (`priorMemberships` in src/engine/segment-shard.ts; ties: the first identity);
 * - external audiences: every entry of any of its identities still valid at the export's clock, per namespace and
 *   segment the latest (ties: the first seen), namespaces before `ups` (`externalMemberships`).
 * A profile's identities are its key (policy `none`), or its key and every id its component in the policy's identity
 * graph labels with it (`pdg`), in the identity keys' order (ProfileGroup.identities).
 *
 * Entry order is JavaScript object order, as the JS writer iterates the objects: keys that are array indexes
 * ("0", "17") first, ascending, then the others in insertion order; the snapshot's entries of one key are stored
 * sorted by segment id in code point order (store-order.ts). Both orders are decided in JavaScript, where they are
 * defined, and handed to SQL as ranks in small tables.
 */
import type { ExternalAudiences } from "../../segment/external-audiences.js";
import { SEGMENT_MEMBERSHIP_TYPE, type XdmType } from "../../xdm/xdm-type.js";
import { UPS_NAMESPACE } from "../../xdm/types.js";
import { codePointOrder } from "../../store/store-order.js";
import type { SqlDialect } from "../dialect.js";
import type { AppendColumn, SqlSession } from "../merge/session.js";
import { fileTypeName } from "./row-values.js";

/** The entry struct of segmentMembership (status, lastQualificationTime, version, validUntil). */
export const ENTRY_TYPE: XdmType = SEGMENT_MEMBERSHIP_TYPE.values.kind === "map" ? SEGMENT_MEMBERSHIP_TYPE.values.values : SEGMENT_MEMBERSHIP_TYPE.values;

/** The value of a key that JavaScript objects order first (an array index), or undefined. */
export function arrayIndexOf(key: string): number | undefined {
  return /^(0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1 ? Number(key) : undefined;
}

const inList = (values: readonly string[], d: SqlDialect): string => (values.length === 0 ? "NULL" : values.map((v) => d.string(v)).join(", "));

const indexOf = (key: string): number | null => arrayIndexOf(key) ?? null;
const varchar = (values: readonly (string | null)[]): AppendColumn => ({ type: "varchar", values });
const bigint = (values: readonly (number | null)[]): AppendColumn => ({ type: "bigint", values });

/**
 * Creates `table`, the external audiences as rows (identity key, namespace, lower-cased namespace, segment id, entry
 * fields, the instant it stops being valid in epoch ms, its position among the identity's memberships, and the
 * array-index values of namespace and segment id).
 */
export async function createAudiencesTable(session: SqlSession, table: string, audiences: ExternalAudiences, d: SqlDialect): Promise<void> {
  const rows = [...audiences].flatMap(([identity, members]) => members.map((m, i) => ({ identity, m, i })));
  // Appended as plain columns (times in epoch ms), then typed in SQL: literal rows cost seconds per million.
  const raw = `${table}_in`;
  await session.run(
    `CREATE OR REPLACE TABLE ${raw} (identity VARCHAR, ns VARCHAR, lns VARCHAR, nidx BIGINT, segmentId VARCHAR, sidx BIGINT, ` +
      `status VARCHAR, lqt_ms BIGINT, valid_ms BIGINT, until_ms BIGINT, mpos BIGINT)`,
  );
  await session.appendColumns(raw, [
    varchar(rows.map((r) => r.identity)),
    varchar(rows.map((r) => r.m.namespace)),
    varchar(rows.map((r) => r.m.namespace.toLowerCase())),
    bigint(rows.map((r) => indexOf(r.m.namespace))),
    varchar(rows.map((r) => r.m.segmentId)),
    bigint(rows.map((r) => indexOf(r.m.segmentId))),
    varchar(rows.map((r) => r.m.entry.status)),
    bigint(rows.map((r) => Date.parse(r.m.entry.lastQualificationTime))),
    bigint(rows.map((r) => (r.m.entry.validUntil === undefined ? null : Date.parse(r.m.entry.validUntil)))),
    bigint(rows.map((r) => r.m.validUntil)),
    bigint(rows.map((r) => r.i)),
  ]);
  const at = (ms: string): string => `CAST(make_timestamp(${ms} * 1000) AS TIMESTAMPTZ)`;
  await session.run(
    `CREATE OR REPLACE TABLE ${table} AS SELECT identity, ns, lns, nidx, ${d.ident("segmentId")}, sidx, status, ${at("lqt_ms")} AS lqt, ` +
      `${at("valid_ms")} AS ${d.ident("validUntil")}, until_ms, CAST(mpos AS INTEGER) AS mpos FROM ${raw}`,
  );
  await session.run(`DROP TABLE ${raw}`);
}

/** The memberships' segment ids with their rank in stored order (codePointOrder) and their array-index value. */
async function createSegmentRanks(session: SqlSession, table: string, memberships: string, d: SqlDialect): Promise<void> {
  const ids = (await session.rows(`SELECT DISTINCT ${d.ident("segmentId")} AS s FROM ${memberships}`)).map((r) => String(r["s"])).sort(codePointOrder);
  await session.run(`CREATE OR REPLACE TABLE ${table} (segmentId VARCHAR, srank BIGINT, sidx BIGINT)`);
  await session.appendColumns(table, [varchar(ids), bigint(ids.map((_, i) => i)), bigint(ids.map(indexOf))]);
}

/**
 * The order of a namespace or segment among a profile's entries, as one scalar: whether its name is not an array index
 * (JavaScript orders those first), its index value (below 2^32 - 1: arrayIndexOf), its group (own entries before the
 * others' for `ups`), the first identity holding it (a key id, an INTEGER row index) and its rank (a segment id's rank
 * among the snapshot's, or its position among that identity's audiences), each at or above 0. One scalar rather than a
 * struct of the five: the 1M-person export built its entries in 1.8–2.0 s against 2.5–2.6 s (bench/RESULTS.md).
 */
function entryOrder(d: SqlDialect, notIndex: string, index: string, group: string, identity: string, rank: string): string {
  return d.tupleOrder([
    [notIndex, 1],
    [index, 32],
    [group, 1],
    [identity, 40],
    [rank, 32],
  ]);
}

export interface MembershipTables {
  /** Each profile's identities: (pid, iid, ik) — profile key id, identity key id, identity key. */
  readonly identities: string;
  /** The snapshot: (key, segmentId, status, lastQualificationTime, version). */
  readonly memberships: string;
  /** From createAudiencesTable, or undefined when the sandbox has none. */
  readonly audiences: string | undefined;
}

/**
 * What of the entries is read, when only segment filters read them: the `ups` segments they name, and the lower-cased
 * namespaces (whole: which namespace of a name comes first depends on all of a profile's). Undefined: every entry.
 */
export interface EntriesRead {
  readonly upsSegments: readonly string[];
  readonly namespaces: readonly string[];
}

/**
 * Creates `${prefix}_entries`: every segmentMembership entry of every profile, one row each: pid, ns, lns, the
 * namespace's order key, whether it is the first namespace of its lower-cased name (the one a segment filter
 * reads), segment id, the entry's order key, entry struct, status and lastQualificationTime in epoch ms.
 */
export async function createEntries(session: SqlSession, tables: MembershipTables, prefix: string, asOf: number, d: SqlDialect, read?: EntriesRead): Promise<string> {
  const segs = `${prefix}_segs`;
  await createSegmentRanks(session, segs, tables.memberships, d);
  const entryType = fileTypeName(ENTRY_TYPE, d);
  const entry = (status: string, lqt: string, version: string, validUntil: string): string =>
    `CAST(${d.struct([
      ["status", status],
      ["lastQualificationTime", lqt],
      ["version", version],
      ["validUntil", validUntil],
    ])} AS ${entryType})`;
  const [segmentId, status, lqt, version] = ["segmentId", "status", "lastQualificationTime", "version"].map((c) => d.ident(c));
  // ups: the key's own entries (group 0, by segment rank), then the others' (group 1, by first identity, segment rank).
  // An own entry is the only one of its (profile, segment) that counts and needs no ranking (under `none` every entry
  // is own): only the others' are ranked, for segments without an own entry.
  const cand =
    `SELECT i.pid, i.iid, i.iid = i.pid AS own, m.${segmentId} AS sid, m.${status} AS st, CAST(m.${lqt} AS TIMESTAMPTZ) AS lqt, m.${version} AS ver ` +
    `FROM ${tables.identities} AS i JOIN ${tables.memberships} AS m ON m.${d.ident("key")} = i.ik${read === undefined ? "" : ` WHERE m.${segmentId} IN (${inList(read.upsSegments, d)})`}`;
  const others =
    `SELECT pid, sid, st, lqt, ver, 1 AS g, first_iid AS a FROM (SELECT *, min(iid) OVER (PARTITION BY pid, sid) AS first_iid, ` +
    `row_number() OVER (PARTITION BY pid, sid ORDER BY lqt DESC, iid) AS rk FROM cand AS c WHERE NOT own ` +
    `AND NOT EXISTS (SELECT 1 FROM cand AS w WHERE w.own AND w.pid = c.pid AND w.sid = c.sid)) WHERE rk = 1`;
  const ups =
    `WITH cand AS (${cand}), chosen AS (SELECT pid, sid, st, lqt, ver, 0 AS g, 0 AS a FROM cand WHERE own UNION ALL ${others}) ` +
    `SELECT pid, ${d.string(UPS_NAMESPACE)} AS ns, ${d.string(UPS_NAMESPACE)} AS lns, ${entryOrder(d, "TRUE", "0", "1", "0", "0")} AS nkey, sid, ` +
    `${entryOrder(d, "s.sidx IS NULL", "coalesce(s.sidx, 0)", "g", "a", "s.srank")} AS skey, ` +
    `${entry("st", "lqt", "ver", "NULL")} AS entry, st, epoch_ms(lqt) AS lqt_ms FROM chosen JOIN ${segs} AS s ON s.segmentId = chosen.sid`;
  const parts = [ups];
  if (tables.audiences !== undefined) {
    // External: valid at asOf (the reference skips `now > validUntil`); per namespace and segment the latest, ties the first seen.
    parts.unshift(
      `WITH cand AS (SELECT i.pid, i.iid, a.* FROM ${tables.identities} AS i JOIN ${tables.audiences} AS a ON a.identity = i.ik WHERE a.until_ms >= ${asOf}${read === undefined ? "" : ` AND a.lns IN (${inList(read.namespaces, d)})`}), ` +
        `ranked AS (SELECT *, min({'i': iid, 'm': mpos}) OVER (PARTITION BY pid, ns) AS nfirst, min({'i': iid, 'm': mpos}) OVER (PARTITION BY pid, ns, segmentId) AS sfirst, ` +
        `row_number() OVER (PARTITION BY pid, ns, segmentId ORDER BY lqt DESC, iid, mpos) AS rk FROM cand) ` +
        `SELECT pid, ns, lns, ${entryOrder(d, "nidx IS NULL", "coalesce(nidx, 0)", "0", "nfirst.i", "nfirst.m")} AS nkey, segmentId AS sid, ` +
        `${entryOrder(d, "sidx IS NULL", "coalesce(sidx, 0)", "0", "sfirst.i", "sfirst.m")} AS skey, ` +
        `${entry("status", "lqt", "CAST(NULL AS VARCHAR)", "validUntil")} AS entry, status AS st, epoch_ms(lqt) AS lqt_ms FROM ranked WHERE rk = 1`,
    );
  }
  const table = `${prefix}_entries`;
  // With `ups` entries only, every entry's namespace is the first of its name.
  const nsFirst = tables.audiences === undefined ? "TRUE" : "dense_rank() OVER (PARTITION BY pid, lns ORDER BY nkey) = 1";
  await session.run(`CREATE OR REPLACE TABLE ${table} AS SELECT *, ${nsFirst} AS ns_first FROM (${parts.map((p) => `(${p})`).join(" UNION ALL ")})`);
  return table;
}

/**
 * `SELECT pid, sm`: each profile's segmentMembership (profiles without entries have no row). With `ups` entries only
 * (no audiences) the map of namespaces is built around one aggregate: the second grouping costs three times the first.
 */
export function segmentMembershipSql(entries: string, upsOnly: boolean, d: SqlDialect): string {
  const inner = d.mapOrderedByKey("sid", "entry", "skey");
  if (upsOnly) return `SELECT pid, ${d.mapFromEntries(`[${d.struct([["key", d.string(UPS_NAMESPACE)], ["value", inner]])}]`)} AS sm FROM ${entries} GROUP BY pid`;
  const outer = d.mapOrderedByKey("ns", "segs", "nkey");
  return `SELECT pid, ${outer} AS sm FROM (SELECT pid, ns, min(nkey) AS nkey, ${inner} AS segs FROM ${entries} GROUP BY pid, ns) GROUP BY pid`;
}

