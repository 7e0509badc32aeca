import { type Data, DataType, makeVector, Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import type { Json, JsonObject } from "../xdm/types.js";
import { array, IDENTITY_MAP_TYPE, map, object, scalar, SEGMENT_MEMBERSHIP_TYPE, type XdmObject } from "../xdm/xdm-type.js";
import { batchBuilderFor, Bits, buildRecordBatch, columnData, ColumnTypeError, Utf8Column, validityOf } from "./arrow-build.js";
import { arrowSchemaFor } from "./arrow-schema.js";

const ROW: XdmObject = object([
  ["s", scalar("string")],
  ["i", scalar("int")],
  ["l", scalar("long")],
  ["d", scalar("double")],
  ["b", scalar("boolean")],
  ["t", scalar("date-time")],
  ["day", scalar("date")],
  ["o", object([["x", scalar("int")], ["y", array(scalar("string"))]])],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["segmentMembership", SEGMENT_MEMBERSHIP_TYPE],
]);

describe("arrowSchemaFor", () => {
  it("maps every XDM kind, all nullable except map keys and entries", () => {
    const schema = arrowSchemaFor(ROW);
    expect(schema.fields.map((f) => f.name)).toEqual([...ROW.fields.keys()]);
    expect(schema.fields.every((f) => f.nullable)).toBe(true);
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      s: "Utf8",
      i: "Int32",
      l: "Int64",
      d: "Float64",
      b: "Bool",
      t: "Timestamp<MILLISECOND, UTC>",
      day: "Date32<DAY>",
    });
    const idMap = schema.fields.find((f) => f.name === "identityMap")?.type;
    expect(DataType.isMap(idMap)).toBe(true);
    const entries = idMap.children[0];
    expect(entries.name).toBe("entries");
    expect(entries.nullable).toBe(false);
    expect(entries.type.children[0].name).toBe("key");
    expect(entries.type.children[0].nullable).toBe(false);
    expect(String(entries.type.children[0].type)).toBe("Utf8");
    expect(entries.type.children[1].name).toBe("value");
    expect(entries.type.children[1].nullable).toBe(true);
    const list = entries.type.children[1].type;
    expect(DataType.isList(list)).toBe(true);
    expect(list.children[0].name).toBe("element");
    expect(list.children[0].nullable).toBe(true);
  });
});

