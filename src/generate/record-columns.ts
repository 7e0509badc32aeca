/**
 * A record dataset's Arrow batch written field by field as the generator sets them (`RowSink`): scalars into
 * arrays of values (strings too: their names, e-mails and joined texts are often two-byte or concatenated
 * strings, which `columnData` writes natively, where `Utf8Column`'s copy in JS would flatten them and lose
 * its speed on the events' strings), objects' validity into bits, the identityMap into its column. The batch is the row builder's for the JSON rows `JsonRows` would make of the
 * same calls, byte for byte (a test holds them equal). Handles objects, scalars and identityMap (what the
 * record schemas hold); no other maps and no arrays.
 */
import { makeData, RecordBatch, type Data, type DataType, type Map_, type Schema, Struct } from "apache-arrow";
import { batchBuilderFor, Bits, columnData } from "../io/arrow-build.js";
import type { XdmObject, XdmScalar, XdmType } from "../xdm/xdm-type.js";
import { IdentityMapColumn } from "./identity-map-column.js";
import type { FieldValue, RowSink } from "./row-sink.js";

/** The columns of a row type, compiled once. */
interface Plan {
  readonly schema: Schema;
  readonly root: StructNode;
  /** Scalar fields by dotted path. */
  readonly leaves: ReadonlyMap<string, LeafNode>;
  readonly structs: number;
  readonly identityMap: Map_ | undefined;
}

interface StructNode {
  readonly kind: "struct";
  readonly type: Struct;
  /** Index of its validity bits (-1: the row itself). */
  readonly index: number;
  readonly children: readonly Node[];
}

interface LeafNode {
  readonly kind: "leaf";
  readonly xdm: XdmScalar;
  readonly type: DataType;
  readonly index: number;
  /** The objects holding it, innermost first (their validity indexes). */
  readonly parents: readonly number[];
}

type Node = StructNode | LeafNode | { readonly kind: "identityMap" };

const PLANS = new WeakMap<XdmObject, Plan>();

function planOf(rowType: XdmObject): Plan {
  let plan = PLANS.get(rowType);
  if (plan !== undefined) return plan;
  const schema = batchBuilderFor(rowType).schema;
  const leaves = new Map<string, LeafNode>();
  let structs = 0;
  let identityMap: Map_ | undefined;
  const node = (path: string, xdm: XdmType, type: DataType, parents: readonly number[]): Node => {
    switch (xdm.kind) {
      case "object": {
        const index = structs++;
        return struct(path, xdm, type as Struct, index, [index, ...parents]);
      }
      case "map":
        if (path !== "identityMap" || xdm.values.kind !== "array") throw new Error(`record columns: no map column but identityMap (${path})`);
        identityMap = type as Map_;
        return { kind: "identityMap" };
      case "array":
        throw new Error(`record columns: no array columns (${path})`);
      default: {
        const leaf: LeafNode = { kind: "leaf", xdm, type, index: leaves.size, parents };
        leaves.set(path, leaf);
        return leaf;
      }
    }
  };
  const struct = (path: string, xdm: XdmObject, type: Struct, index: number, parents: readonly number[]): StructNode => {
    let k = 0;
    const children = [...xdm.fields].map(([name, t]) => node(path === "" ? name : `${path}.${name}`, t, type.children[k++]!.type, parents));
    return { kind: "struct", type, index, children };
  };
  const root = struct("", rowType, new Struct(schema.fields), -1, []);
  plan = { schema, root, leaves, structs, identityMap };
  PLANS.set(rowType, plan);
  return plan;
}


export class RecordColumns implements RowSink {
  private readonly plan: Plan;
  /** Each scalar field's values, for `columnData`. */
  private readonly columns: FieldValue[][];
  private readonly objects: Bits[];
  private readonly identities: IdentityMapColumn;
  private rows = 0;

  /** `rows`: the expected number of rows (the buffers grow past it). */
  constructor(rowType: XdmObject, rows: number) {
    this.plan = planOf(rowType);
    this.columns = [...this.plan.leaves.values()].map(() => []);
    this.objects = Array.from({ length: this.plan.structs }, () => new Bits());
    this.identities = new IdentityMapColumn(rows, rows * 2);
  }

  get length(): number {
    return this.rows;
  }

  row(): void {
    this.rows++;
  }

  set(path: string, value: FieldValue): void {
    const leaf = this.plan.leaves.get(path);
    if (leaf === undefined) throw new Error(`record columns: no field ${path}`);
    const row = this.rows - 1;
    const column = this.columns[leaf.index]!;
    if (column.length > row) throw new Error(`record columns: ${path} set twice in row ${row}`);
    while (column.length < row) column.push(undefined);
    column.push(value);
    // The objects holding the field are present in this row (the outer ones are once an inner one is).
    for (const index of leaf.parents) {
      const bits = this.objects[index]!;
      if (bits.length > row) break;
      while (bits.length < row) bits.push(false);
      bits.push(true);
    }
  }

  identity(namespace: string, id: string, authenticatedState: string, primary: boolean): void {
    this.identities.add(this.rows - 1, namespace, id, authenticatedState, primary);
  }

  /** The rows written so far as one batch of the row type. */
  batch(): RecordBatch {
    const n = this.rows;
    const data = (node: Node): Data => {
      switch (node.kind) {
        case "identityMap":
          return this.identities.data(this.plan.identityMap!, n);
        case "leaf": {
          const column = this.columns[node.index]!;
          while (column.length < n) column.push(undefined);
          return columnData(node.xdm, node.type, column);
        }
        case "struct": {
          const children = node.children.map(data);
          if (node.index < 0) return makeData({ type: node.type, length: n, nullCount: 0, children });
          const bits = this.objects[node.index]!;
          while (bits.length < n) bits.push(false);
          return makeData({ type: node.type, length: n, ...bits.validity(), children });
        }
      }
    };
    return new RecordBatch(this.plan.schema, data(this.plan.root) as Data<Struct>);
  }
}
