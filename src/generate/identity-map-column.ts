/**
 * An identityMap column (namespace → [{ id, authenticatedState, primary }]) written identity by identity as
 * rows are made, each namespace holding one identity: the Data is the row builder's for the same maps. Shared by
 * the events' and the records' column builders.
 */
import { makeData, type Data, type List, type Map_, type Struct } from "apache-arrow";
import { Bits, columnData, Utf8Column } from "../io/arrow-build.js";
import { scalar } from "../xdm/xdm-type.js";

const BOOLEAN = scalar("boolean");

export class IdentityMapColumn {
  /** Entries before each row, and after the last closed one. */
  private offsets: Int32Array;
  /** Rows with an identity (a row without any is a null map, as a row without the field). */
  private readonly valid = new Bits();
  private readonly namespaces: Utf8Column;
  private readonly ids: Utf8Column;
  private readonly states: Utf8Column;
  private readonly primaries: boolean[] = [];

  /** `rows` and `entries`: expected sizes (the buffers grow past them). */
  constructor(rows: number, entries: number) {
    this.offsets = new Int32Array(rows + 1);
    this.namespaces = new Utf8Column(entries, entries * 5);
    this.ids = new Utf8Column(entries, entries * 32);
    this.states = new Utf8Column(entries, entries * 13);
  }

  /** Adds an identity to row `row` (rows in order; earlier rows without one are null maps). */
  add(row: number, namespace: string, id: string, authenticatedState: string, primary: boolean): void {
    if (row < this.valid.length - 1) throw new Error(`identityMap: row ${row} written after row ${this.valid.length - 1}`);
    if (row === this.valid.length - 1) {
      this.offsets[row + 1]!++;
    } else {
      this.close(row);
      this.valid.push(true);
      this.offsets[row + 1] = this.offsets[row]! + 1;
    }
    this.namespaces.add(namespace);
    this.ids.add(id);
    this.states.add(authenticatedState);
    this.primaries.push(primary);
  }

  /** The column of `rows` rows (the rows after the last one written are null maps). */
  data(type: Map_, rows: number): Data {
    this.close(rows);
    const entries = this.primaries.length;
    const entriesType = type.childType;
    const listType = entriesType.children[1]!.type as List;
    const itemType = listType.children[0]!.type as Struct;
    const [id, state, primary] = itemType.children;
    const items = makeData({
      type: itemType,
      length: entries,
      nullCount: 0,
      children: [this.ids.data(id!.type), this.states.data(state!.type), columnData(BOOLEAN, primary!.type, this.primaries)],
    });
    // One identity a namespace: the lists' offsets count the entries.
    const lists = makeData({ type: listType, length: entries, nullCount: 0, valueOffsets: Int32Array.from({ length: entries + 1 }, (_, k) => k), child: items });
    const pairs = makeData({ type: entriesType, length: entries, nullCount: 0, children: [this.namespaces.data(entriesType.children[0]!.type), lists] });
    return makeData({ type, length: rows, ...this.valid.validity(), valueOffsets: this.offsets.subarray(0, rows + 1), child: pairs });
  }

  /** Rows before `row` not yet written are null maps. */
  private close(row: number): void {
    if (row + 1 > this.offsets.length - 1) {
      const grown = new Int32Array(Math.max(row + 1, 2 * (this.offsets.length - 1)) + 1);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    for (let r = this.valid.length; r < row; r++) {
      this.valid.push(false);
      this.offsets[r + 1] = this.offsets[r]!;
    }
  }
}
