import { ProfileLabError } from "../xdm/errors.js";

/** A generate request that cannot be carried out: an option out of range, or a target folder that is not empty. */
export class GenerateError extends ProfileLabError {
  override readonly name = "GenerateError";
}
