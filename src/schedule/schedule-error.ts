import { StatusError } from "../xdm/errors.js";

/**
 * A rejected schedule request (`/config/schedules`): a stable code, the JSON path of the offending value and
 * the HTTP status the platform answers with (400 invalid, 404 unknown schedule), for a server to map.
 */
export class ScheduleError extends StatusError {
  override readonly name = "ScheduleError";
}
