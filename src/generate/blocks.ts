/**
 * Persons in fixed blocks: block `b` holds persons `b·BLOCK_PERSONS …` up to the next block (fewer in the last
 * one) and the anonymous visitors placed among them. A block's rows are a pure function of the options and
 * `b` — every person, visitor and batch draws from its own keyed stream (`random.ts`) — so blocks can be
 * generated on any thread in any order and written in block order: the files do not depend on who made them.
 * Concatenated in order, the blocks' rows are exactly those of the one-pass generator before them.
 */
import { tableToIPC, Table } from "apache-arrow";
import { batchBuilderFor } from "../io/arrow-build.js";
import type { JsonObject } from "../xdm/types.js";
import { schemaFromJson } from "../xdm/schema.js";
import { object, scalar, type XdmObject } from "../xdm/xdm-type.js";
import { compileDataset, type CompiledDataset, type CustomDatasetPlan } from "./custom-datasets.js";
import { EventColumns } from "./event-columns.js";
import { anonymousEvents, anonymousVisitorCount, eventJson, personEvents, type EventRow } from "./events.js";
import { targetedRows, type TargetCounts, type TargetPlan } from "./targets.js";
import { isoTime, makePerson, type BuiltinShape, type DatasetKey, type GenContext } from "./model.js";
import { RecordColumns } from "./record-columns.js";
import { crmRecords, loyaltyRecords, webRecords } from "./records.js";
import { JsonRows } from "./row-sink.js";
import { buildSchemas, type SchemaSlug } from "./schemas.js";

/** Persons per block: the unit of work of a worker and of progress, and the Parquet batch (page) boundary. */
export const BLOCK_PERSONS = 1000;

/** The built-in datasets that hold rows, in the order a block returns them (before the config's datasets). */
export const ROW_DATASETS = ["crm", "loyalty", "web", "events"] as const;
export type RowDatasetKey = (typeof ROW_DATASETS)[number];
/** The built-in record datasets, in ROW_DATASETS' order (written field by field; the events are made as `EventRow`s). */
type RecordDatasetKey = Exclude<RowDatasetKey, "events">;
const RECORD_DATASETS = ROW_DATASETS.filter((k): k is RecordDatasetKey => k !== "events");

/** Each row dataset's schema. */
export const DATASET_SCHEMAS: Readonly<Record<RowDatasetKey, SchemaSlug>> = {
  crm: "crm-profile",
  loyalty: "loyalty-profile",
  web: "web-signup-profile",
  events: "web-commerce-event",
};

/** The data-lake system column every generated row carries. */
const ACP_SYSTEM_METADATA = object([
  ["ingestTime", scalar("date-time")],
  ["sourceBatchId", scalar("string")],
]);

/** What every block of one generation shares (plain data: it is sent to the worker threads). */
export interface BlockPlan {
  readonly seed: number;
  readonly refMs: number;
  readonly profiles: number;
  readonly eventsPerProfile: number;
  /** `activityScale(seed, profiles, eventsPerProfile)`, computed once. */
  readonly activityScale: number;
  readonly datasetIds: Readonly<Record<DatasetKey, string>>;
  readonly format: "jsonl" | "parquet";
  /** Write the built-in datasets' rows (ROW_DATASETS). */
  readonly builtin: boolean;
  /** Their rates. */
  readonly shape: BuiltinShape;
  /** The config's datasets, whose rows follow the built-in ones. */
  readonly custom: readonly CustomDatasetPlan[];
  /** Segments steered towards a share of their profiles (config datasets only: `builtin` is false). */
  readonly target?: TargetPlan;
}

export interface BlockTask extends BlockPlan {
  readonly block: number;
}

/**
 * A block's rows: per row dataset (`ROW_DATASETS` when built in, then the config's datasets) its row count and bytes — JSON Lines text, or an
 * Arrow IPC stream of one batch for Parquet (empty when the dataset has no rows in the block). Each array
 * owns its buffer, so it can be transferred between threads.
 */
export interface BlockResult {
  readonly block: number;
  readonly persons: number;
  readonly rows: readonly number[];
  readonly data: readonly Uint8Array[];
  /** With targets: their members and profiles in this block. */
  readonly targets?: TargetCounts;
  /** Per config dataset: the block's persons with rows in it, and its events per type (event datasets). */
  readonly custom: CustomCounts;
}

export interface CustomCounts {
  readonly persons: readonly number[];
  readonly types: readonly Readonly<Record<string, number>>[];
}

