import { ProfileLabError, type SourceLocation } from "../xdm/errors.js";

/**
 * A rejected schedule request (`/config/schedules`): a stable code, the JSON path of the offending value and
 * the HTTP status the platform answers with (400 invalid, 404 unknown schedule), for a server to map.
 */
export class ScheduleError extends ProfileLabError {
  override readonly name = "ScheduleError";
  constructor(
    code: string,
    message: string,
    readonly status: number,
    location: SourceLocation = {},
  ) {
    super(code, message, location);
  }
}
