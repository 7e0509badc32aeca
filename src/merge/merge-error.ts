import { ProfileLabError } from "../xdm/errors.js";

/** Invalid or unknown merge policies. */
export class MergeError extends ProfileLabError {
  override readonly name = "MergeError";
}
