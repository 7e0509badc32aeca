import { Table, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { batchBuilderFor } from "../io/arrow-build.js";
import { rowTypeOf } from "./blocks.js";
import { EventColumns } from "./event-columns.js";
import { anonymousEvents, eventJson, personEvents, type EventRow } from "./events.js";
import { BUILTIN_SHAPE, makePerson, type GenContext } from "./model.js";

const ctx: GenContext = {
  shape: BUILTIN_SHAPE,
  seed: 7,
  refMs: Date.UTC(2026, 10, 1),
  profiles: 400,
  eventsPerProfile: 10,
  datasetIds: { crm: "c", loyalty: "l", web: "w", events: "e", export: "x" },
  activityScale: 12,
  batchCache: new Map(),
  time: (ms) => ms,
};

describe("the events' Arrow batch built from their columns", () => {
  it("is the batch the row builder makes from the events' JSON rows, byte for byte", () => {
    const events: EventRow[] = [];
    for (let i = 0; i < 400; i++) events.push(...personEvents(ctx, makePerson(ctx, i)), ...(i % 20 === 0 ? anonymousEvents(ctx, i) : []));
    const kinds = new Set(events.map((e) => `${e.action.kind}${e.crmId === undefined ? "" : "+crm"}`));
    expect([...kinds].sort()).toEqual(["add", "add+crm", "page", "page+crm", "purchase", "purchase+crm", "view", "view+crm"]);
    const rowType = rowTypeOf("events");
    const columns = new EventColumns(rowType, 16);
    for (const e of events) columns.add(e);
    const direct = tableToIPC(new Table([columns.batch()]), "stream");
    const fromRows = tableToIPC(new Table([batchBuilderFor(rowType).build(events.map((e) => eventJson(ctx, e)))]), "stream");
    expect(direct.byteLength).toBeGreaterThan(100_000);
    expect(Buffer.from(direct).equals(Buffer.from(fromRows))).toBe(true);
  });
});
