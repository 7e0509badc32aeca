/** The Catalog and Data Access API objects of a sandbox, for the `datasets`, `batches` and `files` commands. */
import { Catalog } from "../../store/catalog.js";
import { DataAccess } from "../../store/data-access.js";
import { SandboxState } from "../../store/sandbox-state.js";
import { sandboxOf, stringOption } from "../args.js";
import type { ParsedArgs } from "../command.js";

export function catalogOf(args: ParsedArgs): { catalog: Catalog; access: DataAccess } {
  const sandbox = sandboxOf(args);
  const state = new SandboxState(sandbox.dir);
  return { catalog: new Catalog(state, sandbox.manifest, { clock: Date.now }), access: new DataAccess(state, sandbox.manifest) };
}

/** `--properties a,b` as the Catalog query takes it. */
export function propertiesOf(args: ParsedArgs): { properties?: string } {
  const properties = stringOption(args, "properties");
  return properties !== undefined ? { properties } : {};
}
