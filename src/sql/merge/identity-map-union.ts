/**
 * The identityMap union of a merged profile in SQL (src/merge unionIdentityMaps): its sources' maps in order, each
 * namespace named and placed by its first sight (namespaces compared lower-cased), each identity the first sight of
 * its (namespace, id), and with `single` only the first primary flag kept.
 */
import type { MergeConventions } from "../../merge/merge-options.js";
import type { XdmType } from "../../xdm/xdm-type.js";
import type { SqlDialect } from "../dialect.js";
import { listOf, sqlTypeOfXdm, STRING } from "../types.js";
import { NAMESPACES, positionOrder } from "./identities.js";

/**
 * Profiles whose sources hold at most this many namespace entries and identities together are unioned in lists, one
 * row each; the others are taken apart into rows. The lists' first-sight tests compare each element with those before
 * it (quadratic), which the rows' hash aggregates are not: entries count too, since records are not made distinct
 * (a profile of many records whose namespaces hold no identity would otherwise be listed whole).
 */
const UNION_IN_LISTS = 64;

/**
 * The identityMap union (src/merge unionIdentityMaps) of each profile, from `sources` (pk, o, m): a profile's
 * sources in the order of `o` (distinct within a profile); a profile whose sources hold no namespace has a NULL map or
 * no row. With `namesOnly`, `m` is only the map's keys and only its namespaces are kept, in the same order, each with
 * no identity.
 */
