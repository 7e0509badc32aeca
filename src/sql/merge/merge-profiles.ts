/**
 * Step 3 of the SQL merge: the merged profiles of one merge policy as one table in the row shape (row-shape.ts),
 * with the rules of src/merge/merge-fragments.ts:
 * - a profile is the rows of the policy's datasets under one key: the primary identity (`none`) or the smallest
 *   identity of its component in the policy's identity graph (`pdg`); stitched profiles with more than
 *   IDENTITY_GRAPH_LIMIT identities are left out; profiles are ordered as the reference orders them (by the hash of
 *   their component in the graph of all datasets, the component, the hash of the key, the key);
 * - a fragment is the records of one (dataset, primary identity); its records apply in ingestion order (or by
 *   custom timestamp, by convention), fragments lowest rank first (dataset order, or effective time), ties on
 *   ingestion time, dataset id, identity: each record gets its application position `pos`;
 * - each leaf takes the value of the record applied last that has it; objects are present when any record has
 *   them; arrays are taken whole (or as the union of all records' items, winner's first, by convention); maps
 *   merge key by key; identityMap is the union of the records' (highest priority first) and then the events'
 *   identities, one primary kept; segmentMembership never comes from records;
 * - `xEvent` holds the profile's events by timestamp, then load order.
 */
import { IDENTITY_GRAPH_LIMIT } from "../../engine/profile-groups.js";
import { policyIncludesDataset } from "../../merge/merge-fragments.js";
import type { MergeConventions } from "../../merge/merge-options.js";
import type { MergePolicy } from "../../xdm/types.js";
import { map, object, type XdmType } from "../../xdm/xdm-type.js";
import type { SqlDialect } from "../dialect.js";
import { countsAggregate, EVENT_COUNTS_COLUMN, EVENT_ELEMENT } from "../event-counts.js";
import { ROW_SHAPE_NAMES } from "../row-shape.js";
import { listOf, sqlTypeOfXdm, STRING, structOfXdm } from "../types.js";
import { ALL_FIELDS, prunedSchema, type FieldUse } from "./field-use.js";
import { EVENT_MAPS, eventMapColumn, FRAGMENTS, joinEventMaps, KEY_HASHES, KEYS } from "./identities.js";
import { identityMapUnionSql } from "./identity-map-union.js";
import { EVENTS_VIEW, RECORDS_VIEW } from "./read-datasets.js";
import type { MergeSources } from "./sources.js";

/** Columns of a merged-profiles table beside the row shape's. */
export const MERGED_COLUMNS = {
  /** The profile key (`namespace:id`), as the reference's ProfileGroup.key. */
  key: "xProfileKey",
  /** 1, 2, …: the reference's profile order. */
  order: "xProfileOrder",
  /** Latest ingestion time of the profile's records, epoch ms (NULL for a profile of events only). */
  lastIngestTime: "xLastIngestTime",
  /** Number of records merged (0 for a profile of events only). */
  recordCount: "xRecordCount",
  /**
   * The profile key's id in KEYS — the same in every job over this data version (keys are numbered in their sorted
   * order), so kept merged profiles match linked identities linked anew: what the jobs join the profiles to their
   * identities and memberships by, where a join on the key's text took 22.4 s in the segment job and 22.6 s in the
   * export at 10M persons.
   */
  keyId: "xProfileKeyId",
} as const;

const SYSTEM_MANAGED = new Set(["identityMap", "segmentMembership"]);

/** Counts of the profiles' events passing conditions (event-counts.ts), in a table of their own beside the merged profiles. */
export interface EventCountsTable {
  /** Gets (xProfileOrder, xEventCounts: a STRUCT of c0, c1, …, one per condition); only profiles with events have a row. */
  readonly table: string;
  /** SQL over one event (EVENT_ELEMENT). */
  readonly conditions: readonly string[];
}

/** The tables of identity components a policy's merge reads (see identities.ts). */
export interface ComponentTables {
  /** Components over all datasets: the order of profiles. */
  readonly all: string;
  /** Components over the policy's datasets (pdg only). */
  readonly policy: string | undefined;
}

