/**
 * The events dataset's Arrow batch, built column by column straight from the generator's events (`EventRow`):
 * no row objects are made and walked (the row builder spent ~6 µs an event reading nested objects of many
 * shapes, more than making them). The batch holds what `batchBuilderFor(rowType).build(events.map(eventJson))`
 * holds, byte for byte (a test holds them equal).
 */
import { makeData, RecordBatch, Struct, type Data, type DataType, type List, type Map_ } from "apache-arrow";
import { batchBuilderFor, Bits, columnData, Utf8Column } from "../io/arrow-build.js";
import type { XdmObject, XdmType } from "../xdm/xdm-type.js";
import { EVENT_TYPES, itemTotal, orderTotal, type EventRow } from "./events.js";
import { IdentityMapColumn } from "./identity-map-column.js";

/** The event row type's columns by path (`commerce.order`; `[]` a list's items, `{}` a map's values). */
class Columns {
  private readonly types = new Map<string, { xdm: XdmType; arrow: DataType }>();

  constructor(readonly rowType: XdmObject) {
    const schema = batchBuilderFor(rowType).schema;
    const walk = (path: string, xdm: XdmType, arrow: DataType): void => {
      this.types.set(path, { xdm, arrow });
      if (xdm.kind === "object") {
        let k = 0;
        for (const [name, t] of xdm.fields) walk(`${path}.${name}`, t, (arrow as Struct).children[k++]!.type);
      } else if (xdm.kind === "array") walk(`${path}[]`, xdm.items, (arrow as List).children[0]!.type);
      else if (xdm.kind === "map") walk(`${path}{}`, xdm.values, (arrow as Map_).childType.children[1]!.type);
    };
    this.types.set("", { xdm: rowType, arrow: new Struct(schema.fields) });
    let k = 0;
    for (const [name, t] of rowType.fields) walk(name, t, schema.fields[k++]!.type);
  }

  private at(path: string): { xdm: XdmType; arrow: DataType } {
    const t = this.types.get(path);
    if (t === undefined) throw new Error(`the events schema has no column ${path}`);
    return t;
  }

  arrow<T extends DataType>(path: string): T {
    return this.at(path).arrow as T;
  }

  /** A scalar column (undefined values are nulls). */
  leaf(path: string, values: readonly unknown[]): Data {
    const t = this.at(path);
    return columnData(t.xdm, t.arrow, values);
  }

  /** A string column's Data. */
  strings(path: string, column: Utf8Column): Data {
    return column.data(this.at(path).arrow);
  }

  /** A struct column from its rows' validity and its fields' columns (every field of the schema, in its order). */
  struct(path: string, rows: Validity, fields: Readonly<Record<string, Data>>): Data {
    const type = this.arrow<Struct>(path);
    const children = type.children.map((f) => {
      const child = fields[f.name];
      if (child === undefined) throw new Error(`the events batch has no column ${path}.${f.name}`);
      return child;
    });
    return makeData({ type, ...rows, children });
  }

  list(path: string, rows: Validity, valueOffsets: Int32Array, child: Data): Data {
    return makeData({ type: this.arrow<List>(path), ...rows, valueOffsets, child });
  }
}

/** Rows and their validity, as `makeData` takes them. */
interface Validity {
  readonly length: number;
  readonly nullBitmap: Uint8Array | undefined;
  readonly nullCount: number;
}

const allValid = (length: number): Validity => ({ length, nullBitmap: undefined, nullCount: 0 });
const validity = (bits: Bits): Validity => ({ length: bits.length, ...bits.validity() });

const COLUMNS = new WeakMap<XdmObject, Columns>();

/**
 * The events' columns, written event by event as a block's persons are made (each person's events are then
 * dropped young, not held to the block's end), and their Arrow batch in the events row type
 * (`rowTypeOf("events")`).
 */
export class EventColumns {
  private readonly c: Columns;
  private n = 0;
  private items = 0;
  private readonly ids: Utf8Column;
  private readonly times: number[] = [];
  private readonly types: Utf8Column;
  // identityMap: ECID, then CRMID when signed in.
  private readonly identities: IdentityMapColumn;
  private readonly isPage = new Bits();
  private readonly isCommerce = new Bits();
  private readonly pageNames: Utf8Column;
  private readonly pageUrls: Utf8Column;
  private readonly isOrder = new Bits();
  private readonly purchaseIds: Utf8Column;
  private readonly orderTotals: (number | undefined)[] = [];
  private readonly currencies: Utf8Column;
  private readonly isView = new Bits();
  private readonly isAdd = new Bits();
  private itemOffsets: Int32Array;
  private readonly skus: Utf8Column;
  private readonly names: Utf8Column;
  private readonly quantities: number[] = [];
  private readonly itemTotals: number[] = [];
  private readonly browsers: Utf8Column;
  private readonly versions: Utf8Column;
  private readonly devices: Utf8Column;
  private readonly ingestTimes: number[] = [];
  private readonly batchIds: Utf8Column;

