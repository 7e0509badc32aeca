/**
 * Step 2 of the SQL merge: identities and their components, with the reference's rules (src/identity,
 * src/engine/load-data.ts):
 * - every row's identities are `namespace:id` keys (namespace lower-cased as JavaScript does), its primary the
 *   item flagged `primary`, else the first of the dataset's declared namespace, else the only identity;
 * - keys get dense integer ids in the order JavaScript compares strings (UTF-16 code units), so the smallest id
 *   of a component is the reference's canonical key and ids order profiles as the reference does;
 * - a row with two or more identities links them all (a record with one links nothing, as an event with one);
 * - an event's primary identity and links depend only on its dataset and identityMap, and events repeat a few maps
 *   (1M persons: 10.0M events, 1.68M distinct maps), so the events' identities are read from their distinct maps
 *   (EVENT_MAPS), each map is a fragment, and what reads events finds their fragments through their maps
 *   (joinEventMaps);
 * - components are computed over the links of a set of datasets, either by a union-find in JavaScript over the
 *   ids (streamed out and appended back) or by label propagation in SQL. Both leave a table of (id, label) for the
 *   ids whose component's smallest id (label) is not their own.
 */
import { hashJoinedKeys, hashKey } from "../../engine/profile-groups.js";
import { IoError } from "../../io/io-error.js";
import type { SqlDialect } from "../dialect.js";
import { sqlTypeOfXdm } from "../types.js";
import { datasetView, EVENTS_VIEW, IDENTITY_MAP_SQL_TYPE } from "./read-datasets.js";
import type { SqlSession } from "./session.js";
import type { MergeSources, SourceDataset } from "./sources.js";

/**
 * Every identity (with an id) of every row: dataset, load position, where it sits in the identityMap (ni, ii: 1-based),
 * namespace as written, id, primary flag, and whether it is the row's only item (`single`: its identityMap holds one).
 */
export const IDENTITIES = "pl_idents";
/**
 * The events' distinct identityMaps per dataset: `pl_ds`, `pl_idmap`, and the map as the events' schema types it
 * (`pl_evmap`) where that type is not pl_idmap's (eventMapColumn); `pl_seq`, the load position of the first event
 * holding it (the map's fragment's, in FRAGMENTS), `sb`, the pairOrder (time, load position) of its first event by
 * time (the merge's first sight of the map), `pl_n`, its events, `h`, the dialect's hash of its maps, and `dup`,
 * whether another map of its dataset hashes alike (joinEventMaps).
 */
export const EVENT_MAPS = "pl_evmaps";
/** Namespaces as written and lower-cased as JavaScript does (few: lower-cased in JavaScript). */
export const NAMESPACES = "pl_ns";
/** Identity keys and their ids (0, 1, …: JavaScript's string order). */
export const KEYS = "pl_keys";
/** Each key's hash (id, h): the reference's hashKey (FNV-1a over UTF-16 code units) less 2^31, so INTEGER order is hash order. */
export const KEY_HASHES = "pl_key_hash";
/**
 * Per record and per event map (by load position: a map's is its first event's, EVENT_MAPS.pl_seq) that has an
 * identity: its dataset, the ids of its primary and of its first identity. An event's fragment is its map's.
 */
export const FRAGMENTS = "pl_frag";
/** Distinct links (dataset, id, id) between the first identity of a row and each other one. */
export const LINKS = "pl_links";

export type ComponentMethod = "union-find" | "label-propagation";

/**
 * One BIGINT that orders as the pair (major, minor) of 1-based positions does, major below 2^31 and minor below
 * 2^32 (no list holds more): aggregates and sorts over a struct of the two cost several times more.
 */
export function positionOrder(major: string, minor: string): string {
  return `${major} * 4294967296 + ${minor}`;
}

/**
 * The column of EVENT_MAPS that holds the map the events' schema reads (`identityMap`): pl_idmap when they are
 * typed alike, `pl_evmap` when not; undefined when the events' schema has no identityMap.
 */