/** Which datasets (sandbox.json positions) a policy merges. */
export function policyDatasets(sources: MergeSources, policy: MergePolicy): number[] {
  return sources.datasets.filter((d) => policyIncludesDataset(policy, d.id)).map((d) => d.index);
}

/** `pruned` (a part of `full`) with every array as `full` has it. */
function arraysWhole(pruned: XdmType, full: XdmType): XdmType {
  if (full.kind === "array") return full;
  if (pruned.kind === "map" && full.kind === "map") return map(arraysWhole(pruned.values, full.values));
  if (pruned.kind === "object" && full.kind === "object") return object([...pruned.fields].map(([n, t]) => [n, arraysWhole(t, full.fields.get(n)!)] as const));
  return pruned;
}

/** A value per dataset (sandbox.json position) as a CASE over `pl_ds`. */
function perDataset(sources: MergeSources, value: (id: string) => number, dialect: SqlDialect): string {
  return dialect.caseWhen(sources.datasets.map((d) => [`pl_ds = ${d.index}`, String(value(d.id))] as const));
}

/** The aggregate giving a column's merged value over the rows of one profile (with `pos`). */
function mergeAggregate(expr: string, t: XdmType, arrays: MergeConventions["arrayMerge"], d: SqlDialect): string {
  if (t.kind === "map" || (t.kind === "array" && arrays === "union")) return mergeList(d.listOrderedByKey(expr, "pos"), t, arrays, d, 0);
  if (t.kind !== "object") return d.argMax(expr, "pos");
  const fields = [...t.fields].map(([name, ft]) => [name, mergeAggregate(d.field(expr, name), ft, arrays, d)] as const);
  return d.caseWhen([[`bool_or(${d.isNotNull(expr)})`, d.struct(fields)]]);
}

/** The merged value of a list of values in application order (NULL where a record lacks it), by type. */
function mergeList(list: string, t: XdmType, arrays: MergeConventions["arrayMerge"], d: SqlDialect, depth: number): string {
  const x = `x${depth}`;
  const present = d.listFilter(list, d.lambda([x], d.isNotNull(x)));
  const any = `${d.listLength(present)} > 0`;
  switch (t.kind) {
    case "object": {
      const fields = [...t.fields].map(([name, ft]) => [name, mergeList(d.listTransform(list, d.lambda([x], d.field(x, name))), ft, arrays, d, depth + 1)] as const);
      return d.caseWhen([[any, d.struct(fields)]]);
    }
    case "map": {
      const k = `k${depth}`;
      const i = `i${depth}`;
      const keys = d.flatten(d.listTransform(present, d.lambda([x], d.mapKeys(x))));
      const firstSeen = d.listFilter(keys, d.lambda([k, i], `${d.listPosition(keys, k)} = ${i} + ${1 - d.lambdaIndexBase}`));
      const value = mergeList(d.listTransform(list, d.lambda([x], d.mapGet(x, k))), t.values, arrays, d, depth + 1);
      const entries = d.listTransform(firstSeen, d.lambda([k], d.struct([["key", k], ["value", value]])));
      return d.caseWhen([[any, d.cast(d.mapFromEntries(entries), sqlTypeOfXdm(t))]]);
    }
    case "array":
      if (arrays === "union") {
        // The reference unions as it applies: the last array first, then each earlier one's items that no later
        // array holds (items compared whole).
        const a = `a${depth}`;
        const i = `i${depth}`;
        const y = `y${depth}`;
        const latestFirst = d.listReverse(present);
        const later = d.flatten(d.listSlice(latestFirst, "1", `${i} - ${d.lambdaIndexBase}`));
        const fresh = d.listFilter(a, d.lambda([y], d.isNotTrue(d.listContains(later, y))));
        return d.caseWhen([[any, d.flatten(d.listTransform(latestFirst, d.lambda([a, i], fresh)))]]);
      }
      return d.listLast(present);
    default:
      return d.listLast(present);
  }
}

/** The table of the listed events of merged profiles kept as they are merged (MergeProfilesOptions.into). */
const listedEventsTable = (table: string): string => `${table}_events`;

