/** Defaults of an export, in a module of their own so the CLI's option declarations can show them without loading the writer. */

/** The platform's default: 5 million rows per file. */
export const DEFAULT_ROWS_PER_FILE = 5_000_000;
