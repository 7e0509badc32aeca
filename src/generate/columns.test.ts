import { Table, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { batchBuilderFor } from "../io/arrow-build.js";
import { IDENTITY_MAP_TYPE, object, scalar } from "../xdm/xdm-type.js";
import { rowTypeOf } from "./blocks.js";
import { EventColumns } from "./event-columns.js";
import { anonymousEvents, eventJson, personEvents, type EventRow } from "./events.js";
import { BUILTIN_SHAPE, makePerson, type GenContext } from "./model.js";
import { RecordColumns } from "./record-columns.js";
import { crmRecords, loyaltyRecords, webRecords } from "./records.js";
import { JsonRows, type RowSink } from "./row-sink.js";

const ctx: GenContext = {
  shape: BUILTIN_SHAPE,
  seed: 7,
  refMs: Date.UTC(2026, 10, 1),
  profiles: 600,
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

const ipc = (table: Table): Buffer => Buffer.from(tableToIPC(table, "stream"));

describe("a record dataset's Arrow batch written field by field", () => {
  const datasets = [
    ["crm", crmRecords],
    ["loyalty", loyaltyRecords],
    ["web", webRecords],
  ] as const;
  for (const [key, write] of datasets) {
    it(`is the batch the row builder makes from the ${key} records' JSON rows, byte for byte`, () => {
      const rowType = rowTypeOf(key);
      const json = new JsonRows();
      const columns = new RecordColumns(rowType, 8);
      for (let i = 0; i < 600; i++) {
        const person = makePerson(ctx, i);
        write(ctx, person, json);
        write(ctx, person, columns);
      }
      expect(columns.length).toBe(json.length);
      expect(json.length).toBeGreaterThan(100);
      const direct = ipc(new Table([columns.batch()]));
      expect(direct.byteLength).toBeGreaterThan(20_000);
      expect(direct.equals(ipc(new Table([batchBuilderFor(rowType).build(json.rows)])))).toBe(true);
    });
  }

  it("leaves nulls where rows skip fields, objects and identities, in any row", () => {
    const rowType = object([
      ["id", scalar("string")],
      ["identityMap", IDENTITY_MAP_TYPE],
      ["a", object([["n", scalar("int")], ["b", object([["s", scalar("string")], ["t", scalar("date-time")], ["ok", scalar("boolean")]])]])],
      ["d", scalar("date")],
    ]);
    const writes: ((out: RowSink) => void)[] = [
      (out) => out.set("a.b.s", "x"),
      (out) => out.identity("E", "e1", "ambiguous", true),
      (out) => {
        out.set("id", "ü");
        out.identity("E", "e2", "authenticated", false);
        out.identity("C", "c2", "ambiguous", true);
        out.set("a.n", 3);
        out.set("d", "2024-02-29");
      },
      () => {},
      (out) => {
        out.set("a.b.t", 1_700_000_000_000);
        out.set("a.b.ok", false);
      },
      (out) => out.set("a.n", undefined),
    ];
    const json = new JsonRows();
    const columns = new RecordColumns(rowType, 1);
    for (const sink of [json, columns]) {
      for (const write of writes) {
        sink.row();
        write(sink);
      }
    }
    expect(ipc(new Table([columns.batch()])).equals(ipc(new Table([batchBuilderFor(rowType).build(json.rows)])))).toBe(true);
  });

  it("refuses a field twice in a row and a field the row type lacks", () => {
    const columns = new RecordColumns(rowTypeOf("web"), 1);
    columns.row();
    columns.set("_id", "a");
    expect(() => columns.set("_id", "b")).toThrow(/set twice/);
    expect(() => columns.set("nope", "b")).toThrow(/no field nope/);
  });
});
