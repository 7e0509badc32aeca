/**
 * Schedules (`/data/core/ups/config/schedules`): the platform's schedule objects, kept as JSON records under
 * `.profile-lab/schedules/`. Creation and JSON Patch updates are validated as the platform does (Quartz cron,
 * at most one firing per 24 hours, one `batch_segmentation` schedule per sandbox, no scheduled evaluation in
 * a sandbox with more than five merge policies); every rejection is a `ScheduleError` with the HTTP status
 * and the JSON path of the offending value. Time comes from the caller's clock only.
 */
import type { SandboxInfo, SandboxManifest } from "../io/sandbox-manifest.js";
import { deterministicUuid } from "../store/ids.js";
import type { RecordStore } from "../store/record-store.js";
import type { SandboxState } from "../store/sandbox-state.js";
import { checkOncePerDay, parseQuartzCron } from "./cron.js";
import { planScheduleRuns, type PlanOptions, type ScheduledRun } from "./plan.js";
import { ScheduleError } from "./schedule-error.js";

export type ScheduleType = "batch_segmentation" | "export";
export type ScheduleState = "active" | "inactive";

export const SCHEDULE_TYPES: readonly ScheduleType[] = ["batch_segmentation", "export"];
export const SCHEDULE_STATES: readonly ScheduleState[] = ["active", "inactive"];

/** Sandboxes with more than this many merge policies cannot use scheduled evaluation [EVAL]. */
export const MAX_MERGE_POLICIES_FOR_SCHEDULING = 5;

/** Default and accepted paging of `GET /config/schedules`. */
export const DEFAULT_SCHEDULE_PAGE_SIZE = 100;

export interface ScheduleProperties {
  /** Segment ids to evaluate; `["*"]` = every segment of the sandbox. Required for `batch_segmentation`. */
  segments?: string[];
  [key: string]: unknown;
}

/** A schedule as `GET /config/schedules/{id}` returns it. */
export interface Schedule {
  id: string;
  imsOrgId: string;
  sandbox: SandboxInfo;
  name: string;
  state: ScheduleState;
  type: ScheduleType;
  /** Quartz cron expression, UTC. */
  schedule: string;
  properties: ScheduleProperties;
  /** Unix time in seconds. */
  createEpoch: number;
  updateEpoch: number;
}

/** `POST /config/schedules` body. */
export interface ScheduleCreateRequest {
  name: string;
  type: ScheduleType;
  properties: ScheduleProperties;
  schedule: string;
  state?: ScheduleState;
}

/** One `PATCH /config/schedules/{id}` operation (the body is an array of them). */
export interface SchedulePatchOperation {
  op: "add";
  path: "/state" | "/schedule";
  value: string;
}

/** `GET /config/schedules` response. */
export interface ScheduleList {
  _page: { totalCount: number; pageSize: number; next?: string };
  children: Schedule[];
  _links: { next: { href?: string } };
}

export interface ScheduleListQuery {
  /** Zero-based offset of the first schedule (default 0). */
  start?: number;
  /** Page size, a positive integer (default 100). */
  limit?: number;
}

export interface SchedulesOptions {
  /** Epoch milliseconds "now"; the only source of time. */
  clock: () => number;
  /** How many XDM Individual Profile merge policies the sandbox has (C6). */
  mergePolicyCount: number;
}

/** Ids that name a record file (no path separators), so a request id can never reach outside the store. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const CREATE_FIELDS = ["name", "type", "properties", "schedule", "state"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(code: string, jsonPath: string, message: string): ScheduleError {
  return new ScheduleError(code, message, 400, { jsonPath });
}

/** Validates a `properties` object; `segments` is required for `batch_segmentation`. */
function parseProperties(value: unknown, type: ScheduleType): ScheduleProperties {
  if (!isObject(value)) throw bad("SCH-006", "$.properties", "properties is required and must be an object, e.g. {\"segments\": [\"*\"]}");
  const segments = value["segments"];
  if (segments === undefined) {
    if (type === "batch_segmentation") {
      throw bad("SCH-007", "$.properties.segments", 'properties.segments is required for a batch_segmentation schedule; use ["*"] for every segment');
    }
    return structuredClone(value);
  }
  if (!Array.isArray(segments) || segments.length === 0) {
    throw bad("SCH-008", "$.properties.segments", 'properties.segments must be a non-empty array of segment ids, or ["*"] for every segment');
  }
  const seen = new Set<string>();
  segments.forEach((s, i) => {
    const at = `$.properties.segments[${i}]`;
    if (typeof s !== "string" || s.trim() === "") throw bad("SCH-009", at, "a segment id must be a non-empty string");
    if (s === "*" && segments.length > 1) throw bad("SCH-010", at, '"*" (every segment) must be the only entry of properties.segments');
    if (seen.has(s)) throw bad("SCH-011", at, `segment id "${s}" is listed twice`);
    seen.add(s);
  });
  return { ...structuredClone(value), segments: [...(segments as string[])] };
}

