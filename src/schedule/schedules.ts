/**
 * Schedules (`/data/core/ups/config/schedules`): the platform's schedule objects, kept as JSON records under
 * `.profile-lab/schedules/`. Creation and JSON Patch updates are validated as the platform does (Quartz cron,
 * at most one firing per 24 hours, one `batch_segmentation` schedule per sandbox, no scheduled evaluation in
 * a sandbox with more than five merge policies), bodies against SCHEDULE_REQUEST_SCHEMA and
 * SCHEDULE_PATCH_SCHEMA at every level; every rejection is a `ScheduleError` with the HTTP status and the
 * JSON path (and file, when given) of the offending value. Time comes from the caller's clock only.
 */
import type { SandboxInfo, SandboxManifest } from "../io/sandbox-manifest.js";
import { checkRequest } from "../requests/validate.js";
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

function bad(code: string, jsonPath: string, message: string, file?: string): ScheduleError {
  return new ScheduleError(code, message, 400, { ...(file !== undefined ? { file } : {}), jsonPath });
}

/**
 * A `POST /config/schedules` body, checked against SCHEDULE_REQUEST_SCHEMA at every level (codes SCH-001…019
 * by field), then: `*` only alone in `properties.segments` (SCH-010).
 */
function parseCreateRequest(body: unknown, file: string | undefined): ScheduleCreateRequest {
  const request = checkRequest<ScheduleCreateRequest>("schedule", body, (p, detail) => new ScheduleError(p.code, p.message, 400, { ...(file !== undefined ? { file } : {}), jsonPath: p.jsonPath }, detail));
  const segments = request.properties.segments;
  if (segments !== undefined && segments.length > 1) {
    const star = segments.indexOf("*");
    if (star >= 0) throw bad("SCH-010", `$.properties.segments[${star}]`, '"*" (every segment) must be the only entry of properties.segments', file);
  }
  return { ...request, properties: structuredClone(request.properties) };
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

  /** `POST /config/schedules` → 200 with the new schedule (`state` defaults to `inactive`); `file` names the body in errors. */
  create(body: unknown, file?: string): Schedule {
    const request = parseCreateRequest(body, file);
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
   * platform answers 204 — the updated schedule is returned for convenience. `file` names the body in errors.
   */
  patch(id: string, operations: unknown, file?: string): Schedule {
    const current = this.get(id);
    const ops = checkRequest<SchedulePatchOperation[]>("schedulePatch", operations, (p, detail) =>
      new ScheduleError(p.code, p.message, 400, { ...(file !== undefined ? { file } : {}), jsonPath: p.jsonPath }, detail),
    );
    const now = this.nowMs();
    const next: Schedule = structuredClone(current);
    ops.forEach(({ path, value }, i) => {
      const at = `$[${i}].value`;
      if (path === "/state") {
        if (value === "active" && next.type === "batch_segmentation") this.checkMergePolicyLimit(at);
        next.state = value as ScheduleState;
      } else {
        const cron = parseQuartzCron(value, at);
        checkOncePerDay(cron, now, at);
        next.schedule = cron.expression;
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