export function eventMapColumn(sources: MergeSources, dialect: SqlDialect): string | undefined {
  const t = sources.eventType.fields.get("identityMap");
  if (t === undefined) return undefined;
  return dialect.typeName(sqlTypeOfXdm(t)) === dialect.typeName(IDENTITY_MAP_SQL_TYPE) ? "pl_idmap" : "pl_evmap";
}

/** The maps EVENT_MAPS is grouped by, each as [its column there, its column in the events' view]. */
function mapColumns(sources: MergeSources, dialect: SqlDialect): Array<readonly [string, string]> {
  return eventMapColumn(sources, dialect) === "pl_evmap" ? [["pl_idmap", "pl_idmap"], ["pl_evmap", dialect.ident("identityMap")]] : [["pl_idmap", "pl_idmap"]];
}

/**
 * The statements that create EVENT_MAPS, grouped by every map it holds, with each map's hash (computed on the groups,
 * not the events) and whether another map of its dataset hashes alike.
 */
export function eventMapsSql(sources: MergeSources, dialect: SqlDialect): string[] {
  const maps = mapColumns(sources, dialect);
  const views = maps.map(([, view]) => view);
  return [
    `CREATE OR REPLACE TABLE ${EVENT_MAPS} AS SELECT pl_ds, ${maps.map(([column, view]) => (column === view ? column : `${view} AS ${column}`)).join(", ")}, ` +
      `min(pl_seq) AS pl_seq, min(${dialect.pairOrder("pl_ts", "pl_seq")}) AS sb, count(*) AS pl_n, ${dialect.hash(views)} AS h, FALSE AS dup ` +
      `FROM ${EVENTS_VIEW} GROUP BY pl_ds, ${views.join(", ")}`,
    `UPDATE ${EVENT_MAPS} SET dup = TRUE FROM (SELECT pl_ds, h FROM ${EVENT_MAPS} GROUP BY pl_ds, h HAVING count(*) > 1) AS c ` +
      `WHERE ${EVENT_MAPS}.pl_ds = c.pl_ds AND ${EVENT_MAPS}.h = c.h`,
  ];
}

/**
 * A `JOIN` of the events (`events`, an alias of EVENTS_VIEW's rows) to `rows` (fragments or rows keyed as they are, by
 * `pl_seq`), each event to the row of its map, as `alias`. On the map's hash (EVENT_MAPS.h), not on the map: a join on
 * the maps builds its hash table on them (10M persons, 16.8M maps: 131.6 s, against 36.0 s on their hashes); where
 * two maps of a dataset hash alike (`dup`), their events are told apart by the maps, carried for those maps alone.
 */
export function joinEventMaps(sources: MergeSources, dialect: SqlDialect, events: string, rows: string, alias: string): string {
  const maps = mapColumns(sources, dialect);
  const dups = maps.map(([column], i) => `CASE WHEN g.dup THEN g.${column} END AS pl_dup${i}`);
  const same = maps.map(([, view], i) => `${alias}.pl_dup${i} IS NOT DISTINCT FROM ${events}.${view}`);
  return (
    `JOIN (SELECT r.*, g.h AS pl_h, g.dup AS pl_dup, ${dups.join(", ")} FROM ${rows} AS r JOIN ${EVENT_MAPS} AS g ON g.pl_seq = r.pl_seq) AS ${alias} ` +
    `ON ${alias}.pl_ds = ${events}.pl_ds AND ${alias}.pl_h = ${dialect.hash(maps.map(([, view]) => `${events}.${view}`))} AND (NOT ${alias}.pl_dup OR (${same.join(" AND ")}))`
  );
}

/**
 * `CREATE TABLE` of the identities of every record and of every distinct map of the events (EVENT_MAPS, made first),
 * set-based: unnest, no per-row lambdas.
 */
