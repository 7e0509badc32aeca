/**
 * ExperienceEvents for the "Web and Commerce Events" dataset: browsing sessions on one device (ECID), in
 * funnel order (page views → product views → cart adds → purchase). Signed-in parts of a session also carry
 * the person's CRMID, which is what links a device to a customer in the identity graph.
 */
import type { JsonObject } from "../xdm/types.js";
import { DAY, EVENT_DAYS, HOUR, MINUTE, batchFor, hasAccount, makeDevice, type Device, type GenContext, type Person, type Stamp } from "./model.js";
import { Rng } from "./random.js";
import { systemMetadata } from "./records.js";
import { PRODUCTS, SITE, type Product } from "./vocab.js";

type Intent = "browse" | "shop" | "cart" | "buy";

export interface LineItem {
  readonly product: Product;
  readonly quantity: number;
}

export type Action =
  | { readonly kind: "page"; readonly name: string; readonly url: string }
  | { readonly kind: "view"; readonly items: readonly LineItem[] }
  | { readonly kind: "add"; readonly items: readonly LineItem[] }
  | { readonly kind: "purchase"; readonly items: readonly LineItem[] };

/** Cheaper products are viewed and bought more often. */
const PRODUCT_WEIGHTS: readonly (readonly [Product, number])[] = PRODUCTS.map((p) => [p, 100 / Math.sqrt(p.price)] as const);

/**
 * The site's pages, one action each, made once: events share them (a page's name and URL are read for every
 * event, and a string made per event would be copied again when its column is written).
 */
const page = (name: string, path: string): Action => ({ kind: "page", name, url: `${SITE}${path}` });
const HOME = page("Home", "/");
const CART = page("Cart", "/cart");
const CHECKOUT = page("Checkout", "/checkout");
const EXTRA_PAGES: readonly Action[] = [page("Deals", "/deals"), page("Support", "/support"), page("Store Locator", "/stores"), page("New Arrivals", "/new")];
const CATEGORY_PAGES = new Map<string, Action>();

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function titleCase(s: string): string {
  return s === "tv" ? "TV" : s.charAt(0).toUpperCase() + s.slice(1);
}

function categoryPage(category: string): Action {
  let action = CATEGORY_PAGES.get(category);
  if (action === undefined) {
    action = page(`Category: ${titleCase(category)}`, `/c/${category}`);
    CATEGORY_PAGES.set(category, action);
  }
  return action;
}

/** PRODUCT_WEIGHTS of each category, in their order: made once, not filtered again for every product view. */
const CATEGORY_WEIGHTS = new Map<string, readonly (readonly [Product, number])[]>();
for (const pw of PRODUCT_WEIGHTS) CATEGORY_WEIGHTS.set(pw[0].category, [...(CATEGORY_WEIGHTS.get(pw[0].category) ?? []), pw]);
const ACCESSORIES = PRODUCTS.filter((p) => p.category === "accessories");

function pickProduct(rng: Rng, category?: string): Product {
  if (category !== undefined && rng.chance(0.7)) {
    const inCategory = CATEGORY_WEIGHTS.get(category);
    if (inCategory !== undefined) return rng.weighted(inCategory);
  }
  return rng.weighted(PRODUCT_WEIGHTS);
}

/** The funnel steps of one session. */
function planSession(rng: Rng, intent: Intent): Action[] {
  const actions: Action[] = [];
  const focus = pickProduct(rng).category;
  if (rng.chance(0.6)) actions.push(HOME);
  actions.push(categoryPage(focus));
  if (intent === "browse") {
    const extra = rng.int(0, 4);
    for (let i = 0; i < extra; i++) {
      if (rng.chance(0.5)) actions.push(categoryPage(pickProduct(rng).category));
      else actions.push(rng.pick(EXTRA_PAGES));
    }
    return actions;
  }
  const viewed: Product[] = [];
  const views = rng.int(1, 4);
  for (let i = 0; i < views; i++) {
    const product = pickProduct(rng, focus);
    viewed.push(product);
    actions.push({ kind: "view", items: [{ product, quantity: 1 }] });
  }
  if (intent === "shop") return actions;

  const added: LineItem[] = [];
  const adds = Math.min(viewed.length, rng.weighted([
    [1, 60],
    [2, 30],
    [3, 10],
  ] as const));
  for (const product of rng.sample([...new Set(viewed)], adds)) {
    const item = { product, quantity: product.price < 60 ? rng.int(1, 3) : 1 };
    added.push(item);
    actions.push({ kind: "add", items: [item] });
  }
  actions.push(CART);
  if (intent === "cart") return actions;

  if (added.length < 4 && rng.chance(0.2)) {
    // A cross-sell accessory added on the cart page.
    const extra = { product: rng.pick(ACCESSORIES), quantity: 1 };
    if (!added.some((i) => i.product === extra.product)) {
      added.push(extra);
      actions.push({ kind: "add", items: [extra] });
    }
  }
  actions.push(CHECKOUT);
  actions.push({ kind: "purchase", items: added.slice(0, 4) });
  return actions;
}

