import { StatusError, type SourceLocation } from "../xdm/errors.js";

/** Invalid or unknown merge policies; `status` is the HTTP status the platform answers with. */
export class MergeError extends StatusError {
  override readonly name = "MergeError";
  constructor(code: string, message: string, location: SourceLocation = {}, status = 400, detail?: string) {
    super(code, message, status, location, detail);
  }
}