export function identitiesSql(sources: MergeSources, dialect: SqlDialect): string {
  const entries = dialect.mapEntries("pl_idmap");
  const single = `${dialect.coalesce([`${dialect.listLength(dialect.flatten(dialect.mapValues("pl_idmap")))} = 1`, "FALSE"])} AS single`;
  const rowsOf = (d: SourceDataset): string => (d.kind === "event" ? `(SELECT pl_ds, pl_seq, pl_idmap FROM ${EVENT_MAPS} WHERE pl_ds = ${d.index})` : datasetView(d.index));
  const parts = sources.datasets.map(
    (d) =>
      `SELECT pl_ds, pl_seq, single, ni, e.key AS ns, ${dialect.unnest("e.value")} AS it, ${dialect.unnestIndex("e.value")} AS ii ` +
      `FROM (SELECT pl_ds, pl_seq, ${single}, ${dialect.unnest(entries)} AS e, ${dialect.unnestIndex(entries)} AS ni FROM ${rowsOf(d)})`,
  );
  const body =
    parts.length > 0
      ? parts.join(" UNION ALL ")
      : "SELECT NULL::INTEGER AS pl_ds, NULL::BIGINT AS pl_seq, FALSE AS single, NULL::BIGINT AS ni, NULL::VARCHAR AS ns, NULL::STRUCT(id VARCHAR, \"primary\" BOOLEAN) AS it, NULL::BIGINT AS ii WHERE FALSE";
  return `CREATE OR REPLACE TABLE ${IDENTITIES} AS SELECT pl_ds, pl_seq, ni, ii, ns, it.id AS id, it.${dialect.ident("primary")} IS TRUE AS flagged, single FROM (${body}) WHERE it.id IS NOT NULL`;
}

/** The namespaces lower-cased by JavaScript's toLowerCase (the reference's identityKey), as a table. */
export async function lowerNamespaces(session: SqlSession, dialect: SqlDialect): Promise<void> {
  const rows = await session.rows(`SELECT DISTINCT ns FROM ${IDENTITIES} WHERE ns IS NOT NULL`);
  const values = rows.map((r) => `(${dialect.string(String(r["ns"]))}, ${dialect.string(String(r["ns"]).toLowerCase())})`);
  await session.run(`CREATE OR REPLACE TABLE ${NAMESPACES} (ns VARCHAR, lns VARCHAR)`);
  if (values.length > 0) await session.run(`INSERT INTO ${NAMESPACES} VALUES ${values.join(", ")}`);
}

/**
 * The key ids: numbered in the engine's string order, then the few keys whose UTF-16 order may differ (characters
 * from U+E000 up) renumbered among the ids they hold. Comparing such a key with any other key agrees in both
 * orders, so the other keys' ids stay and only these permute. Returns the number of keys.
 */
export async function numberKeys(session: SqlSession, dialect: SqlDialect): Promise<number> {
  // Sorted into a table of their own and numbered by their place in it (tableRowIndex; 3.7M keys on 2 threads:
  // 1.8–2.0 s, against 3.2–3.4 s for a window's row_number).
  const sorted = `${KEYS}_sorted`;
  await session.run(`CREATE OR REPLACE TABLE ${sorted} AS SELECT DISTINCT n.lns || ':' || i.id AS k FROM ${IDENTITIES} AS i JOIN ${NAMESPACES} AS n ON n.ns = i.ns ORDER BY k`);
  await session.run(`CREATE OR REPLACE TABLE ${KEYS} AS SELECT k, CAST(${dialect.tableRowIndex} AS INTEGER) AS id FROM ${sorted}`);
  await session.run(`DROP TABLE ${sorted}`);
  const odd = await session.rows(`SELECT id, k FROM ${KEYS} WHERE ${dialect.mayOrderOtherwiseInUtf16("k")} ORDER BY id`);
  const held = new Map(odd.map((r) => [String(r["k"]), Number(r["id"])]));
  const slots = [...held.values()];
  const moves = [...held.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k, i) => [k, slots[i]!] as const)
    .filter(([k, id]) => held.get(k) !== id);
  if (moves.length > 0) {
    const values = moves.map(([k, id]) => `(${dialect.string(k)}, ${id})`).join(", ");
    await session.run(`UPDATE ${KEYS} SET id = m.id FROM (VALUES ${values}) AS m(k, id) WHERE ${KEYS}.k = m.k`);
  }
  const n = await session.rows(`SELECT count(*) AS n FROM ${KEYS}`);
  return Number(n[0]!["n"]);
}