/** A line item's price: its product's price times the quantity, rounded to the cent. */
export function itemTotal(item: LineItem): number {
  return round2(item.product.price * item.quantity);
}

/** An order's total. */
export function orderTotal(items: readonly LineItem[]): number {
  return round2(items.reduce((sum, i) => sum + i.product.price * i.quantity, 0));
}

function itemsJson(items: readonly LineItem[]): JsonObject[] {
  return items.map((i) => ({ SKU: i.product.sku, name: i.product.name, quantity: i.quantity, priceTotal: itemTotal(i) }));
}

/** Each action's XDM event type. */
export const EVENT_TYPES: Readonly<Record<Action["kind"], string>> = {
  page: "web.webpagedetails.pageViews",
  view: "commerce.productViews",
  add: "commerce.productListAdds",
  purchase: "commerce.purchases",
};

/**
 * One event as generated: flat, one shape whatever its kind, so a block's events cost one small object each.
 * The dataset's rows are made from it: JSON objects (`eventJson`) or Arrow columns straight away
 * (`event-columns.ts`).
 */
export interface EventRow {
  readonly id: string;
  /** When it happened (epoch ms). */
  readonly ms: number;
  readonly action: Action;
  readonly device: Device;
  /** The CRMID the event carries once signed in, else undefined. */
  readonly crmId: string | undefined;
  /** A purchase's order id, else "". */
  readonly purchaseId: string;
  readonly ingest: Stamp;
}

/** An event's row as a JSON object (the JSON Lines text and the row a schema describes). */
export function eventJson(ctx: GenContext, e: EventRow): JsonObject {
  const identityMap: JsonObject = { ECID: [{ id: e.device.ecid, authenticatedState: "ambiguous", primary: true }] };
  if (e.crmId !== undefined) identityMap["CRMID"] = [{ id: e.crmId, authenticatedState: "authenticated", primary: false }];
  const action = e.action;
  const event: JsonObject = { _id: e.id, timestamp: ctx.time(e.ms), eventType: EVENT_TYPES[action.kind], identityMap };
  switch (action.kind) {
    case "page":
      event["web"] = { webPageDetails: { name: action.name, URL: action.url, pageViews: { value: 1 } } };
      break;
    case "view":
      event["commerce"] = { productViews: { value: 1 } };
      event["productListItems"] = itemsJson(action.items);
      break;
    case "add":
      event["commerce"] = { productListAdds: { value: 1 } };
      event["productListItems"] = itemsJson(action.items);
      break;
    case "purchase":
      event["commerce"] = {
        order: { purchaseID: e.purchaseId, priceTotal: orderTotal(action.items), currencyCode: "USD" },
        purchases: { value: 1 },
      };
      event["productListItems"] = itemsJson(action.items);
      break;
  }
  event["environment"] = { browserDetails: { name: e.device.browser, version: e.device.browserVersion } };
  event["device"] = { type: e.device.type };
  event["_acp_system_metadata"] = systemMetadata(ctx, e.ingest);
  return event;
}

interface SessionSpec {
  readonly startMs: number;
  readonly device: Device;
  /** CRMID carried from event `loginAt` on (undefined: never signed in). */
  readonly crmId: string | undefined;
  readonly intent: Intent;
}

/** The events of one session, at most `maxEvents` (a truncated session keeps its funnel prefix). */
function buildSession(ctx: GenContext, rng: Rng, spec: SessionSpec, maxEvents: number): EventRow[] {
  const actions = planSession(rng, spec.intent).slice(0, Math.max(0, maxEvents));
  const loginAt = spec.crmId === undefined ? Infinity : rng.chance(0.65) ? 0 : rng.int(1, Math.max(1, actions.length - 1));
  // Ingestion delay: streamed within minutes (85 % by default), uploaded hours to days later (12 %), or
  // late-arriving weeks later (3 %, e.g. an offline app backfill). Weights in percent, as they always were.
  const delayed = ctx.shape.events.delayed * 100;
  const late = ctx.shape.events.late * 100;
  const delayClass = rng.weighted([
    ["stream", 100 - delayed - late],
    ["delayed", delayed],
    ["late", late],
  ] as const);
  const baseDelay = delayClass === "delayed" ? rng.int(HOUR, 3 * DAY) : delayClass === "late" ? rng.int(7 * DAY, 40 * DAY) : 0;

  const out: EventRow[] = [];
  let t = spec.startMs;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i] as Action;
    // The draws in the order the events always made them: id, order id, ingestion, the gap to the next.
    const id = rng.uuid();
    const purchaseId = action.kind === "purchase" ? rng.u32().toString(36) + rng.u32().toString(36) : "";
    out.push({
      id,
      ms: t,
      action,
      device: spec.device,
      crmId: i >= loginAt ? spec.crmId : undefined,
      purchaseId,
      ingest: eventIngest(ctx, rng, t, delayClass, baseDelay),
    });
    t += rng.int(8, 150) * 1000;
  }
  return out;
}