/** What mergeProfilesSql (and SqlMerge.mergePolicy) merges and where it writes, beyond the tables it reads. */
export interface MergeProfilesOptions {
  /**
   * The fields the table's readers read (field-use.ts): only those are merged and carried, in the row shape of
   * prunedSchema. Undefined: every field (a query's `profiles` tables, an export of all fields).
   */
  readonly use?: FieldUse;
  /** The number of runs the profiles are merged in: 1 by default here; SqlMerge.mergePolicy's, as many as the memory limit needs. */
  readonly parts?: number;
  /** A table of the policy's merged profiles restored from a kept file (SqlMerge.restoreMerged): only the events are listed onto them. */
  readonly keptProfiles?: string;
  /** Event conditions to count per profile into a table of their own (a segment pass's: event-counts.ts). */
  readonly eventCounts?: EventCountsTable;
  /**
   * A table (its SQL name: in a kept file being written, SqlMerge.keepMerged) that gets the merged rows without their
   * events, every profile field and identity merged; `table` is then a view of it with the events' column, listed (when
   * `use.eventList`) in a table of their own (listedEventsTable; the caller drops it with the view). The rows are
   * written once, where they are kept: a copy of the merged table into the kept file took 7–9 s at 1M persons.
   */
  readonly into?: string;
}

/**
 * The statements that drop what mergeProfilesSql made under `table` with the same options and left for its readers:
 * `table` (a view when `into`), the listed events' table beside a kept view, and the event counts' table.
 */
export function dropMergedSql(table: string, d: SqlDialect, options: MergeProfilesOptions = {}): string[] {
  const { use = ALL_FIELDS, into, eventCounts } = options;
  return [
    `DROP ${into === undefined ? "TABLE" : "VIEW"} ${d.ident(table)}`,
    ...(into !== undefined && use.eventList ? [`DROP TABLE ${d.ident(listedEventsTable(table))}`] : []),
    ...(eventCounts === undefined ? [] : [`DROP TABLE ${d.ident(eventCounts.table)}`]),
  ];
}

/**
 * The statements that create `table`, the merged profiles of `policy`, from the tables of steps 1 and 2.
 * `prefix` names the policy's intermediate tables. Only the fields `use` reads are merged and carried (the row
 * shape of prunedSchema); events are listed only when `use` reads them (an empty list otherwise).
 *
 * With `parts` > 1 the profiles are cut into that many runs of consecutive profiles (in profile order), and each
 * run is ranked, aggregated and appended to `table` in turn: an aggregate's working set is its run's, so the merge
 * fits DuckDB's memory limit however large the data (the identityMap union of 100k persons alone took 2.3 GB in one
 * statement). Every aggregate is per profile and each run is appended in profile order, so the table is the same
 * rows in the same order for any `parts`. The policy's records and events are then read from the datasets once,
 * into tables of their own, and joined to their profiles' runs into tables sorted by run, so that a run reads its own
 * range (reading the datasets per run read them `parts` times, each time converting every value).
 *
 * With `keptProfiles`, a table of the policy's profiles merged before over the same data with every profile field and
 * no events (SqlMerge.keepMerged), only the events are listed: the records are not read, the profile fields are its own.
 * With `counts`, the events passing each condition are counted per profile into a table of their own; the events are
 * listed only when `use.eventList`.
 */
