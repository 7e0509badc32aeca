/** Defaults of `generate`, in a module of their own so the CLI's option declarations can show them without loading the generator. */

/** Default rows per Parquet part file. */
export const DEFAULT_ROWS_PER_FILE = 1_000_000;
