import { ProfileLabError } from "../xdm/errors.js";

/** Sandbox definitions that do not fit together (datasets, schemas, conventions). */
export class SandboxError extends ProfileLabError {
  override readonly name = "SandboxError";
}
