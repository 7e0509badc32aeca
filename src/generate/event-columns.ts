/**
 * The events dataset's Arrow batch, built column by column straight from the generator's events (`EventRow`):
 * no row objects are made and walked (the row builder spent ~6 µs an event reading nested objects of many
 * shapes, more than making them). The batch holds what `batchBuilderFor(rowType).build(events.map(eventJson))`
 * holds, value for value (a test holds them equal).
 */
import { makeData, RecordBatch, Struct, type Data, type DataType, type List, type Map_ } from "apache-arrow";
import { batchBuilderFor, columnData, validityOf } from "../io/arrow-build.js";
import type { XdmObject, XdmType } from "../xdm/xdm-type.js";
import { EVENT_TYPES, itemTotal, orderTotal, type EventRow } from "./events.js";

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

  /** A struct column from its fields' columns (every field of the schema, in its order). */
  struct(path: string, valid: readonly boolean[], fields: Readonly<Record<string, Data>>): Data {
    const type = this.arrow<Struct>(path);
    const children = type.children.map((f) => {
      const child = fields[f.name];
      if (child === undefined) throw new Error(`the events batch has no column ${path}.${f.name}`);
      return child;
    });
    return makeData({ type, length: valid.length, ...validityOf(valid), children });
  }

  list(path: string, valid: readonly boolean[], valueOffsets: Int32Array, child: Data): Data {
    return makeData({ type: this.arrow<List>(path), length: valid.length, ...validityOf(valid), valueOffsets, child });
  }
}

const COLUMNS = new WeakMap<XdmObject, Columns>();