/** Keys joined into one text to be hashed: one string out of DuckDB for these many keys, not one a key. */
const HASH_GROUP_KEYS = 4096;
/**
 * Groups read out per statement: an ordered aggregate holds all of its input until it ends, so one statement over
 * every key ran out of DuckDB's memory at 10M persons (37M keys in 2.4 GiB); a range of ids at a time stays small.
 */
const HASH_GROUPS_PER_STATEMENT = 256;

/**
 * Creates KEY_HASHES: the keys hashed in JavaScript (the reference's own function; per character in SQL it costs
 * seconds per million keys), streamed out in id order `groupKeys` at a time as one text each (a string a key cost
 * twice as long at 1M keys: one native copy and one decode each), `groupsPerStatement` groups a statement, and
 * appended back. A group whose text splits into more keys than it joined (a key holding U+0000, the separator) is
 * read again key by key.
 */
export async function hashKeys(session: SqlSession, keyCount: number, groupKeys = HASH_GROUP_KEYS, groupsPerStatement = HASH_GROUPS_PER_STATEMENT): Promise<void> {
  const ids = new Int32Array(keyCount);
  const hashes = new Int32Array(keyCount);
  for (let i = 0; i < keyCount; i++) ids[i] = i;
  const reread: number[] = [];
  let from = 0;
  const range = groupKeys * groupsPerStatement;
  const statements = Array.from({ length: Math.ceil(keyCount / range) }, (_, i) =>
    `SELECT string_agg(k, chr(0) ORDER BY id) FROM ${KEYS} WHERE id >= ${i * range} AND id < ${(i + 1) * range} GROUP BY id // ${groupKeys} ORDER BY id // ${groupKeys}`,
  );
  for (const sql of statements) {
    for await (const texts of session.strings(sql)) {
      for (const text of texts) {
        const count = Math.min(groupKeys, keyCount - from);
        let n = from;
        const end = from + count;
        const split = hashJoinedKeys(text, (h) => {
          if (n < end) hashes[n++] = h - 2 ** 31;
        });
        if (split !== count) reread.push(from);
        from = end;
      }
    }
  }
  for (const start of reread) {
    let n = start;
    for await (const keys of session.strings(`SELECT k FROM ${KEYS} WHERE id >= ${start} AND id < ${start + groupKeys} ORDER BY id`)) {
      for (const k of keys) hashes[n++] = hashKey(k) - 2 ** 31;
    }
  }
  await session.run(`CREATE OR REPLACE TABLE ${KEY_HASHES} (id INTEGER, h INTEGER)`);
  await session.appendInts(KEY_HASHES, [ids, hashes]);
}

/**
 * `CREATE TABLE`s of the fragments and the links. A row's primary is the reference's primaryIdentity
 * (src/identity/identity-key.ts): the first item flagged primary, else the first item of the first namespace that
 * is the dataset's declared one when that item has an id, else the only identity. A row whose identityMap holds one
 * item (half the rows of the bench's data) has that identity as its primary and first, and links nothing: only the
 * others are grouped by row and joined for links. The fragments and links are found for the records and the
 * events' distinct maps (EVENT_MAPS).
 */
