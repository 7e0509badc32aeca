/**
 * The base of every error profile-lab reports to a user: a stable code, a message that says what to do,
 * and where (file, line, column, JSON path). Each stage subclasses it; the CLI prints `format()` and never
 * a stack trace.
 */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** JSON path inside the file or request, e.g. `$.destination.datasetId`. */
  jsonPath?: string;
}

export class ProfileLabError extends Error {
  override readonly name: string = "ProfileLabError";
  constructor(
    readonly code: string,
    message: string,
    readonly location: SourceLocation = {},
    /** Extra lines printed under the message (e.g. a source frame). */
    readonly detail?: string,
  ) {
    super(message);
  }

  /** `file:line:column (jsonPath)` or an empty string. */
  where(): string {
    const { file, line, column, jsonPath } = this.location;
    let at = file ?? "";
    if (line !== undefined) at += `${at ? ":" : "line "}${line}${column !== undefined ? `:${column}` : ""}`;
    if (jsonPath) at += at ? ` at ${jsonPath}` : jsonPath;
    return at;
  }

  /** The text a user sees: `CODE where: message` and the detail lines. */
  format(): string {
    const at = this.where();
    const head = `${this.code} ${at ? `${at}: ` : ""}${this.message}`;
    return this.detail ? `${head}\n${this.detail}` : head;
  }
}
