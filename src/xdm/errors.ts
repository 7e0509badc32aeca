/**
 * The base of every error profile-lab reports to a user: a stable code, a message that says what to do,
 * and where (file, line, column, JSON path). Each stage subclasses it; the CLI prints `format()` and never
 * a stack trace.
 */
export interface SourceLocation {
  file?: string;
  /** 1-based line and column in the file (or, with `embeddedIn`, in that JSON value's text). */
  line?: number;
  column?: number;
  /** JSON path inside the file or request, e.g. `$.destination.datasetId`. */
  jsonPath?: string;
  /** JSON path of the string value the line and column point into, e.g. `$.expression.value` for PQL. */
  embeddedIn?: string;
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

  /**
   * Where the problem is: `file:line:column at $.json.path`, or for text inside a JSON value (a PQL
   * expression in a segment file) `file at $.expression.value:line:column`.
   */
  where(): string {
    const { file, line, column, jsonPath, embeddedIn } = this.location;
    const lc = line === undefined ? "" : `${line}${column !== undefined ? `:${column}` : ""}`;
    if (embeddedIn) return `${file ? `${file} at ` : ""}${embeddedIn}${lc ? `:${lc}` : ""}`;
    const at = file ? (lc ? `${file}:${lc}` : file) : lc ? `line ${lc}` : "";
    return jsonPath ? (at ? `${at} at ${jsonPath}` : jsonPath) : at;
  }

  /** Records that the line and column point into the text of this JSON value, as the error propagates out of it. */
  inJsonValue(jsonPath: string): this {
    this.location.embeddedIn = jsonPath;
    return this;
  }

  /** The text a user sees: `CODE where: message` and the detail lines. */
  format(): string {
    const at = this.where();
    const head = `${this.code} ${at ? `${at}: ` : ""}${this.message}`;
    return this.detail ? `${head}\n${this.detail}` : head;
  }
}

/** An error the platform answers with an HTTP status (400 invalid, 404 unknown, …), kept for a server to map. */
export class StatusError extends ProfileLabError {
  override readonly name: string = "StatusError";
  constructor(code: string, message: string, readonly status: number, location: SourceLocation = {}, detail?: string) {
    super(code, message, location, detail);
  }
}
