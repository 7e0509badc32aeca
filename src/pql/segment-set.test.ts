import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../xdm/types.js";
import { compileSegmentExpression, compileSegmentSet } from "./index.js";

interface CaseFile {
  readonly profile: JsonObject;
  readonly events: JsonObject[];
  readonly now: string;
  readonly segments?: string[];
  readonly cases: Array<{ expr: string; result?: unknown; profile?: unknown; events?: unknown; now?: unknown; segments?: unknown }>;
}

const DIR = fileURLToPath(new URL("../../test/pql/cases/", import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));

describe("compileSegmentSet", () => {
  it.each(files)("agrees with one-by-one compilation on the Boolean cases of %s, for two different profiles", (f) => {
    const data = JSON.parse(readFileSync(`${DIR}${f}`, "utf8")) as CaseFile;
    const exprs = data.cases
      .filter((c) => typeof c.result === "boolean" && c.profile === undefined && c.events === undefined && c.now === undefined && c.segments === undefined)
      .map((c) => c.expr);
    // Twice, so that identical sub-expressions exist across segments.
    const all = [...exprs, ...exprs];
    const set = compileSegmentSet(all, undefined);
    const singles = all.map((e) => compileSegmentExpression(e, undefined));
    const segments = new Set(data.segments ?? []);
    const contexts = [
      { profile: data.profile, events: data.events, now: Date.parse(data.now), inSegment: (r: string) => segments.has(r) },
      { profile: {}, events: data.events.slice(0, 2), now: Date.parse(data.now) + 86_400_000 },
      { profile: data.profile, events: data.events, now: Date.parse(data.now), inSegment: (r: string) => segments.has(r) },
    ];
    for (const ctx of contexts) expect(set(ctx)).toEqual(singles.map((p) => p(ctx)));
  });

  it("shares identical event aggregates between segments", () => {
    const set = compileSegmentSet(
      [
        'xEvent[eventType = "a"].count() > 1',
        'xEvent[eventType = "a"].count() > 5',
        'xEvent[eventType = "a"] and person.age > 1',
        "(sum X.v over X from xEvent) > 1",
        "(sum X.v over X from xEvent) < 100",
        'person.age > 1 and homeAddress.city = "x"',
      ],
      undefined,
    );
    expect(set.shared).toBe(3);
    const events = [{ eventType: "a", v: 2 }, { eventType: "a", v: 3 }];
    expect(set({ profile: { person: { age: 3 } }, events, now: 0 })).toEqual([true, false, true, true, true, false]);
    expect(set({ profile: { person: { age: 3 } }, events: [], now: 0 })).toEqual([false, false, false, false, true, false]);
  });
});