/** The Arrow batch of `events` in the events row type (`rowTypeOf("events")`). */
export function eventBatch(rowType: XdmObject, events: readonly EventRow[]): RecordBatch {
  let c = COLUMNS.get(rowType);
  if (c === undefined) {
    c = new Columns(rowType);
    COLUMNS.set(rowType, c);
  }
  const n = events.length;
  const all = new Array<boolean>(n).fill(true);
  const ids: string[] = [];
  const times: number[] = [];
  const types: string[] = [];
  // identityMap: ECID, then CRMID when signed in; each one identity.
  const mapOffsets = new Int32Array(n + 1);
  const namespaces: string[] = [];
  const identities: string[] = [];
  const states: string[] = [];
  const primaries: boolean[] = [];
  const isPage: boolean[] = [];
  const isCommerce: boolean[] = [];
  const pageNames: (string | undefined)[] = [];
  const pageUrls: (string | undefined)[] = [];
  const isOrder: boolean[] = [];
  const purchaseIds: (string | undefined)[] = [];
  const orderTotals: (number | undefined)[] = [];
  const currencies: (string | undefined)[] = [];
  const isView: boolean[] = [];
  const isAdd: boolean[] = [];
  const ones = (valid: readonly boolean[]): (number | undefined)[] => valid.map((v) => (v ? 1 : undefined));
  const itemOffsets = new Int32Array(n + 1);
  const skus: string[] = [];
  const names: string[] = [];
  const quantities: number[] = [];
  const itemTotals: number[] = [];
  const browsers: string[] = [];
  const versions: string[] = [];
  const devices: string[] = [];
  const ingestTimes: number[] = [];
  const batchIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const action = e.action;
    ids.push(e.id);
    times.push(e.ms);
    types.push(EVENT_TYPES[action.kind]);
    namespaces.push("ECID");
    identities.push(e.device.ecid);
    states.push("ambiguous");
    primaries.push(true);
    if (e.crmId !== undefined) {
      namespaces.push("CRMID");
      identities.push(e.crmId);
      states.push("authenticated");
      primaries.push(false);
    }
    mapOffsets[i + 1] = namespaces.length;
    const page = action.kind === "page";
    isPage.push(page);
    isCommerce.push(!page);
    pageNames.push(page ? action.name : undefined);
    pageUrls.push(page ? action.url : undefined);
    isView.push(action.kind === "view");
    isAdd.push(action.kind === "add");
    const order = action.kind === "purchase";
    isOrder.push(order);
    purchaseIds.push(order ? e.purchaseId : undefined);
    orderTotals.push(order ? orderTotal(action.items) : undefined);
    currencies.push(order ? "USD" : undefined);
    if (!page) {
      for (const item of action.items) {
        skus.push(item.product.sku);
        names.push(item.product.name);
        quantities.push(item.quantity);
        itemTotals.push(itemTotal(item));
      }
    }
    itemOffsets[i + 1] = skus.length;
    browsers.push(e.device.browser);
    versions.push(e.device.browserVersion);
    devices.push(e.device.type);
    ingestTimes.push(e.ingest.ms);
    batchIds.push(e.ingest.batchId);
  }

  const entries = namespaces.length;
  const everyEntry = new Array<boolean>(entries).fill(true);
  const identity = c.struct("identityMap{}[]", everyEntry, {
    id: c.leaf("identityMap{}[].id", identities),
    authenticatedState: c.leaf("identityMap{}[].authenticatedState", states),
    primary: c.leaf("identityMap{}[].primary", primaries),
  });
  const identityLists = c.list("identityMap{}", everyEntry, Int32Array.from({ length: entries + 1 }, (_, k) => k), identity);
  const mapType = c.arrow<Map_>("identityMap");
  const mapEntries = makeData({
    type: mapType.childType,
    length: entries,
    nullCount: 0,
    children: [columnData({ kind: "string" }, mapType.childType.children[0]!.type, namespaces), identityLists],
  });
  const items = c.struct("productListItems[]", new Array<boolean>(skus.length).fill(true), {
    SKU: c.leaf("productListItems[].SKU", skus),
    name: c.leaf("productListItems[].name", names),
    quantity: c.leaf("productListItems[].quantity", quantities),
    priceTotal: c.leaf("productListItems[].priceTotal", itemTotals),
  });
  const value = (path: string, valid: readonly boolean[]): Data => c.struct(path, valid, { value: c.leaf(`${path}.value`, ones(valid)) });

  const columns: Record<string, Data> = {
    _id: c.leaf("_id", ids),
    timestamp: c.leaf("timestamp", times),
    eventType: c.leaf("eventType", types),
    identityMap: makeData({ type: mapType, length: n, nullCount: 0, valueOffsets: mapOffsets, child: mapEntries }),
    web: c.struct("web", isPage, {
      webPageDetails: c.struct("web.webPageDetails", isPage, {
        name: c.leaf("web.webPageDetails.name", pageNames),
        URL: c.leaf("web.webPageDetails.URL", pageUrls),
        pageViews: value("web.webPageDetails.pageViews", isPage),
      }),
    }),
    commerce: c.struct("commerce", isCommerce, {
      order: c.struct("commerce.order", isOrder, {
        purchaseID: c.leaf("commerce.order.purchaseID", purchaseIds),
        priceTotal: c.leaf("commerce.order.priceTotal", orderTotals),
        currencyCode: c.leaf("commerce.order.currencyCode", currencies),
      }),
      purchases: value("commerce.purchases", isOrder),
      productViews: value("commerce.productViews", isView),
      productListAdds: value("commerce.productListAdds", isAdd),
    }),
    productListItems: c.list("productListItems", isCommerce, itemOffsets, items),
    environment: c.struct("environment", all, {
      browserDetails: c.struct("environment.browserDetails", all, {
        name: c.leaf("environment.browserDetails.name", browsers),
        version: c.leaf("environment.browserDetails.version", versions),
      }),
    }),
    device: c.struct("device", all, { type: c.leaf("device.type", devices) }),
    _acp_system_metadata: c.struct("_acp_system_metadata", all, {
      ingestTime: c.leaf("_acp_system_metadata.ingestTime", ingestTimes),
      sourceBatchId: c.leaf("_acp_system_metadata.sourceBatchId", batchIds),
    }),
  };
  const row = c.struct("", all, columns) as Data<Struct>;
  return new RecordBatch(batchBuilderFor(rowType).schema, row);
}