function parseCreateRequest(body: unknown): ScheduleCreateRequest {
  if (!isObject(body)) throw bad("SCH-001", "$", "the request body must be a JSON object with name, type, properties and schedule");
  for (const key of Object.keys(body)) {
    if (!CREATE_FIELDS.includes(key)) throw bad("SCH-002", `$.${key}`, `unknown field "${key}" (expected one of ${CREATE_FIELDS.join(", ")})`);
  }
  const name = body["name"];
  if (typeof name !== "string" || name.trim() === "") throw bad("SCH-003", "$.name", "name is required and must be a non-empty string");
  const type = body["type"];
  if (typeof type !== "string" || !SCHEDULE_TYPES.includes(type as ScheduleType)) {
    throw bad("SCH-004", "$.type", `type is required and must be one of ${SCHEDULE_TYPES.join(", ")}${type === undefined ? "" : `, got ${JSON.stringify(type)}`}`);
  }
  const properties = parseProperties(body["properties"], type as ScheduleType);
  if (body["schedule"] === undefined) {
    throw bad("SCH-019", "$.schedule", 'schedule is required: a Quartz cron expression such as "0 0 1 * * ?" (daily at 01:00 UTC)');
  }
  const state = body["state"];
  if (state !== undefined && !SCHEDULE_STATES.includes(state as ScheduleState)) {
    throw bad("SCH-005", "$.state", `state must be "active" or "inactive", got ${JSON.stringify(state)}`);
  }
  return { name, type: type as ScheduleType, properties, schedule: body["schedule"] as string, ...(state !== undefined ? { state: state as ScheduleState } : {}) };
}