function eventIngest(ctx: GenContext, rng: Rng, eventMs: number, delayClass: "stream" | "delayed" | "late", baseDelay: number): Stamp {
  let ms = eventMs + baseDelay + (delayClass === "stream" ? rng.int(20_000, 15 * MINUTE) : rng.int(0, 60_000));
  // Nothing is ingested after the reference time: what would arrive later arrived just before it.
  ms = Math.min(ms, ctx.refMs - rng.int(1_000, 600_000));
  const batch = delayClass === "stream" ? batchFor(ctx, "events", "h", Math.floor(ms / HOUR), 0, 0) : batchFor(ctx, "events", delayClass, Math.floor(ms / DAY), 0, 0);
  return { ms, batchId: batch.id };
}

function sessionStart(ctx: GenContext, rng: Rng): number {
  // Sessions start in the EVENT_DAYS before the reference time and end at least an hour before it.
  return ctx.refMs - EVENT_DAYS * DAY + Math.floor(rng.float() * (EVENT_DAYS * DAY - 2 * HOUR));
}

function sortSessions(sessions: { start: number; events: EventRow[] }[]): EventRow[] {
  sessions.sort((a, b) => a.start - b.start);
  return sessions.flatMap((s) => s.events);
}

/** All events of a known person, in time order (sessions sorted by start). */
export function personEvents(ctx: GenContext, p: Person): EventRow[] {
  if (p.eventTarget <= 0 || p.devices.length === 0) return [];
  const rng = new Rng(ctx.seed, "events", p.index);
  const account = hasAccount(p);
  const deviceWeights = p.devices.map((d, i) => [d, i === 0 ? 3 : 1] as const);
  const sessions: { start: number; events: EventRow[] }[] = [];
  let count = 0;
  while (count < p.eventTarget) {
    const intent = rng.weighted<Intent>([
      ["browse", 40],
      ["shop", 30],
      ["cart", 15],
      ["buy", 15],
    ]);
    const loginP = intent === "browse" ? 0.5 : intent === "shop" ? 0.7 : intent === "cart" ? 0.8 : 0.9;
    const spec: SessionSpec = {
      startMs: sessionStart(ctx, rng),
      device: rng.weighted(deviceWeights),
      crmId: account && rng.chance(loginP) ? p.crmId : undefined,
      intent,
    };
    const events = buildSession(ctx, rng, spec, p.eventTarget - count);
    sessions.push({ start: spec.startMs, events });
    count += events.length;
  }
  return sortSessions(sessions);
}

/**
 * Anonymous visitors: ECIDs that never sign in and have no profile record anywhere ("empty" profiles under
 * every merge policy), about 3 % of all events.
 */
export function anonymousVisitorCount(ctx: GenContext): number {
  if (ctx.eventsPerProfile <= 0 || ctx.profiles <= 0) return 0;
  if (ctx.shape.events.anonymous <= 0) return 0;
  return Math.max(1, Math.round((ctx.profiles * ctx.eventsPerProfile * ctx.shape.events.anonymous) / 3));
}

export function anonymousEvents(ctx: GenContext, visitor: number): EventRow[] {
  const rng = new Rng(ctx.seed, "anonymous", visitor);
  const device = makeDevice(rng, ctx.profiles * 4 + visitor);
  const target = Math.min(12, 1 + rng.geometric(1 / 3));
  const sessions: { start: number; events: EventRow[] }[] = [];
  let count = 0;
  while (count < target) {
    const intent = rng.weighted<Intent>([
      ["browse", 55],
      ["shop", 30],
      ["cart", 12],
      ["buy", 3],
    ]);
    const spec: SessionSpec = { startMs: sessionStart(ctx, rng), device, crmId: undefined, intent };
    const events = buildSession(ctx, rng, spec, target - count);
    sessions.push({ start: spec.startMs, events });
    count += events.length;
  }
  return sortSessions(sessions);
}
