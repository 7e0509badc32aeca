import { ProfileLabError, type SourceLocation } from "../xdm/errors.js";

/** Invalid or unknown merge policies; `status` is the HTTP status the platform answers with. */
export class MergeError extends ProfileLabError {
  override readonly name = "MergeError";
  constructor(code: string, message: string, location: SourceLocation = {}, readonly status = 400) {
    super(code, message, location);
  }
}
