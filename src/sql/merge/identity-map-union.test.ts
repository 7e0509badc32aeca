import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../generate/random.js";
import { unionIdentityMaps } from "../../merge/merge-fragments.js";
import type { MergeConventions } from "../../merge/merge-options.js";
import type { IdentityItem, IdentityMap } from "../../xdm/types.js";
import { IDENTITY_MAP_TYPE } from "../../xdm/xdm-type.js";
import { DUCKDB } from "../duckdb.js";
import { sqlTypeOfXdm } from "../types.js";
import { DuckDbSession } from "./duckdb-session.js";
import { NAMESPACES } from "./identities.js";
import { identityMapUnionSql } from "./identity-map-union.js";

let instance: DuckDBInstance;
let session: DuckDbSession;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  session = await DuckDbSession.open(await instance.connect());
  // As linking leaves it: the namespaces that hold an identity, lower-cased by JavaScript.
  await session.run(`CREATE TABLE ${NAMESPACES} (ns VARCHAR, lns VARCHAR)`);
  await session.run(`INSERT INTO ${NAMESPACES} VALUES ${NAMES.map((n) => `(${DUCKDB.string(n)}, ${DUCKDB.string(n.toLowerCase())})`).join(", ")}`);
});
afterAll(() => instance.closeSync());

// Case variants of one namespace, and one whose lower case is not ASCII (İ → i̇).
const NAMES = ["ECID", "ecid", "Email", "EMAIL", "CRMID", "İD"];
// A missing id is the identity "undefined", as the reference keys it.
const IDS = ["a", "b", "undefined", undefined];

/** A map (namespaces distinct as written; some lists empty, some values null) given as the reference reads it. */
function randomMap(next: () => number): Record<string, IdentityItem[] | null> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const out: Record<string, IdentityItem[] | null> = {};
  const count = Math.floor(next() * 4);
  for (let n = 0; n < count; n++) {
    const ns = pick(NAMES);
    if (ns in out) continue;
    if (next() < 0.08) {
      out[ns] = null;
      continue;
    }
    out[ns] = Array.from({ length: Math.floor(next() * 3) }, () => {
      const item: Record<string, unknown> = {};
      const id = pick(IDS);
      if (id !== undefined) item["id"] = id;
      if (next() < 0.7) item["authenticatedState"] = pick(["ambiguous", "authenticated"]);
      const flag = pick([true, false, undefined]);
      if (flag !== undefined) item["primary"] = flag;
      return item as unknown as IdentityItem;
    });
  }
  return out;
}

const ITEM_FIELDS = ["id", "authenticatedState", "primary"] as const;

function mapSql(m: Record<string, IdentityItem[] | null>): string {
  const d = DUCKDB;
  const entries = Object.entries(m).map(([ns, items]) => {
    const list = items === null ? "NULL" : `[${items.map((it) => d.struct(ITEM_FIELDS.map((f) => [f, it[f] === undefined ? "NULL" : typeof it[f] === "boolean" ? String(it[f]) : d.string(String(it[f]))] as const))).join(", ")}]`;
    return `${d.string(ns)}: ${list}`;
  });
  return d.cast(`MAP {${entries.join(", ")}}`, sqlTypeOfXdm(IDENTITY_MAP_TYPE));
}

/** The SQL union's maps as the reference writes them (fields that are NULL left out), by profile; no row or a NULL map: undefined. */
async function sqlUnions(profiles: ReadonlyArray<ReadonlyArray<Record<string, IdentityItem[] | null>>>, primary: MergeConventions["identityPrimary"], namesOnly: boolean, listLimit: number): Promise<Array<IdentityMap | undefined>> {
  const values = profiles.flatMap((sources, pk) => sources.map((m, o) => `(${pk}, ${1000 - o * 7}, ${mapSql(m)})`));
  await session.run(`CREATE OR REPLACE TABLE src AS SELECT * FROM (VALUES ${values.join(", ")}) AS t(pk, o, m)`);
  const item = IDENTITY_MAP_TYPE.values.kind === "array" ? IDENTITY_MAP_TYPE.values.items : IDENTITY_MAP_TYPE.values;
  const sources = namesOnly ? "SELECT pk, -o AS o, map_keys(m) AS m FROM src" : "SELECT pk, -o AS o, m FROM src";
  const rows = await session.rows(`SELECT pk, CAST(to_json(m) AS VARCHAR) AS m FROM (${identityMapUnionSql(sources, item, primary, IDENTITY_MAP_TYPE, DUCKDB, namesOnly, listLimit)}) ORDER BY pk`);
  const out: Array<IdentityMap | undefined> = profiles.map(() => undefined);
  for (const r of rows) {
    if (r["m"] === null) continue;
    // to_json writes a MAP as an object in its order, which is the order compared.
    const entries = Object.entries(JSON.parse(String(r["m"])) as Record<string, Array<Record<string, unknown>>>);
    out[Number(r["pk"])] = Object.fromEntries(entries.map(([ns, items]) => [ns, items.map((it) => Object.fromEntries(Object.entries(it).filter(([, v]) => v !== null)) as unknown as IdentityItem)]));
  }
  return out;
}

/** The reference's union, undefined when it has no namespace (the merged profile then has no identityMap). */
function referenceUnion(sources: ReadonlyArray<Record<string, IdentityItem[] | null>>, primary: MergeConventions["identityPrimary"], namesOnly: boolean): IdentityMap | undefined {
  const maps = sources.map((m) => (namesOnly ? Object.fromEntries(Object.keys(m).map((ns) => [ns, []])) : m) as IdentityMap);
  const union = unionIdentityMaps(maps, primary);
  return Object.keys(union).length > 0 ? union : undefined;
}

describe("identityMapUnionSql", () => {
  const rng = new Rng(20261205, "identity-map-union");
  const next = (): number => rng.float();
  const profiles = Array.from({ length: 400 }, () => Array.from({ length: 1 + Math.floor(next() * 4) }, () => randomMap(next)));
  const ordered = (union: IdentityMap | undefined): unknown => (union === undefined ? undefined : Object.entries(union));

  for (const primary of ["single", "asIngested"] as const) {
    for (const namesOnly of [false, true]) {
      // 0: every profile taken apart into rows; 1000: every one in lists; 3: some each way.
      for (const listLimit of [0, 3, 1000]) {
        it(`is the reference's union (identityPrimary ${primary}${namesOnly ? ", namespaces only" : ""}, profiles of more than ${listLimit} identities in rows)`, async () => {
          const got = await sqlUnions(profiles, primary, namesOnly, listLimit);
          expect(got.map(ordered)).toEqual(profiles.map((sources) => ordered(referenceUnion(sources, primary, namesOnly))));
        });
      }
    }
  }
});
