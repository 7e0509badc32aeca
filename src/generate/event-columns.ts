/**
 * The events dataset's Arrow batch, built column by column straight from the generator's events (`EventRow`):
 * no row objects are made and walked (the row builder spent ~6 µs an event reading nested objects of many
 * shapes, more than making them). The batch holds what `batchBuilderFor(rowType).build(events.map(eventJson))`
 * holds, value for value (a test holds them equal).
 */
import { makeData, RecordBatch, Struct, type Data, type DataType, type List, type Map_ } from "apache-arrow";
import { batchBuilderFor, Bits, columnData, Utf8Column } from "../io/arrow-build.js";
import type { XdmObject, XdmType } from "../xdm/xdm-type.js";
import { EVENT_TYPES, itemTotal, orderTotal, type EventRow } from "./events.js";
import { IdentityMapColumn } from "./identity-map-column.js";

/** The event row type's columns by path (`commerce.order`; `[]` a list's items, `{}` a map's values). */
class Columns {
  private readonly types = new Map<string, { xdm: XdmType; arrow: DataType }>();

  constructor(rowType: XdmObject) {
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

/** The Arrow batch of `events` in the events row type (`rowTypeOf("events")`). */
export function eventBatch(rowType: XdmObject, events: readonly EventRow[]): RecordBatch {
  let c = COLUMNS.get(rowType);
  if (c === undefined) {
    c = new Columns(rowType);
    COLUMNS.set(rowType, c);
  }
  const n = events.length;
  // Expected sizes: one identity or two, an item an event on average, ids of 36 characters.
  const strings = (perRow: number, bytes: number): Utf8Column => new Utf8Column(n * perRow, n * bytes);
  const ids = strings(1, 36);
  const times: number[] = [];
  const types = strings(1, 24);
  // identityMap: ECID, then CRMID when signed in.
  const identities = new IdentityMapColumn(n, 2 * n);
  const isPage = new Bits();
  const isCommerce = new Bits();
  const pageNames = strings(1, 16);
  const pageUrls = strings(1, 40);
  const isOrder = new Bits();
  const purchaseIds = strings(1, 2);
  const orderTotals: (number | undefined)[] = [];
  const currencies = strings(1, 1);
  const isView = new Bits();
  const isAdd = new Bits();
  const ones = (valid: Bits): (number | undefined)[] => {
    const out = new Array<number | undefined>(valid.length);
    for (let i = 0; i < out.length; i++) out[i] = valid.get(i) ? 1 : undefined;
    return out;
  };
  const itemOffsets = new Int32Array(n + 1);
  const skus = strings(1, 10);
  const names = strings(1, 24);
  const quantities: number[] = [];
  const itemTotals: number[] = [];
  const browsers = strings(1, 7);
  const versions = strings(1, 5);
  const devices = strings(1, 7);
  const ingestTimes: number[] = [];
  const batchIds = strings(1, 32);
  let items = 0;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const action = e.action;
    ids.add(e.id);
    times.push(e.ms);
    types.add(EVENT_TYPES[action.kind]);
    identities.add(i, "ECID", e.device.ecid, "ambiguous", true);
    if (e.crmId !== undefined) identities.add(i, "CRMID", e.crmId, "authenticated", false);
    const page = action.kind === "page";
    isPage.push(page);
    isCommerce.push(!page);
    pageNames.add(page ? action.name : undefined);
    pageUrls.add(page ? action.url : undefined);
    isView.push(action.kind === "view");
    isAdd.push(action.kind === "add");
    const order = action.kind === "purchase";
    isOrder.push(order);
    purchaseIds.add(order ? e.purchaseId : undefined);
    orderTotals.push(order ? orderTotal(action.items) : undefined);
    currencies.add(order ? "USD" : undefined);
    if (!page) {
      for (const item of action.items) {
        skus.add(item.product.sku);
        names.add(item.product.name);
        quantities.push(item.quantity);
        itemTotals.push(itemTotal(item));
        items++;
      }
    }
    itemOffsets[i + 1] = items;
    browsers.add(e.device.browser);
    versions.add(e.device.browserVersion);
    devices.add(e.device.type);
    ingestTimes.push(e.ingest.ms);
    batchIds.add(e.ingest.batchId);
  }

  const all = allValid(n);
  const itemRows = c.struct("productListItems[]", allValid(items), {
    SKU: c.strings("productListItems[].SKU", skus),
    name: c.strings("productListItems[].name", names),
    quantity: c.leaf("productListItems[].quantity", quantities),
    priceTotal: c.leaf("productListItems[].priceTotal", itemTotals),
  });
  const value = (path: string, valid: Bits): Data => c.struct(path, validity(valid), { value: c.leaf(`${path}.value`, ones(valid)) });

  const columns: Record<string, Data> = {
    _id: c.strings("_id", ids),
    timestamp: c.leaf("timestamp", times),
    eventType: c.strings("eventType", types),
    identityMap: identities.data(c.arrow<Map_>("identityMap"), n),
    web: c.struct("web", validity(isPage), {
      webPageDetails: c.struct("web.webPageDetails", validity(isPage), {
        name: c.strings("web.webPageDetails.name", pageNames),
        URL: c.strings("web.webPageDetails.URL", pageUrls),
        pageViews: value("web.webPageDetails.pageViews", isPage),
      }),
    }),
    commerce: c.struct("commerce", validity(isCommerce), {
      order: c.struct("commerce.order", validity(isOrder), {
        purchaseID: c.strings("commerce.order.purchaseID", purchaseIds),
        priceTotal: c.leaf("commerce.order.priceTotal", orderTotals),
        currencyCode: c.strings("commerce.order.currencyCode", currencies),
      }),
      purchases: value("commerce.purchases", isOrder),
      productViews: value("commerce.productViews", isView),
      productListAdds: value("commerce.productListAdds", isAdd),
    }),
    productListItems: c.list("productListItems", validity(isCommerce), itemOffsets, itemRows),
    environment: c.struct("environment", all, {
      browserDetails: c.struct("environment.browserDetails", all, {
        name: c.strings("environment.browserDetails.name", browsers),
        version: c.strings("environment.browserDetails.version", versions),
      }),
    }),
    device: c.struct("device", all, { type: c.strings("device.type", devices) }),
    _acp_system_metadata: c.struct("_acp_system_metadata", all, {
      ingestTime: c.leaf("_acp_system_metadata.ingestTime", ingestTimes),
      sourceBatchId: c.strings("_acp_system_metadata.sourceBatchId", batchIds),
    }),
  };
  const row = c.struct("", all, columns) as Data<Struct>;
  return new RecordBatch(batchBuilderFor(rowType).schema, row);
}
