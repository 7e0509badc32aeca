/**
 * How deep data may nest objects and arrays: Jackson's default maximum nesting depth (the JSON parser of most
 * Java services). A schema nests at most 64 levels (schema.ts), so no valid row comes near it; the limit makes
 * a deeper value one located error instead of a stack overflow in whatever walks it (JSON.parse itself does
 * not recurse: it parses 1,000,000 levels, which then overflow JSON.stringify and any recursive walker).
 */
export const MAX_DATA_DEPTH = 1000;