/** The counts of a block's config datasets, from their rows and the persons who have some. */
function customCounts(rows: readonly (readonly JsonObject[])[], persons: readonly number[], custom: readonly CompiledDataset[]): CustomCounts {
  return {
    persons,
    types: rows.map((list, k) => {
      const types: Record<string, number> = {};
      if (custom[k]!.kind === "event") for (const row of list) types[String(row["eventType"])] = (types[String(row["eventType"])] ?? 0) + 1;
      return types;
    }),
  };
}

export function blockCount(profiles: number): number {
  return Math.ceil(profiles / BLOCK_PERSONS);
}

/** A row dataset's Parquet row type: its schema's fields and the system column. */
export function rowTypeOf(key: RowDatasetKey): XdmObject {
  let type = ROW_TYPES.get(key);
  if (type === undefined) {
    // The sandbox name only appears in the schemas' `$id`s, not in their fields.
    const slug = DATASET_SCHEMAS[key];
    const schema = schemaFromJson(buildSchemas("rows")[slug], slug);
    type = object([...schema.type.fields, ["_acp_system_metadata", ACP_SYSTEM_METADATA]]);
    ROW_TYPES.set(key, type);
  }
  return type;
}
const ROW_TYPES = new Map<RowDatasetKey, XdmObject>();

/** A config dataset's Parquet row type: its schema's fields and the system column (one object per dataset, so its Arrow builder is compiled once). */
export function customRowType(compiled: CompiledDataset): XdmObject {
  let type = CUSTOM_ROW_TYPES.get(compiled);
  if (type === undefined) {
    type = object([...compiled.rowType.fields, ["_acp_system_metadata", ACP_SYSTEM_METADATA]]);
    CUSTOM_ROW_TYPES.set(compiled, type);
  }
  return type;
}
const CUSTOM_ROW_TYPES = new WeakMap<CompiledDataset, XdmObject>();

/** Compiles a config dataset that was checked when the config was read (a failure here is a bug, not the config's). */
export function compileChecked(plan: CustomDatasetPlan, format: BlockPlan["format"]): CompiledDataset {
  return compileDataset(plan, format, (code, message) => {
    throw new Error(`${code} ${message} (the config was checked when it was read)`);
  });
}

/** The block's persons' context and compiled config datasets; one per plan and thread, so the batch cache is shared by its blocks. */
function contextOf(plan: BlockPlan): { ctx: GenContext; custom: CompiledDataset[] } {
  const key = JSON.stringify({ ...plan, block: undefined });
  if (lastContext?.key !== key) {
    lastContext = {
      key,
      custom: plan.custom.map((d) => compileChecked(d, plan.format)),
      ctx: {
        seed: plan.seed,
        refMs: plan.refMs,
        profiles: plan.profiles,
        eventsPerProfile: plan.eventsPerProfile,
        activityScale: plan.activityScale,
        datasetIds: plan.datasetIds,
        shape: plan.shape,
        batchCache: new Map(),
        time: plan.format === "jsonl" ? isoTime : (ms) => ms,
      },
    };
  }
  return lastContext;
}
let lastContext: { key: string; ctx: GenContext; custom: CompiledDataset[] } | undefined;

/**
 * The person before whom anonymous visitor `v` is written: visitors are spread evenly through the event
 * file (this exact expression places them; blocks only ask it which visitors are theirs).
 */
function visitorSlot(v: number, persons: number, visitors: number): number {
  return Math.floor((v * persons) / visitors);
}

