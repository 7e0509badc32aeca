import { ProfileLabError } from "../xdm/errors.js";

/** Unreadable or inconsistent engine state under `.profile-lab/`. */
export class StoreError extends ProfileLabError {
  override readonly name = "StoreError";
}