function parseQueryInt(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw bad("SCH-050", `query.${name}`, `${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

export class Schedules {
  private readonly store: RecordStore<Schedule>;

  constructor(
    state: SandboxState,
    private readonly manifest: Pick<SandboxManifest, "name" | "imsOrgId" | "sandbox">,
    private readonly options: SchedulesOptions,
  ) {
    this.store = state.records<Schedule>("schedules");
  }

  private nowMs(): number {
    return this.options.clock();
  }

  /** C6: scheduled evaluation is unavailable with more than five merge policies. */
  private checkMergePolicyLimit(jsonPath: string): void {
    const n = this.options.mergePolicyCount;
    if (n > MAX_MERGE_POLICIES_FOR_SCHEDULING) {
      throw bad(
        "SCH-031",
        jsonPath,
        `scheduled evaluation is not available in sandbox "${this.manifest.sandbox.sandboxName}": it has ${n} merge policies and ` +
          `scheduled evaluation requires at most ${MAX_MERGE_POLICIES_FOR_SCHEDULING}; delete merge policies or evaluate on demand with a segment job`,
      );
    }
  }

  private newId(nowMs: number): string {
    const taken = new Set(this.store.ids());
    for (let n = taken.size; ; n++) {
      const id = deterministicUuid(this.manifest.name, "schedule", nowMs, n);
      if (!taken.has(id)) return id;
    }
  }

  /** `POST /config/schedules` → 200 with the new schedule (`state` defaults to `inactive`). */
  create(body: unknown): Schedule {
    const request = parseCreateRequest(body);
    const now = this.nowMs();
    const cron = parseQuartzCron(request.schedule, "$.schedule");
    checkOncePerDay(cron, now, "$.schedule");
    if (request.type === "batch_segmentation") {
      const existing = this.all().find((s) => s.type === "batch_segmentation");
      if (existing !== undefined) {
        throw bad(
          "SCH-030",
          "$.type",
          `sandbox "${this.manifest.sandbox.sandboxName}" already has a batch_segmentation schedule ("${existing.id}"); ` +
            "update it with PATCH or delete it first (one batch_segmentation schedule per sandbox)",
        );
      }
      this.checkMergePolicyLimit("$.type");
    }
    const epoch = Math.floor(now / 1000);
    const schedule: Schedule = {
      id: this.newId(now),
      imsOrgId: this.manifest.imsOrgId,
      sandbox: { ...this.manifest.sandbox },
      name: request.name,
      state: request.state ?? "inactive",
      type: request.type,
      schedule: cron.expression,
      properties: request.properties,
      createEpoch: epoch,
      updateEpoch: epoch,
    };
    this.store.put(schedule.id, schedule);
    return schedule;
  }

  /** `GET /config/schedules/{id}` → the schedule, or a 404 `ScheduleError`. */
  get(id: string): Schedule {
    const schedule = SAFE_ID.test(id) ? this.store.get(id) : undefined;
    if (schedule === undefined) {
      throw new ScheduleError("SCH-404", `The schedule entity "${id}" is not found. Use a valid entity and try again.`, 404, { jsonPath: "$.id" });
    }
    return schedule;
  }

  /** Every schedule, oldest first (by `createEpoch`, then id). */
  all(): Schedule[] {
    return this.store.all().sort((a, b) => a.createEpoch - b.createEpoch || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** `GET /config/schedules?start&limit`: `start` is a zero-based offset, `limit` defaults to 100. */
  list(query: ScheduleListQuery = {}): ScheduleList {
    const start = parseQueryInt(query.start, "start", 0, 0);
    const limit = parseQueryInt(query.limit, "limit", DEFAULT_SCHEDULE_PAGE_SIZE, 1);
    const all = this.all();
    const children = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      _page: { totalCount: all.length, pageSize: children.length, ...(more ? { next: String(start + limit) } : {}) },
      children,
      _links: { next: more ? { href: `/config/schedules?start=${start + limit}&limit=${limit}` } : {} },
    };
  }

  /**
   * `PATCH /config/schedules/{id}` with a JSON Patch array: only `op: "add"` on `/state` (`active` |
   * `inactive`) and `/schedule` (a cron expression). All operations are checked before any is applied; the
   * platform answers 204 — the updated schedule is returned for convenience.
   */
  patch(id: string, operations: unknown): Schedule {
    const current = this.get(id);
    if (!Array.isArray(operations)) {
      throw bad("SCH-040", "$", 'the PATCH body must be a JSON Patch array, e.g. [{"op":"add","path":"/state","value":"active"}]');
    }
    if (operations.length === 0) throw bad("SCH-041", "$", "the JSON Patch array has no operations");
    const now = this.nowMs();
    const next: Schedule = structuredClone(current);
    operations.forEach((op: unknown, i) => {
      const at = `$[${i}]`;
      if (!isObject(op)) throw bad("SCH-042", at, "a JSON Patch operation must be an object with op, path and value");
      if (op["op"] !== "add") {
        throw bad("SCH-043", `${at}.op`, `only the "add" operation is supported, got ${JSON.stringify(op["op"])}`);
      }
      const path = op["path"];
      const value = op["value"];
      if (path === "/state") {
        if (value !== "active" && value !== "inactive") {
          throw bad("SCH-045", `${at}.value`, `/state must be "active" or "inactive", got ${JSON.stringify(value)}`);
        }
        if (value === "active" && next.type === "batch_segmentation") this.checkMergePolicyLimit(`${at}.value`);
        next.state = value;
      } else if (path === "/schedule") {
        const cron = parseQuartzCron(value, `${at}.value`);
        checkOncePerDay(cron, now, `${at}.value`);
        next.schedule = cron.expression;
      } else {
        throw bad("SCH-044", `${at}.path`, `path must be "/state" or "/schedule", got ${JSON.stringify(path)}`);
      }
    });
    next.updateEpoch = Math.floor(now / 1000);
    this.store.put(id, next);
    return next;
  }

  /** `DELETE /config/schedules/{id}` → 204, or a 404 `ScheduleError`. */
  delete(id: string): void {
    this.get(id);
    this.store.delete(id);
  }

  /** The runs the active schedules of this sandbox make with `fromMs <= at < untilMs` (see `planScheduleRuns`). */
  planRuns(fromMs: number, untilMs: number, options?: PlanOptions): ScheduledRun[] {
    return planScheduleRuns(this.all(), fromMs, untilMs, options);
  }
}