describe("buildRecordBatch", () => {
  it("compiles the plan once per schema object", () => {
    expect(batchBuilderFor(ROW)).toBe(batchBuilderFor(ROW));
  });

  it("encodes strings of 1–4 UTF-8 bytes a unit wherever they fall (the buffer is sized for ASCII and grows)", () => {
    const column = object([["s", scalar("string")]]);
    const values = ["ü", "ascii", "", null, "漢字", "a".repeat(40), "😀x", "é".repeat(30), "Zoë", "末尾の漢字"];
    const table = tableFromIPC(tableToIPC(new Table([buildRecordBatch(column, values.map((s) => ({ s })))]), "stream"));
    expect([...table.getChild("s")!]).toEqual(values);
  });

  it("builds a string column value by value (Utf8Column) as it builds one from an array, growing past its expected sizes", () => {
    const values = ["ü", "ascii", "", undefined, "漢字", "a".repeat(40), "😀x", undefined, "é".repeat(30), "Zoë", "末尾の漢字"];
    const type = arrowSchemaFor(object([["s", scalar("string")]])).fields[0]!.type;
    const column = new Utf8Column(2, 4);
    for (const s of values) column.add(s);
    const ipc = (data: Data): Uint8Array => tableToIPC(new Table({ s: makeVector(data) }), "stream");
    expect(Buffer.from(ipc(column.data(type))).equals(Buffer.from(ipc(columnData(scalar("string"), type, values))))).toBe(true);
    expect([...tableFromIPC(ipc(column.data(type))).getChild("s")!]).toEqual(values.map((s) => s ?? null));
  });

  it("builds values that survive an Arrow IPC round trip", () => {
    const rows: JsonObject[] = [
      {
        s: "Zoë 東京 😀",
        i: -7,
        l: -(2 ** 40) - 1,
        d: 2.5,
        b: true,
        t: "2024-05-01T01:00:00.5-01:30",
        day: "2000-03-01",
        o: { x: 1, y: ["a", "ü"] },
        identityMap: { ECID: [{ id: "e", primary: true }] },
        segmentMembership: { ups: { s1: { status: "realized", lastQualificationTime: 1234, version: "2" } } },
      },
      { s: null, o: { y: [] }, identityMap: {}, t: 1.9 },
      {},
    ];
    const batch = buildRecordBatch(ROW, rows);
    expect(batch.numRows).toBe(3);
    const table = tableFromIPC(tableToIPC(new Table([batch]), "stream"));
    const r0 = table.get(0)?.toJSON() as Record<string, unknown>;
    expect(r0.s).toBe("Zoë 東京 😀");
    expect(r0.i).toBe(-7);
    expect(r0.l).toBe(BigInt(-(2 ** 40) - 1));
    expect(r0.b).toBe(true);
    expect(r0.t).toBe(Date.UTC(2024, 4, 1, 2, 30, 0, 500));
    expect(table.getChild("day")?.get(0)).toBe(Date.UTC(2000, 2, 1));
    expect(table.getChild("o")?.get(0)?.toJSON()).toMatchObject({ x: 1 });
    expect([...(table.getChild("o")?.get(0)?.y ?? [])]).toEqual(["a", "ü"]);
    const r1 = table.get(1)?.toJSON() as Record<string, unknown>;
    expect(r1.s).toBeNull();
    expect(r1.t).toBe(1); // fractional epoch ms are floored
    expect(r1.i).toBeNull();
    const r2 = table.get(2)?.toJSON() as Record<string, unknown>;
    expect(Object.values(r2).every((v) => v === null)).toBe(true);
    expect(table.getChild("s")?.nullCount).toBe(2);
  });

  it("reuses its scratch arrays without leaking values between batches", () => {
    const big: JsonObject[] = Array.from({ length: 300 }, (_, i) => ({
      s: `s${i}`,
      o: { x: i, y: ["a", "b", "c"] },
      identityMap: { A: [{ id: `a${i}` }, { id: `b${i}` }], B: [{ id: "x", primary: true }] },
      segmentMembership: { ups: { [`seg${i}`]: { status: "realized", lastQualificationTime: i } } },
    }));
    const small: JsonObject[] = [{ o: { y: [] }, identityMap: { Z: [] } }, { s: "last", segmentMembership: {} }, {}];
    const ipc = (b: ReturnType<typeof buildRecordBatch>): Uint8Array => tableToIPC(new Table([b]), "stream");
    buildRecordBatch(ROW, big);
    // A structurally equal schema object gets a fresh plan (fresh scratch arrays).
    const fresh = object([...ROW.fields]);
    expect(batchBuilderFor(fresh)).not.toBe(batchBuilderFor(ROW));
    expect(ipc(buildRecordBatch(ROW, small))).toEqual(ipc(buildRecordBatch(fresh, small)));
    // After a failed batch too.
    expect(() => buildRecordBatch(ROW, [...big.slice(0, 10), { identityMap: { A: [{ id: 5 }] } } as unknown as JsonObject])).toThrow(
      ColumnTypeError,
    );
    expect(ipc(buildRecordBatch(ROW, small))).toEqual(ipc(buildRecordBatch(fresh, small)));
  });

  it("builds an empty batch with the full schema", () => {
    const batch = buildRecordBatch(ROW, []);
    expect(batch.numRows).toBe(0);
    expect(batch.schema.fields.map((f) => f.name)).toEqual([...ROW.fields.keys()]);
  });

  const bad: [string, XdmObject, Json, string][] = [
    ["string gets a number", object([["v", scalar("string")]]), 5, "v"],
    ["int gets a string", object([["v", scalar("int")]]), "3", "v"],
    ["int gets a fraction", object([["v", scalar("int")]]), 1.5, "v"],
    ["int gets 2^31", object([["v", scalar("int")]]), 2 ** 31, "v"],
    ["long gets an unsafe integer", object([["v", scalar("long")]]), 2 ** 53, "v"],
    ["long gets a string", object([["v", scalar("long")]]), "12", "v"],
    ["double gets a string", object([["v", scalar("double")]]), "1.0", "v"],
    ["boolean gets a string", object([["v", scalar("boolean")]]), "true", "v"],
    ["date-time gets a bad string", object([["v", scalar("date-time")]]), "yesterday", "v"],
    ["date-time gets an impossible date", object([["v", scalar("date-time")]]), "2018-02-30T00:00:00Z", "v"],
    ["date-time gets a boolean", object([["v", scalar("date-time")]]), true, "v"],
    ["date gets an impossible date", object([["v", scalar("date")]]), "2023-02-29", "v"],
    ["date gets a number", object([["v", scalar("date")]]), 19000, "v"],
    ["object gets an array", object([["v", object([["x", scalar("int")]])]]), [1], "v"],
    ["array gets an object", object([["v", array(scalar("int"))]]), { a: 1 }, "v"],
    ["map gets an array", object([["v", map(scalar("int"))]]), [1], "v"],
    ["nested struct field", object([["v", object([["x", scalar("int")]])]]), { x: "no" }, "v.x"],
    ["list item", object([["v", array(scalar("int"))]]), [1, 2, "three"], "v[]"],
    ["map value", object([["v", map(scalar("int"))]]), { a: 1, b: false }, "v{}"],
  ];
  it.each(bad)("throws IO-W001 when %s", (_name, schema, value, column) => {
    const rows: JsonObject[] = [{}, { v: null }, { v: value }];
    let err: unknown;
    try {
      buildRecordBatch(schema, rows, 100);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ColumnTypeError);
    const e = err as ColumnTypeError;
    expect(e.code).toBe("IO-W001");
    expect(e.column).toBe(column);
    expect(e.row).toBe(102);
    expect(e.message).toContain(`column ${column}`);
    expect(e.message).toContain("Row 102");
  });

  it("names the exact value inside nested maps", () => {
    const rows: JsonObject[] = [
      { segmentMembership: { ups: { s1: { status: "realized", lastQualificationTime: "2024-01-01T00:00:00Z" } } } },
      { segmentMembership: { ups: { s1: { status: "realized" }, "seg 2": { status: "exited", lastQualificationTime: "soon" } } } },
    ];
    let err: unknown;
    try {
      buildRecordBatch(ROW, rows);
    } catch (e) {
      err = e;
    }
    const e = err as ColumnTypeError;
    expect(e.column).toBe("segmentMembership{}{}.lastQualificationTime");
    expect(e.valuePath).toBe('segmentMembership.ups["seg 2"].lastQualificationTime');
    expect(e.value).toBe("soon");
    expect(e.row).toBe(1);
    expect(e.location.jsonPath).toBe('$[1].segmentMembership.ups["seg 2"].lastQualificationTime');
  });

  it("rejects rows that are not objects", () => {
    expect(() => buildRecordBatch(ROW, [{}, null as unknown as JsonObject])).toThrow(/Row 1, the row itself/);
  });
});

describe("Bits", () => {
  // The bitmap is made at the first null: every place it can come (the first bit, a byte's last and first, past the
  // bitmap's first size) gives validityOf's bitmap and flags.
  const cases: Array<[string, boolean[]]> = [
    ["no flag", []],
    ["all valid", Array.from({ length: 1000 }, () => true)],
    ...[0, 1, 7, 8, 9, 63, 64, 511, 512, 513, 600].map((at): [string, boolean[]] => [
      `first null at ${at}`,
      Array.from({ length: 1100 }, (_, i) => i !== at && (i < at || i % 3 !== 0)),
    ]),
    ["all null", Array.from({ length: 70 }, () => false)],
  ];
  it.each(cases)("%s", (_, flags) => {
    const bits = new Bits();
    for (const f of flags) bits.push(f);
    expect(bits.length).toBe(flags.length);
    expect(flags.map((_, i) => bits.get(i))).toEqual(flags);
    expect(bits.validity()).toEqual(validityOf(flags));
  });
});