export function fragmentsAndLinksSql(sources: MergeSources, dialect: SqlDialect): string[] {
  const declared = dialect.caseWhen(
    sources.datasets.filter((d) => d.primaryNamespace !== undefined).map((d) => [`i.pl_ds = ${d.index}`, dialect.string(d.primaryNamespace!.toLowerCase())] as const),
  );
  const at = positionOrder("ni", "ii");
  const prim = dialect.coalesce([
    `${dialect.argMin("kid", at)} FILTER (WHERE flagged)`,
    `${dialect.argMin("kid", "ni")} FILTER (WHERE is_declared AND ii = 1)`,
    `CASE WHEN count(*) = 1 THEN any_value(kid) END`,
  ]);
  // Each identity's key id, found once (a join on the key text) for both tables.
  const keyed = `${IDENTITIES}_k`;
  return [
    `CREATE OR REPLACE TABLE ${keyed} AS SELECT i.pl_seq, i.pl_ds, i.ni, i.ii, i.flagged, i.single, k.id AS kid, n.lns = ${declared} AS is_declared FROM ${IDENTITIES} AS i ` +
      `JOIN ${NAMESPACES} AS n ON n.ns = i.ns JOIN ${KEYS} AS k ON k.k = n.lns || ':' || i.id`,
    `CREATE OR REPLACE TABLE ${FRAGMENTS} AS SELECT pl_seq, pl_ds, kid AS prim, kid AS first FROM ${keyed} WHERE single ` +
      `UNION ALL SELECT pl_seq, any_value(pl_ds) AS pl_ds, ${prim} AS prim, ${dialect.argMin("kid", at)} AS first FROM ${keyed} WHERE NOT single GROUP BY pl_seq`,
    `CREATE OR REPLACE TABLE ${LINKS} AS SELECT DISTINCT f.pl_ds AS ds, f.first AS a, i.kid AS b FROM ${keyed} AS i JOIN ${FRAGMENTS} AS f ON f.pl_seq = i.pl_seq ` +
      `WHERE NOT i.single AND i.kid <> f.first`,
    `DROP TABLE ${keyed}`,
  ];
}

const NO_PRIMARY = "no primary identity: flag one identityMap item with \"primary\": true (or set the dataset's primaryIdentityNamespace)";

/**
 * Stops with the reference's error (IO-D001, file and row) at the first row, in load order, that has no primary
 * identity: a record, or the first event of a map that has none (its events all lack one).
 */
export async function checkPrimaries(session: SqlSession, sources: MergeSources): Promise<void> {
  const records = sources.datasets.filter((d) => d.kind === "profile").map((d) => `SELECT pl_seq FROM ${datasetView(d.index)}`).join(" UNION ALL ");
  const recordCount = records === "" ? "0" : `(SELECT count(*) FROM (${records}))`;
  const [counts] = await session.rows(`SELECT ${recordCount} + (SELECT count(*) FROM ${EVENT_MAPS}) AS n, (SELECT count(*) FROM ${FRAGMENTS} WHERE prim IS NOT NULL) AS ok`);
  if (Number(counts!["n"]) === Number(counts!["ok"])) return;
  const unfound = (rows: string): string => `SELECT r.pl_seq FROM (${rows}) AS r LEFT JOIN ${FRAGMENTS} AS f ON f.pl_seq = r.pl_seq WHERE f.prim IS NULL`;
  const firstSeq = [...(records === "" ? [] : [unfound(records)]), unfound(`SELECT pl_seq FROM ${EVENT_MAPS}`)].join(" UNION ALL ");
  const rows = sources.datasets.map((d) => `SELECT pl_seq, pl_file, pl_row FROM ${datasetView(d.index)}`).join(" UNION ALL ");
  const bad = await session.rows(`SELECT pl_file, pl_row FROM (${rows}) WHERE pl_seq = (SELECT min(pl_seq) FROM (${firstSeq}))`);
  if (bad[0] === undefined) return;
  const ordinal = Number(bad[0]["pl_file"]);
  const file = sources.datasets.flatMap((d) => d.files).find((f) => f.ordinal === ordinal);
  throw new IoError("IO-D001", NO_PRIMARY, { file: file?.rel ?? String(ordinal), line: Number(bad[0]["pl_row"]), jsonPath: "$.identityMap" });
}

