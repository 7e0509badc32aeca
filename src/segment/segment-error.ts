import { ProfileLabError } from "../xdm/errors.js";

/** Invalid segment definitions and segment-job requests. */
export class SegmentError extends ProfileLabError {
  override readonly name = "SegmentError";
}
