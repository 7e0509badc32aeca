import { ProfileLabError } from "../xdm/errors.js";

/** Unreadable or malformed input files: JSON syntax, missing files, records that break their schema. */
export class IoError extends ProfileLabError {
  override readonly name = "IoError";
}