function linksOf(datasets: readonly number[] | undefined): string {
  return `SELECT a, b FROM ${LINKS}${datasets === undefined ? "" : ` WHERE ds IN (${datasets.length > 0 ? datasets.join(", ") : "NULL"})`}`;
}

/** Union-find over the ids in JavaScript: the smaller root wins, so each root is its component's smallest id. */
async function unionFind(session: SqlSession, table: string, datasets: readonly number[] | undefined, keyCount: number): Promise<void> {
  const parent = new Int32Array(keyCount);
  for (let i = 0; i < keyCount; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      const up = parent[parent[i]!]!;
      parent[i] = up;
      i = up;
    }
    return i;
  };
  for await (const [a, b] of session.intChunks(linksOf(datasets))) {
    for (let i = 0; i < a!.length; i++) {
      const ra = find(a![i]!);
      const rb = find(b![i]!);
      if (ra < rb) parent[rb] = ra;
      else if (rb < ra) parent[ra] = rb;
    }
  }
  let moved = 0;
  for (let i = 0; i < keyCount; i++) if (find(i) !== i) moved++;
  const ids = new Int32Array(moved);
  const labels = new Int32Array(moved);
  for (let i = 0, j = 0; i < keyCount; i++) {
    const root = find(i);
    if (root !== i) {
      ids[j] = i;
      labels[j++] = root;
    }
  }
  await session.run(`CREATE OR REPLACE TABLE ${table} (id INTEGER, label INTEGER)`);
  await session.appendInts(table, [ids, labels]);
}

/**
 * Label propagation in SQL: every linked id starts as its own label; each round takes the smallest label among
 * its neighbours, then jumps to its label's label, until no label changes.
 */
async function labelPropagation(session: SqlSession, table: string, datasets: readonly number[] | undefined): Promise<void> {
  const work = `${table}_lp`;
  await session.run(`CREATE OR REPLACE TABLE ${work}_e AS SELECT a, b FROM (${linksOf(datasets)}) UNION ALL SELECT b, a FROM (${linksOf(datasets)})`);
  await session.run(`CREATE OR REPLACE TABLE ${work} AS SELECT DISTINCT a AS id, a AS label FROM ${work}_e`);
  for (;;) {
    await session.run(
      `CREATE OR REPLACE TABLE ${work}_n AS SELECT l.id, least(l.label, m.label) AS label FROM ${work} AS l ` +
        `JOIN (SELECT e.a AS id, min(n.label) AS label FROM ${work}_e AS e JOIN ${work} AS n ON n.id = e.b GROUP BY e.a) AS m ON m.id = l.id`,
    );
    await session.run(`CREATE OR REPLACE TABLE ${work}_j AS SELECT l.id, j.label FROM ${work}_n AS l JOIN ${work}_n AS j ON j.id = l.label`);
    const changed = await session.rows(`SELECT count(*) AS n FROM ${work}_j AS l JOIN ${work} AS o ON o.id = l.id WHERE l.label <> o.label`);
    await session.run(`CREATE OR REPLACE TABLE ${work} AS SELECT * FROM ${work}_j`);
    if (Number(changed[0]!["n"]) === 0) break;
  }
  await session.run(`CREATE OR REPLACE TABLE ${table} AS SELECT id, label FROM ${work} WHERE label <> id`);
  for (const t of [work, `${work}_e`, `${work}_n`, `${work}_j`]) await session.run(`DROP TABLE ${t}`);
}

/**
 * Creates `table` (id, label): the components of the links of `datasets` (all when undefined), each id whose
 * component's smallest id is not its own with that id as label.
 */
export async function components(session: SqlSession, method: ComponentMethod, table: string, datasets: readonly number[] | undefined, keyCount: number): Promise<void> {
  if (method === "union-find") await unionFind(session, table, datasets, keyCount);
  else await labelPropagation(session, table, datasets);
}