  /** `rows`: the expected number of events (the buffers grow past it). */
  constructor(rowType: XdmObject, rows: number) {
    let c = COLUMNS.get(rowType);
    if (c === undefined) {
      c = new Columns(rowType);
      COLUMNS.set(rowType, c);
    }
    this.c = c;
    // Expected sizes: one identity or two, an item an event on average, ids of 36 characters.
    const strings = (perRow: number, bytes: number): Utf8Column => new Utf8Column(rows * perRow, rows * bytes);
    this.ids = strings(1, 36);
    this.types = strings(1, 24);
    this.identities = new IdentityMapColumn(rows, 2 * rows);
    this.pageNames = strings(1, 16);
    this.pageUrls = strings(1, 40);
    this.purchaseIds = strings(1, 2);
    this.currencies = strings(1, 1);
    this.itemOffsets = new Int32Array(rows + 1);
    this.skus = strings(1, 10);
    this.names = strings(1, 24);
    this.browsers = strings(1, 7);
    this.versions = strings(1, 5);
    this.devices = strings(1, 7);
    this.batchIds = strings(1, 32);
  }

  get length(): number {
    return this.n;
  }

  add(e: EventRow): void {
    const i = this.n++;
    const action = e.action;
    this.ids.add(e.id);
    this.times.push(e.ms);
    this.types.add(EVENT_TYPES[action.kind]);
    this.identities.add(i, "ECID", e.device.ecid, "ambiguous", true);
    if (e.crmId !== undefined) this.identities.add(i, "CRMID", e.crmId, "authenticated", false);
    const page = action.kind === "page";
    this.isPage.push(page);
    this.isCommerce.push(!page);
    this.pageNames.add(page ? action.name : undefined);
    this.pageUrls.add(page ? action.url : undefined);
    this.isView.push(action.kind === "view");
    this.isAdd.push(action.kind === "add");
    const order = action.kind === "purchase";
    this.isOrder.push(order);
    this.purchaseIds.add(order ? e.purchaseId : undefined);
    this.orderTotals.push(order ? orderTotal(action.items) : undefined);
    this.currencies.add(order ? "USD" : undefined);
    if (!page) {
      for (const item of action.items) {
        this.skus.add(item.product.sku);
        this.names.add(item.product.name);
        this.quantities.push(item.quantity);
        this.itemTotals.push(itemTotal(item));
        this.items++;
      }
    }
    if (i + 2 > this.itemOffsets.length) {
      const grown = new Int32Array(2 * this.itemOffsets.length);
      grown.set(this.itemOffsets);
      this.itemOffsets = grown;
    }
    this.itemOffsets[i + 1] = this.items;
    this.browsers.add(e.device.browser);
    this.versions.add(e.device.browserVersion);
    this.devices.add(e.device.type);
    this.ingestTimes.push(e.ingest.ms);
    this.batchIds.add(e.ingest.batchId);
  }

  /** The events added so far as one batch. */
  batch(): RecordBatch {
    const c = this.c;
    const n = this.n;
    const all = allValid(n);
    const itemRows = c.struct("productListItems[]", allValid(this.items), {
      SKU: c.strings("productListItems[].SKU", this.skus),
      name: c.strings("productListItems[].name", this.names),
      quantity: c.leaf("productListItems[].quantity", this.quantities),
      priceTotal: c.leaf("productListItems[].priceTotal", this.itemTotals),
    });
    const ones = (valid: Bits): (number | undefined)[] => {
      const out = new Array<number | undefined>(valid.length);
      for (let i = 0; i < out.length; i++) out[i] = valid.get(i) ? 1 : undefined;
      return out;
    };
    const value = (path: string, valid: Bits): Data => c.struct(path, validity(valid), { value: c.leaf(`${path}.value`, ones(valid)) });

    const columns: Record<string, Data> = {
      _id: c.strings("_id", this.ids),
      timestamp: c.leaf("timestamp", this.times),
      eventType: c.strings("eventType", this.types),
      identityMap: this.identities.data(c.arrow<Map_>("identityMap"), n),
      web: c.struct("web", validity(this.isPage), {
        webPageDetails: c.struct("web.webPageDetails", validity(this.isPage), {
          name: c.strings("web.webPageDetails.name", this.pageNames),
          URL: c.strings("web.webPageDetails.URL", this.pageUrls),
          pageViews: value("web.webPageDetails.pageViews", this.isPage),
        }),
      }),
      commerce: c.struct("commerce", validity(this.isCommerce), {
        order: c.struct("commerce.order", validity(this.isOrder), {
          purchaseID: c.strings("commerce.order.purchaseID", this.purchaseIds),
          priceTotal: c.leaf("commerce.order.priceTotal", this.orderTotals),
          currencyCode: c.strings("commerce.order.currencyCode", this.currencies),
        }),
        purchases: value("commerce.purchases", this.isOrder),
        productViews: value("commerce.productViews", this.isView),
        productListAdds: value("commerce.productListAdds", this.isAdd),
      }),
      productListItems: c.list("productListItems", validity(this.isCommerce), this.itemOffsets.subarray(0, n + 1), itemRows),
      environment: c.struct("environment", all, {
        browserDetails: c.struct("environment.browserDetails", all, {
          name: c.strings("environment.browserDetails.name", this.browsers),
          version: c.strings("environment.browserDetails.version", this.versions),
        }),
      }),
      device: c.struct("device", all, { type: c.strings("device.type", this.devices) }),
      _acp_system_metadata: c.struct("_acp_system_metadata", all, {
        ingestTime: c.leaf("_acp_system_metadata.ingestTime", this.ingestTimes),
        sourceBatchId: c.strings("_acp_system_metadata.sourceBatchId", this.batchIds),
      }),
    };
    const row = c.struct("", all, columns) as Data<Struct>;
    return new RecordBatch(batchBuilderFor(c.rowType).schema, row);
  }
}