export function mergeProfilesSql(
  sources: MergeSources,
  policy: MergePolicy,
  components: ComponentTables,
  table: string,
  prefix: string,
  d: SqlDialect,
  options: MergeProfilesOptions = {},
): string[] {
  const { use = ALL_FIELDS, parts = 1, keptProfiles, eventCounts: counts, into } = options;
  // Kept profiles are merged with every field and identity (SqlMerge.keepMerged): a merge that reads fewer would differ.
  if ((keptProfiles !== undefined || into !== undefined) && (use.profile !== true || !use.identities)) throw new Error("kept merged profiles serve only a merge of every profile field and identity");
  if (keptProfiles !== undefined && into !== undefined) throw new Error("profiles merged before are not kept again");
  if (counts !== undefined && use.event === undefined) throw new Error("events are counted only where the use reads them");
  const conventions = sources.conventions;
  const included = policyDatasets(sources, policy);
  const pdg = policy.identityGraph.type === "pdg";
  const fk = `${prefix}_fk`;
  const pk = `${prefix}_pk`;
  const ranked = `${prefix}_ranked`;
  const key = pdg ? "coalesce(cp.label, f.prim)" : "f.prim";
  const excluded = pdg ? ` AND ${key} NOT IN (SELECT label FROM ${components.policy} GROUP BY label HAVING count(*) + 1 > ${IDENTITY_GRAPH_LIMIT})` : "";
  const statements: string[] = [];
  statements.push(
    `CREATE OR REPLACE TABLE ${fk} AS SELECT f.pl_seq, f.pl_ds, f.prim, ${key} AS pk, coalesce(ca.label, f.prim) AS comp FROM ${FRAGMENTS} AS f ` +
      `LEFT JOIN ${components.all} AS ca ON ca.id = f.prim${pdg ? ` LEFT JOIN ${components.policy} AS cp ON cp.id = f.prim` : ""} ` +
      `WHERE f.pl_ds IN (${included.length > 0 ? included.join(", ") : "NULL"})${excluded}`,
  );
  // Profiles sorted into a table of their own and numbered by their place in it (tableRowIndex).
  const sorted = `${pk}_sorted`;
  statements.push(
    `CREATE OR REPLACE TABLE ${sorted} AS SELECT p.pk, kp.k AS key ` +
      `FROM (SELECT pk, any_value(comp) AS comp FROM ${fk} GROUP BY pk) AS p JOIN ${KEYS} AS kp ON kp.id = p.pk ` +
      `JOIN ${KEY_HASHES} AS hp ON hp.id = p.pk JOIN ${KEY_HASHES} AS hc ON hc.id = p.comp ORDER BY hc.h, p.comp, hp.h, p.pk`,
  );
  // Each profile's run: runs of (nearly) equal size, consecutive in profile order.
  const part = parts === 1 ? "" : `, ${d.tableRowIndex} * ${parts} // (SELECT count(*) FROM ${sorted}) AS pl_part`;
  statements.push(`CREATE OR REPLACE TABLE ${pk} AS SELECT pk, key, ${d.tableRowIndex} + 1 AS pl_order${part} FROM ${sorted}`, `DROP TABLE ${sorted}`);
  const carried = prunedSchema({ profile: sources.profileType, event: sources.eventType }, use);
  const profile = carried.profile;
  // Records carry only the columns merged, narrowed to what is read — but arrays whole when they are unioned, since
  // the union compares items whole (the merged value is narrowed after).
  const narrowed = (column: string, t: XdmType, full: XdmType): string => (t === full ? column : d.cast(column, sqlTypeOfXdm(t)));
  const idmType = profile.fields.get("identityMap");
  // A map-typed identityMap is unioned across a profile's sources (identityMapUnionSql), not merged as a field.
  const idmIsMap = idmType?.kind === "map";
  // Only the identityMaps' keys when only the namespaces are read: grouping events by their maps whole, and carrying
  // the records' maps whole, is most of the cost.
  const kept = (m: string): string => (idmIsMap && !use.identities ? d.mapKeys(m) : m);
  const merged = [...profile.fields].filter(([name]) => name === "identityMap" || !SYSTEM_MANAGED.has(name));
  const recordNames = ["pl_ds", "pl_seq", "pl_ingest", "pl_custom", ...merged.map(([name]) => d.ident(name))];
  const recordColumns = [
    ...["pl_ds", "pl_seq", "pl_ingest", "pl_custom"].map((c) => `r.${c}`),
    ...merged.map(([name, t]) => {
      const full = sources.profileType.fields.get(name)!;
      const column = narrowed(`r.${d.ident(name)}`, conventions.arrayMerge === "union" ? arraysWhole(t, full) : t, full);
      return `${name === "identityMap" ? kept(column) : column} AS ${d.ident(name)}`;
    }),
  ];
  // Application order: fragments ranked, then the records of each.
  const within = conventions.customTimestampScope === "all" ? ["coalesce(pl_custom, pl_ingest)", "pl_ingest", "pl_seq"] : ["pl_ingest", "pl_seq"];
  const withinKey = d.struct(within.map((w, i) => [`w${i}`, w] as const));
  const idOrder = [...sources.datasets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.id);
  const idRank = perDataset(sources, (id) => idOrder.indexOf(id), d);
  const order = policy.attributeMerge.type === "dataSetPrecedence" ? (policy.attributeMerge.order ?? []) : [];
  const first =
    policy.attributeMerge.type === "dataSetPrecedence"
      ? perDataset(sources, (id) => order.length - order.indexOf(id), d)
      : conventions.mixedTimestamps === "perFragment"
        ? "coalesce(f_custom, f_ingest)"
        : "CASE WHEN all_custom THEN f_custom ELSE f_ingest END";
  // The policy's records (merged columns, profile, primary identity), events (listed event, times) and the distinct
  // identityMaps of each profile's events (a profile's events repeat the same few: each once, at its first event,
  // gives the same first sights as every event's: EVENT_MAPS), of run `i`: straight from the datasets in one run
  // (`runInputs`), else from the tables made once below. Each from its view or EVENT_MAPS joined to `keys` (pl_seq,
  // pk, prim, and the run as pl_part when `part`).
  const eventType = sources.eventType;
  // Each event narrowed before it is listed: listing wide structs is the cost (bench/RESULTS.md).
  const eventStruct = d.struct([...carried.event.fields].map(([n, t]) => [n, narrowed(`e.${d.ident(n)}`, t, eventType.fields.get(n)!)] as const));
  // The profiles of the fragments (`keys`: pl_seq, pl_ds, pk, prim, and pl_part) of one kind of dataset: a view's rows
  // are joined to those alone, as DuckDB builds its hash table on the keys and the other kind's took memory for nothing
  // (the records of 1M persons read, joined and sorted in one statement ran out of 300 MB with every fragment's keys,
  // and fit in 200 MB with the records' alone: bench/RESULTS.md). An event's fragment is its map's (joinEventMaps).
  const keysOf = (kind: "profile" | "event", keys: string): string => {
    const of = sources.datasets.filter((x) => x.kind === kind && included.includes(x.index)).map((x) => x.index);
    return `(SELECT * FROM ${keys} WHERE pl_ds IN (${of.length > 0 ? of.join(", ") : "NULL"}))`;
  };
  // The events with their profiles (and runs): listed (`ein`), or counted from.
  const eventsWithProfiles = (keys: string, part: boolean): string =>
    `SELECT fk.pk, ${eventStruct} AS ${EVENT_ELEMENT}, e.pl_ts, e.pl_seq${part ? ", fk.pl_part" : ""} FROM ${EVENTS_VIEW} AS e ${joinEventMaps(sources, d, "e", keysOf("event", keys), "fk")}`;
  const inputsFrom = (keys: string, part: boolean): Array<readonly [string, string]> => {
    const withPart = part ? ", fk.pl_part" : "";
    const list: Array<readonly [string, string]> = [];
    if (keptProfiles === undefined) list.push(["rin", `SELECT ${recordColumns.join(", ")}, fk.pk, fk.prim${withPart} FROM ${RECORDS_VIEW} AS r JOIN ${keysOf("profile", keys)} AS fk ON fk.pl_seq = r.pl_seq`]);
    if (use.eventList) list.push(["ein", eventsWithProfiles(keys, part)]);
    if (idmIsMap && keptProfiles === undefined) {
      // From the events' distinct maps, each joined to its profile by its fragment (every event's of the map):
      // grouping every event by its map again took 274 s at 10M persons.
      const evmap = eventMapColumn(sources, d);
      const m = kept(evmap !== undefined ? d.cast(`g.${evmap}`, sqlTypeOfXdm(idmType)) : d.null(sqlTypeOfXdm(idmType)));
      // Whole maps are distinct within a dataset (EVENT_MAPS), and one seen again later adds nothing to the union, so
      // they are not grouped again (100k persons: the union 1.12 → 0.92 s); namespaces alone repeat, so those are.
      const from = `FROM ${EVENT_MAPS} AS g JOIN ${keysOf("event", keys)} AS fk ON fk.pl_seq = g.pl_seq`;
      list.push([
        "eim",
        use.identities
          ? `SELECT fk.pk, g.sb, ${m} AS m${withPart} ${from}`
          : `SELECT fk.pk, min(g.sb) AS sb, ${m} AS m${part ? ", any_value(fk.pl_part) AS pl_part" : ""} ${from} GROUP BY fk.pk, m`,
      ]);
    }
    return list;
  };
  const runInputs = inputsFrom(fk, false);
  const inputs = new Map(runInputs);
  const input = (name: string, i: number): string => (parts === 1 ? `(${inputs.get(name)!})` : `(SELECT * FROM ${prefix}_${name} WHERE pl_part = ${i})`);
  const records = (i: number): string => input("rin", i);
  // A run's records with their merged columns: straight from the datasets' view in one run (through `records` they
  // would be joined to the profiles again), else from the run's input.
  const recordRows = (i: number): string =>
    parts === 1 ? `SELECT ${recordColumns.join(", ")} FROM ${RECORDS_VIEW} AS r` : `SELECT ${recordNames.join(", ")} FROM ${records(i)}`;
  // The positions are ranked over the few columns they need, and stored with each profile's number of records
  // (`pl_n`) and the identityMaps alone: the merged columns are joined to them where they are aggregated, not stored a
  // second time.
  const rankedSql = (i: number): string =>
    `WITH pl_recs AS (SELECT pl_ds, pl_seq, pl_ingest, pl_custom, pk, prim FROM ${records(i)}), ` +
    `pl_frags AS (SELECT pk, pl_ds, prim, max(pl_ingest) AS f_ingest, arg_max(pl_custom, ${withinKey}) FILTER (WHERE pl_custom IS NOT NULL) AS f_custom ` +
    `FROM pl_recs GROUP BY pk, pl_ds, prim), ` +
    `pl_ranks AS (SELECT *, bool_and(f_custom IS NOT NULL) OVER (PARTITION BY pk) AS all_custom FROM pl_frags), ` +
    `pl_pos AS (SELECT pl_seq, pk, row_number() OVER (PARTITION BY pk ORDER BY ${first}, f_ingest, ${idRank}, prim, ${within.join(", ")}) AS pos, ` +
    `count(*) OVER (PARTITION BY pk) AS pl_n FROM pl_recs JOIN pl_ranks USING (pk, pl_ds, prim)) ` +
    (idmIsMap
      ? `SELECT p.pl_seq, p.pk, p.pos, p.pl_n, r.${d.ident("identityMap")} FROM (${recordRows(i)}) AS r JOIN pl_pos AS p ON p.pl_seq = r.pl_seq`
      : `SELECT pl_seq, pk, pos, pl_n FROM pl_pos`);
  const mergedFields = [...profile.fields].filter(([name]) => !SYSTEM_MANAGED.has(name));
  const aggregates = mergedFields.map(([name, t]) => `${mergeAggregate(d.ident(name), t, conventions.arrayMerge, d)} AS ${d.ident(name)}`);
  // A profile of one record (29 % of the bench's 1M persons' profiles, 37 % of their records) takes its record's
  // values as they are, which every aggregate over one row gives back: 1M, a run's aggregates 0.63–0.96 → 0.48–0.65 s.
  const recordsAgg = (i: number): string => {
    const joined = `FROM (${recordRows(i)}) AS r JOIN ${ranked} AS p ON p.pl_seq = r.pl_seq`;
    return (
      `SELECT pk, ${[...aggregates, "max(pl_ingest) AS pl_last", "count(*) AS pl_count"].join(", ")} FROM (SELECT r.*, p.pk, p.pos ${joined} WHERE p.pl_n > 1) GROUP BY pk ` +
      `UNION ALL SELECT p.pk, ${[...mergedFields.map(([name]) => `r.${d.ident(name)}`), "r.pl_ingest", "1"].join(", ")} ${joined} WHERE p.pl_n = 1`
    );
  };
  const eventsAgg = (i: number): string => `SELECT pk, ${d.listOrderedByKey(EVENT_ELEMENT, d.pairOrder("pl_ts", "pl_seq"))} AS ev FROM ${input("ein", i)} GROUP BY pk`;
  // The counts of all profiles in one statement, from the events with their profiles (not in runs, as the lists): a
  // count's state is a few bytes a profile, where a list holds the events.
  const countsStatement = (c: EventCountsTable, events: string): string => {
    return (
      `CREATE OR REPLACE TABLE ${d.ident(c.table)} AS SELECT p.pl_order AS ${d.ident(MERGED_COLUMNS.order)}, c.n AS ${d.ident(EVENT_COUNTS_COLUMN)} ` +
      `FROM (SELECT pk, ${countsAggregate(c.conditions, d)} AS n FROM (${events}) GROUP BY pk) AS c JOIN ${pk} AS p ON p.pk = c.pk`
    );
  };
  // Each aggregate is a table of its own before the join: one statement holding every aggregate at once ran out
  // of a 4GB memory_limit at 1M persons (bench/RESULTS.md).
  const tables: Array<readonly [string, (i: number) => string]> = keptProfiles === undefined ? [["rec", recordsAgg]] : [];
  if (use.eventList) tables.push(["evs", eventsAgg]);
  if (idmIsMap && keptProfiles === undefined) {
    // One order over a profile's sources: its records, highest priority (applied last) first, then its events' maps
    // by first sight (`sb`, a pairOrder of time and load position: above -2^118, as times are within ±2^54 ms).
    const idSources = (i: number): string =>
      `SELECT pk, CAST(-pos AS HUGEINT) - ${2n ** 120n} AS o, ${d.ident("identityMap")} AS m FROM ${ranked} UNION ALL SELECT pk, sb, m FROM ${input("eim", i)}`;
    const itemType = idmType.values.kind === "array" ? idmType.values.items : idmType.values;
    tables.push(["idm", (i) => identityMapUnionSql(idSources(i), itemType, conventions.identityPrimary, idmType, d, !use.identities)]);
  }
  const joins = [
    ...(keptProfiles === undefined ? [] : [`JOIN ${d.ident(keptProfiles)} AS km ON km.${d.ident(MERGED_COLUMNS.order)} = p.pl_order`]),
    ...tables.map(([alias]) => `LEFT JOIN ${prefix}_${alias} AS ${alias} ON ${alias}.pk = p.pk`),
  ];
  // Every merged column of a kept profile is the kept table's (km).
  const km = (name: string): string => `km.${d.ident(name)}`;
  const eventsType = listOf(structOfXdm(carried.event));
  const eventsColumn = ROW_SHAPE_NAMES.events;
  const eventList = (listed: string): string => d.cast(use.eventList ? d.coalesce([listed, d.cast("[]", eventsType)]) : "[]", eventsType);
  const columns: Array<readonly [name: string, value: string]> = [
    [MERGED_COLUMNS.order, "p.pl_order"],
    [MERGED_COLUMNS.key, "p.key"],
    ...[...profile.fields].map(([name, t]) => {
      const value =
        keptProfiles !== undefined
          ? km(name)
          : name === "identityMap" && idmIsMap
            ? "idm.m"
            : SYSTEM_MANAGED.has(name)
              ? d.null(sqlTypeOfXdm(t))
              : `rec.${d.ident(name)}`;
      return [name, d.cast(value, sqlTypeOfXdm(t))] as const;
    }),
    [eventsColumn, eventList("evs.ev")],
    [ROW_SHAPE_NAMES.segments, d.list([], STRING)],
    [MERGED_COLUMNS.lastIngestTime, keptProfiles === undefined ? "rec.pl_last" : km(MERGED_COLUMNS.lastIngestTime)],
    [MERGED_COLUMNS.recordCount, keptProfiles === undefined ? "coalesce(rec.pl_count, 0)" : km(MERGED_COLUMNS.recordCount)],
    [MERGED_COLUMNS.keyId, "p.pk"],
  ];
  const select = (list: typeof columns): string => list.map(([name, value]) => `${value} AS ${d.ident(name)}`).join(", ");
  // Kept (`into`): the rows without their events, which are listed in a table of their own.
  const written = into === undefined ? columns : columns.filter(([name]) => name !== eventsColumn);
  const target = into ?? d.ident(table);
  const events = d.ident(listedEventsTable(table));
  const rows = `SELECT ${select(written)} FROM ${pk} AS p ${joins.join(" ")}`;
  if (parts > 1) {
    // The rows joined to one table of their profiles and runs (`keys`) and sorted by run. The records straight from
    // their view: read, joined to their own datasets' keys and sorted in one statement (1M persons: 5–6 s in 300 MB,
    // where a table of them read first, then joined and sorted, took 10 s and did not fit in 200 MB).
    const keys = `${prefix}_sp`;
    statements.push(`CREATE OR REPLACE TABLE ${keys} AS SELECT fk.pl_seq, fk.pl_ds, fk.pk, fk.prim, p.pl_part FROM ${fk} AS fk JOIN ${pk} AS p ON p.pk = fk.pk`);
    // The events to be listed are joined to their profiles into a table of their own, then sorted by run: the events
    // of 1M persons read, cast, joined and sorted in one statement ran out of 300 MiB where the steps did not. Their
    // counts read that table; without a list they are counted straight from the view (a table of the events took 127 s
    // of the merge at 10M persons).
    const listed = `${prefix}_esrc`;
    for (const [name, sql] of inputsFrom(keys, true)) {
      if (name === "ein") statements.push(`CREATE OR REPLACE TABLE ${listed} AS ${sql}`, `CREATE OR REPLACE TABLE ${prefix}_${name} AS SELECT * FROM ${listed} ORDER BY pl_part`);
      else statements.push(`CREATE OR REPLACE TABLE ${prefix}_${name} AS ${sql} ORDER BY pl_part`);
    }
    if (counts !== undefined) statements.push(countsStatement(counts, use.eventList ? `SELECT * FROM ${listed}` : eventsWithProfiles(keys, false)));
    // The events' table dropped once their inputs are made: what spills to disk at 10M persons is tens of GB.
    if (use.eventList) statements.push(`DROP TABLE ${listed}`);
    statements.push(`DROP TABLE ${keys}`);
  }
  if (parts === 1 && counts !== undefined) statements.push(countsStatement(counts, eventsWithProfiles(fk, false)));
  for (let i = 0; i < parts; i++) {
    if (keptProfiles === undefined) statements.push(`CREATE OR REPLACE TABLE ${ranked} AS ${rankedSql(i)}`);
    for (const [alias, sql] of tables) statements.push(`CREATE OR REPLACE TABLE ${prefix}_${alias} AS ${sql(i)}`);
    const inRun = parts === 1 ? "" : ` WHERE p.pl_part = ${i}`;
    const runRows = `${rows}${inRun} ORDER BY p.pl_order`;
    statements.push(i === 0 ? `CREATE OR REPLACE TABLE ${target} AS ${runRows}` : `INSERT INTO ${target} ${runRows}`);
    if (into !== undefined && use.eventList) {
      const listed = `SELECT p.pl_order AS ${d.ident(MERGED_COLUMNS.order)}, evs.ev FROM ${pk} AS p JOIN ${prefix}_evs AS evs ON evs.pk = p.pk${inRun}`;
      statements.push(i === 0 ? `CREATE OR REPLACE TABLE ${events} AS ${listed}` : `INSERT INTO ${events} ${listed}`);
    }
    for (const t of [...(keptProfiles === undefined ? [ranked] : []), ...tables.map(([alias]) => `${prefix}_${alias}`)]) statements.push(`DROP TABLE ${t}`);
  }
  if (parts > 1) for (const [name] of runInputs) statements.push(`DROP TABLE ${prefix}_${name}`);
  if (into !== undefined) {
    // The merged table's columns in its order, the events' from their table (or the empty list).
    const viewColumns = columns.map(([name]) => [name, name === eventsColumn ? eventList("e.ev") : `k.${d.ident(name)}`] as const);
    const listedJoin = use.eventList ? ` LEFT JOIN ${events} AS e ON e.${d.ident(MERGED_COLUMNS.order)} = k.${d.ident(MERGED_COLUMNS.order)}` : "";
    statements.push(`CREATE OR REPLACE TEMP VIEW ${d.ident(table)} AS SELECT ${select(viewColumns)} FROM ${into} AS k${listedJoin}`);
  }
  return statements;
}

