import { describe, expect, it } from "vitest";
import { tableToIPC, Table } from "apache-arrow";
import { IDENTITY_MAP_TYPE, object, scalar } from "../xdm/xdm-type.js";
import { batchBuilderFor } from "./arrow-build.js";
import { encodeParquet } from "./parquet-writer.js";
import { decodeStruct, encodeStruct, T, ThriftStruct } from "./thrift-compact.js";

const ROW = object([
  ["id", scalar("string")],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["person", object([["age", scalar("int")], ["score", scalar("double")], ["ok", scalar("boolean")]])],
]);

async function footerOf(rows: number, statistics: "page" | "none"): Promise<Uint8Array> {
  const batch = batchBuilderFor(ROW).build(Array.from({ length: rows }, (_, i) => ({ id: `r${i}`, identityMap: { ECID: [{ id: `e${i}`, primary: i % 2 === 0 }] }, person: { age: i, score: i / 3, ok: i % 2 === 0 } })));
  const file = await encodeParquet([tableToIPC(new Table([batch]), "stream")], { rowGroupSize: 4, statistics });
  const length = Buffer.from(file.buffer, file.byteOffset).readUInt32LE(file.length - 8);
  return file.subarray(file.length - 8 - length, file.length - 8);
}

describe("Thrift's compact protocol", () => {
  it("encodes a decoded Parquet footer back to the same bytes", async () => {
    for (const statistics of ["page", "none"] as const) {
      const footer = await footerOf(10, statistics);
      const { struct, end } = decodeStruct(footer);
      expect(end).toBe(footer.length);
      expect(Buffer.from(encodeStruct(struct)).equals(Buffer.from(footer)), statistics).toBe(true);
      // FileMetaData: 3 num_rows, 4 row_groups (10 rows in groups of 4), 6 created_by.
      expect(struct.int(3)).toBe(10);
      expect(struct.list(4)).toHaveLength(3);
      expect(new TextDecoder().decode(struct.get(6) as Uint8Array)).toMatch(/parquet-rs/);
    }
  });

  it("keeps every wire type: booleans, bytes, integers past 2^32, doubles, binaries, lists, sets, maps, structs", () => {
    const inner = new ThriftStruct([{ id: 1, type: T.TRUE, value: false }]);
    const s = new ThriftStruct([
      { id: 1, type: T.TRUE, value: true },
      { id: 2, type: T.BYTE, value: -5 },
      { id: 3, type: T.I16, value: -300 },
      { id: 20, type: T.I64, value: 2 ** 40 + 7 },
      { id: 21, type: T.DOUBLE, value: -1.25 },
      { id: 22, type: T.BINARY, value: new Uint8Array([1, 2, 3]) },
      { id: 23, type: T.LIST, value: { kind: "list", wire: T.LIST, itemType: T.I32, items: Array.from({ length: 20 }, (_, i) => i - 10) } },
      { id: 24, type: T.SET, value: { kind: "list", wire: T.SET, itemType: T.TRUE, items: [true, false] } },
      { id: 25, type: T.MAP, value: { kind: "map", keyType: T.BINARY, valueType: T.STRUCT, entries: [[new Uint8Array([65]), inner]] } },
      { id: 26, type: T.STRUCT, value: inner },
    ]);
    const bytes = encodeStruct(s);
    const back = decodeStruct(bytes).struct;
    expect(back).toEqual(s);
    expect(Buffer.from(encodeStruct(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("copies binaries out of the bytes it decodes (a view would keep a whole file alive)", async () => {
    const footer = Buffer.from(await footerOf(3, "none"));
    const createdBy = decodeStruct(footer).struct.get(6) as Uint8Array;
    expect(createdBy.buffer).not.toBe(footer.buffer);
    expect(createdBy.buffer.byteLength).toBe(createdBy.length);
  });

  it("puts a new field in id order and replaces an existing one", () => {
    const s = new ThriftStruct([
      { id: 1, type: T.I32, value: 1 },
      { id: 5, type: T.I32, value: 5 },
    ]);
    s.put(3, T.I64, 3);
    s.put(5, T.I32, 50);
    expect(s.fields.map((f) => [f.id, f.value])).toEqual([
      [1, 1],
      [3, 3],
      [5, 50],
    ]);
    expect(() => s.set(9, 1)).toThrow(/absent/);
  });

  it("throws a RangeError on bytes cut short or an unknown type", async () => {
    const footer = await footerOf(3, "none");
    expect(() => decodeStruct(footer.subarray(0, footer.length - 5))).toThrow(RangeError);
    expect(() => decodeStruct(new Uint8Array([0x1d]))).toThrow(/unknown Thrift compact type 13/);
  });
});