/** The rows of one block (with targets, once their evaluation is done). */
export function generateBlock(task: BlockTask): BlockResult | Promise<BlockResult> {
  const { ctx, custom } = contextOf(task);
  const first = task.block * BLOCK_PERSONS;
  const end = Math.min(first + BLOCK_PERSONS, task.profiles);
  if (task.target !== undefined) return targetedBlock(task, task.target, ctx, custom, first, end);
  const records = (key: RecordDatasetKey): JsonRows | RecordColumns =>
    task.format === "jsonl" ? new JsonRows() : new RecordColumns(rowTypeOf(key), end - first);
  const builtin: Record<RecordDatasetKey, JsonRows | RecordColumns> = { crm: records("crm"), loyalty: records("loyalty"), web: records("web") };
  // A few more events than the persons' share: the anonymous visitors' (~3 %).
  const events = task.format === "jsonl" ? new EventLines(ctx) : new EventColumns(rowTypeOf("events"), Math.ceil((end - first) * ctx.eventsPerProfile * 1.05));
  const addEvents = (list: readonly EventRow[]): void => {
    for (const e of list) events.add(e);
  };
  const own = custom.map((): JsonObject[] => []);
  const ownPersons = custom.map(() => 0);
  const visitors = task.builtin ? anonymousVisitorCount(ctx) : 0;
  // The first visitor not written before this block: the smallest v whose slot is at least `first`.
  let v = visitors === 0 ? 0 : Math.max(0, Math.floor((first * visitors) / task.profiles) - 2);
  while (v < visitors && visitorSlot(v, task.profiles, visitors) < first) v++;
  for (let i = first; i < end; i++) {
    for (; v < visitors && visitorSlot(v, task.profiles, visitors) <= i; v++) addEvents(anonymousEvents(ctx, v));
    const person = makePerson(ctx, i);
    if (task.builtin) {
      crmRecords(ctx, person, builtin.crm);
      loyaltyRecords(ctx, person, builtin.loyalty);
      webRecords(ctx, person, builtin.web);
      addEvents(personEvents(ctx, person));
    }
    for (const [k, d] of custom.entries()) {
      const before = own[k]!.length;
      d.rows(ctx, person, own[k]!);
      if (own[k]!.length > before) ownPersons[k]!++;
    }
  }
  if (end === task.profiles) for (; v < visitors; v++) addEvents(anonymousEvents(ctx, v));
  const sets: { rows: number; encode: () => Uint8Array }[] = [
    ...(task.builtin
      ? [
          ...RECORD_DATASETS.map((key) => ({ rows: builtin[key].length, encode: () => encodeRecords(task.format, key, builtin[key]) })),
          { rows: events.length, encode: () => encodeEvents(events) },
        ]
      : []),
    ...custom.map((d, k) => ({ rows: own[k]!.length, encode: () => encodeRows(task.format, () => customRowType(d), own[k]!) })),
  ];
  return {
    block: task.block,
    persons: end - first,
    rows: sets.map((d) => d.rows),
    data: sets.map((d) => ownBuffer(d.encode())),
    custom: customCounts(own, ownPersons, custom),
  };
}

async function targetedBlock(task: BlockTask, target: TargetPlan, ctx: GenContext, custom: readonly CompiledDataset[], first: number, end: number): Promise<BlockResult> {
  const datasets = custom.map((compiled, k) => ({ id: task.custom[k]!.id, compiled }));
  const { rows, counts, persons } = await targetedRows(target, ctx, datasets, first, end);
  return {
    block: task.block,
    persons: end - first,
    rows: rows.map((r) => r.length),
    data: rows.map((r, k) => ownBuffer(encodeRows(task.format, () => customRowType(custom[k]!), r))),
    targets: counts,
    custom: customCounts(rows, persons, custom),
  };
}

const utf8 = new TextEncoder();

function encodeRows(format: BlockPlan["format"], rowType: () => XdmObject, rows: readonly JsonObject[]): Uint8Array {
  if (rows.length === 0) return new Uint8Array(0);
  if (format === "jsonl") {
    let text = "";
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    return utf8.encode(text);
  }
  return tableToIPC(new Table([batchBuilderFor(rowType()).build(rows)]), "stream");
}

/** A record dataset's rows as the format's bytes. */
function encodeRecords(format: BlockPlan["format"], key: RecordDatasetKey, rows: JsonRows | RecordColumns): Uint8Array {
  if (rows instanceof JsonRows) return encodeRows(format, () => rowTypeOf(key), rows.rows);
  return rows.length === 0 ? new Uint8Array(0) : tableToIPC(new Table([rows.batch()]), "stream");
}

/** A block's events as JSON Lines text, each line written as its event is made (its objects die young). */
class EventLines {
  private text = "";
  private count = 0;
  constructor(private readonly ctx: GenContext) {}
  get length(): number {
    return this.count;
  }
  add(e: EventRow): void {
    this.text += `${JSON.stringify(eventJson(this.ctx, e))}\n`;
    this.count++;
  }
  bytes(): Uint8Array {
    return utf8.encode(this.text);
  }
}

/** The events as the format's bytes; for Parquet, their columns. */
function encodeEvents(events: EventLines | EventColumns): Uint8Array {
  if (events instanceof EventLines) return events.bytes();
  return events.length === 0 ? new Uint8Array(0) : tableToIPC(new Table([events.batch()]), "stream");
}

function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