export function identityMapUnionSql(
  sourcesSql: string,
  itemType: XdmType,
  primary: MergeConventions["identityPrimary"],
  mapType: XdmType,
  d: SqlDialect,
  namesOnly: boolean,
  listLimit = UNION_IN_LISTS,
): string {
  const sources = `im_all AS (SELECT * FROM (${sourcesSql}) WHERE m IS NOT NULL)`;
  const size = namesOnly
    ? d.listLength("m")
    : `${d.listLength(d.mapKeys("m"))} + ${d.coalesce([d.listAggregate("sum", d.listTransform(d.mapValues("m"), d.lambda(["pl_v"], d.listLength("pl_v")))), "0"])}`;
  // Profiles of one or two sources (56 % and 41 % of those of 100k generated persons) are listed without aggregating,
  // the two by a join on the profile: the list aggregate over maps was the statement's costliest step.
  const mType = namesOnly ? listOf(STRING) : sqlTypeOfXdm(mapType);
  const lists =
    `im_n AS (SELECT pk, count(*) AS pl_c, coalesce(sum(${size}), 0) AS pl_n FROM im_all GROUP BY pk), ` +
    `im_lists AS (SELECT a.pk, ${d.list(["a.m"], mType)} AS ms, n.pl_n FROM im_all AS a JOIN im_n AS n ON n.pk = a.pk WHERE n.pl_c = 1 ` +
    `UNION ALL SELECT a.pk, ${d.list(["a.m", "b.m"], mType)} AS ms, n.pl_n FROM im_all AS a JOIN im_all AS b ON b.pk = a.pk AND b.o > a.o JOIN im_n AS n ON n.pk = a.pk WHERE n.pl_c = 2 ` +
    `UNION ALL SELECT a.pk, ${d.listOrderedByKey("a.m", "a.o")} AS ms, any_value(n.pl_n) AS pl_n FROM im_all AS a JOIN im_n AS n ON n.pk = a.pk WHERE n.pl_c > 2 GROUP BY a.pk)`;
  const small = `pl_n <= ${listLimit}`;
  const itemsType = sqlTypeOfXdm({ kind: "array", items: itemType });
  const fields = itemType.kind === "object" ? [...itemType.fields.keys()] : [];
  /** An identity with its fields and `primary` as given (with `single`, the flag that survives). */
  const identity = (item: string, flag: string): string => d.struct(fields.map((name) => [name, name === "primary" && primary === "single" ? flag : `${item}.${d.ident(name)}`] as const));
  const [x, e, f, i, k, it] = ["pl_x", "pl_e", "pl_f", "pl_i", "pl_k", "pl_it"];
  // A two-parameter lambda's index counted from 1, the element of a list there, and whether it is the first sight of
  // its value in the list.
  const oneBased = (index: string): string => `${index} + ${1 - d.lambdaIndexBase}`;
  const at = (list: string, index: string): string => d.listElement(list, oneBased(index));
  const firstSight = (list: string, value: string, index: string): string => `${d.listPosition(list, value)} = ${oneBased(index)}`;
  // A profile's entries in order of sight (the reference skips a namespace whose value is not a list) and their
  // namespaces lower-cased; the first entry of each namespace names it and places it.
  const entries = namesOnly
    ? d.flatten("ms")
    : d.listFilter(d.flatten(d.listTransform("ms", d.lambda([x], d.mapEntries(x)))), d.lambda([e], d.isNotNull(`${e}.value`)));
  const entryKey = (entry: string): string => (namesOnly ? entry : `${entry}.key`);
  const lowered = d.listLower("pl_es", e, entryKey(e));
  const firsts = d.listFilter(
    d.listTransform("pl_es", d.lambda([e, i], d.struct([["key", entryKey(e)], ["l", at("pl_ls", i)], ["i", i]]))),
    d.lambda([f], firstSight("pl_ls", `${f}.l`, `${f}.i`)),
  );
  const mapOf = (value: (first: string) => string): string =>
    `CASE WHEN ${d.listLength("pl_fs")} > 0 THEN ${d.cast(d.mapFromEntries(d.listTransform("pl_fs", d.lambda([f], d.struct([["key", `${f}.key`], ["value", value(f)]])))), sqlTypeOfXdm(mapType))} END`;
  let listed: string;
  if (namesOnly) {
    listed =
      `SELECT pk, ${mapOf(() => d.cast("[]", itemsType))} AS m FROM (SELECT pk, ${firsts} AS pl_fs FROM (SELECT pk, pl_es, ${lowered} AS pl_ls FROM ` +
      `(SELECT pk, ${entries} AS pl_es FROM im_lists WHERE ${small})))`;
  } else {
    // Each identity with its namespace, in order of sight; the first sight of each (namespace, id) is kept whole.
    const items = d.flatten(d.listTransform("pl_es", d.lambda([e, i], d.listTransform(`${e}.value`, d.lambda([it], d.struct([["l", at("pl_ls", i)], ["it", it]]))))));
    const keys = d.listTransform("pl_is", d.lambda([x], d.struct([["l", `${x}.l`], ["id", d.coalesce([`${x}.it.id`, "'undefined'"])]])));
    const kept = d.listFilter("pl_is", d.lambda([x, k], firstSight("pl_ks", at("pl_ks", k), k)));
    // With `single`, only the first primary flag kept survives.
    const flag = `${x}.it.${d.ident("primary")}`;
    const firstPrimary = d.listPosition(d.listTransform("pl_kept", d.lambda([x], d.isTrue(flag))), "TRUE");
    const flagged = `CASE WHEN ${d.isTrue(flag)} AND ${oneBased(k)} <> pl_p THEN FALSE ELSE ${flag} END`;
    const final = d.listTransform("pl_kept", d.lambda([x, k], d.struct([["l", `${x}.l`], ["it", identity(`${x}.it`, flagged)]])));
    listed =
      `SELECT pk, ${mapOf((first) => d.listTransform(d.listFilter("pl_final", d.lambda([x], `${x}.l = ${first}.l`)), d.lambda([x], `${x}.it`)))} AS m FROM ` +
      `(SELECT pk, pl_fs, ${final} AS pl_final FROM (SELECT *, coalesce(${firstPrimary}, 0) AS pl_p FROM ` +
      `(SELECT pk, ${firsts} AS pl_fs, ${kept} AS pl_kept FROM (SELECT *, ${keys} AS pl_ks FROM (SELECT *, ${items} AS pl_is FROM ` +
      `(SELECT pk, pl_es, ${lowered} AS pl_ls FROM (SELECT pk, ${entries} AS pl_es FROM im_lists WHERE ${small})))))))`;
  }
  // The larger profiles in rows: the sources numbered per profile so that each first sight is one integer
  // (positionOrder of source and entry), and an item's one pairOrder of that and its place.
  const numbered = `im_src AS (SELECT pk, m, row_number() OVER (PARTITION BY pk ORDER BY o) AS so FROM im_all WHERE pk IN (SELECT pk FROM im_lists WHERE NOT (${small})))`;
  // A namespace whose lists are all empty has no identity, so it is not in NAMESPACES: lower-cased here.
  const named = (rows: string, ns: string): string => `SELECT s.*, coalesce(n.lns, ${d.lower(ns)}) AS lns FROM (${rows}) AS s LEFT JOIN ${NAMESPACES} AS n ON n.ns = ${ns}`;
  const order = positionOrder("so", "ni");
  const names = `im_names AS (SELECT pk, lns, ${d.argMin("ns", "ns_at")} AS name, min(ns_at) AS first FROM im_ns GROUP BY pk, lns)`;
  const rowsMap = (items: string): string => d.cast(d.mapOrderedByKey("n.name", items, "n.first"), sqlTypeOfXdm(mapType));
  const head = `WITH ${sources}, ${lists}, im_small AS (${listed}), ${numbered}, `;
  // A profile with no entry keeps its NULL map: filtered out here, DuckDB built every map twice (the filter pushed
  // below the projection), and a filter on the namespaces was pushed below the lambdas that make them.
  const smallRows = "UNION ALL SELECT pk, m FROM im_small";
  if (namesOnly) {
    const nsKeys = `SELECT pk, ${order} AS ns_at, ns FROM (SELECT pk, so, ${d.unnest("m")} AS ns, ${d.unnestIndex("m")} AS ni FROM im_src)`;
    return `${head}im_ns AS (${named(nsKeys, "s.ns")}), ${names} SELECT n.pk, ${rowsMap(d.cast("[]", itemsType))} AS m FROM im_names AS n GROUP BY n.pk ${smallRows}`;
  }
  const rowEntries =
    `SELECT pk, ${order} AS ns_at, e.key AS ns, e.value AS items FROM (SELECT pk, so, ${d.unnest(d.mapEntries("m"))} AS e, ${d.unnestIndex(d.mapEntries("m"))} AS ni FROM im_src) ` +
    `WHERE e.value IS NOT NULL`;
  const itemAt = d.pairOrder("ns_at", "ii");
  const primaryFlag = `it.${d.ident("primary")}`;
  const single = `CASE WHEN ${primaryFlag} IS TRUE AND row_number() OVER (PARTITION BY pk, ${primaryFlag} IS TRUE ORDER BY pl_at) > 1 THEN FALSE ELSE ${primaryFlag} END`;
  const item = identity("it", "p");
  return (
    `${head}im_ns AS (${named(rowEntries, "s.ns")}), ${names}, ` +
    `im_items AS (SELECT pk, lns, ns_at, ${d.unnest("items")} AS it, ${d.unnestIndex("items")} AS ii FROM im_ns), ` +
    // The first sight of each identity (events repeat theirs many times): a hash aggregate, not a sort.
    `im_first AS (SELECT pk, lns, ${d.argMin("it", itemAt)} AS it, min(${itemAt}) AS pl_at FROM im_items GROUP BY pk, lns, coalesce(it.id, 'undefined')), ` +
    `im_flagged AS (SELECT *, ${single} AS p FROM im_first), ` +
    `im_grouped AS (SELECT pk, lns, ${d.listOrderedByKey(item, "pl_at")} AS items FROM im_flagged GROUP BY pk, lns) ` +
    `SELECT n.pk, ${rowsMap(d.coalesce(["g.items", d.cast("[]", itemsType)]))} AS m ` +
    `FROM im_names AS n LEFT JOIN im_grouped AS g ON g.pk = n.pk AND g.lns = n.lns GROUP BY n.pk ${smallRows}`
  );
}
