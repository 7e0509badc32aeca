/**
 * Merges a sandbox both ways — the reference (src/engine load → group → src/merge) and the SQL merge on an
 * in-memory DuckDB — and gives each profile in one comparable form: key, entity and events as canonical JSON
 * (object keys sorted, nulls dropped, timestamps as UTC ISO), last ingestion time and record count, in profile order.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { loadSandboxData } from "../../src/engine/load-data.js";
import { mergeGroup, profileGroups } from "../../src/engine/profile-groups.js";
import { openSandbox, type Sandbox } from "../../src/engine/sandbox.js";
import { fromDuckDbJson } from "../../src/sql/duckdb-values.js";
import { DuckDbSession } from "../../src/sql/merge/duckdb-session.js";
import type { ComponentMethod } from "../../src/sql/merge/identities.js";
import { MERGED_COLUMNS } from "../../src/sql/merge/merge-profiles.js";
import { mergeSourcesOf } from "../../src/sql/merge/sources.js";
import { SqlMerge } from "../../src/sql/merge/sql-merge.js";
import { ROW_SHAPE_NAMES } from "../../src/sql/row-shape.js";
import { listOf, structOfXdm } from "../../src/sql/types.js";
import type { Json, JsonObject } from "../../src/xdm/types.js";
import { normalise } from "./harness.js";

export interface ComparableProfile {
  readonly key: string;
  readonly entity: string;
  readonly events: string;
  readonly lastIngestTime: number | null;
  readonly recordCount: number;
}

/** Canonical JSON: keys sorted at every level, nulls dropped, timestamps as UTC ISO. */
export function canonical(v: Json): string {
  const sort = (x: Json): Json => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === "object") {
      const out: JsonObject = {};
      for (const k of Object.keys(x).sort()) out[k] = sort(x[k]!);
      return out;
    }
    return x;
  };
  return JSON.stringify(sort(normalise(v)));
}

/** The reference's merged profiles of every policy of the sandbox, by policy id. */
export async function referenceMerge(sandbox: Sandbox): Promise<Map<string, ComparableProfile[]>> {
  const data = await loadSandboxData(sandbox);
  const out = new Map<string, ComparableProfile[]>();
  for (const policy of sandbox.policies.all()) {
    const { groups } = profileGroups(data, policy);
    out.set(
      policy.id,
      groups.map((g) => {
        const merged = mergeGroup(g, policy, sandbox.conventions);
        return {
          key: g.key,
          entity: canonical(merged.entity),
          events: canonical(g.events.map((e) => e.data)),
          lastIngestTime: merged.recordCount === 0 ? null : merged.lastIngestTime,
          recordCount: merged.recordCount,
        };
      }),
    );
  }
  return out;
}

/** The SQL merge's profiles of every policy of the sandbox, by policy id, and the stage times. */
export async function sqlMerge(sandbox: Sandbox, method: ComponentMethod = "union-find"): Promise<Map<string, ComparableProfile[]>> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    const session = await DuckDbSession.open(connection);
    const sources = mergeSourcesOf(sandbox);
    const merge = await SqlMerge.prepare(session, sources, { components: method });
    const profileType = structOfXdm(sandbox.profileType);
    const eventsType = listOf(structOfXdm(sandbox.eventType));
    const out = new Map<string, ComparableProfile[]>();
    for (const [i, policy] of sandbox.policies.all().entries()) {
      const table = `merged_${i}`;
      await merge.mergePolicy(policy, table);
      const rows = await session.rows(`SELECT * FROM ${table} ORDER BY ${MERGED_COLUMNS.order}`);
      out.set(
        policy.id,
        rows.map((row) => {
          const last = row[MERGED_COLUMNS.lastIngestTime];
          return {
            key: String(row[MERGED_COLUMNS.key]),
            entity: canonical(fromDuckDbJson(row, profileType)),
            events: canonical(fromDuckDbJson(row[ROW_SHAPE_NAMES.events], eventsType)),
            lastIngestTime: last === null || last === undefined ? null : Number(last),
            recordCount: Number(row[MERGED_COLUMNS.recordCount]),
          };
        }),
      );
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Opens a sandbox directory for both merges. */
export function sandboxAt(dir: string): Sandbox {
  return openSandbox(dir, { segments: false });
}
