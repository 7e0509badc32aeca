import { describe, expect, it } from "vitest";
import { nextMembership, type StatusModel } from "./membership.js";
import type { SegmentMembershipEntry } from "../xdm/types.js";

const at = (iso: string): number => Date.parse(iso);
const entry = (status: SegmentMembershipEntry["status"], lqt: string): SegmentMembershipEntry => ({ status, lastQualificationTime: lqt, version: "1" });

describe("membership transitions (scenarios S1–S6)", () => {
  it.each<[string, StatusModel, SegmentMembershipEntry | undefined, boolean, string, SegmentMembershipEntry | undefined]>([
    ["S1: a first qualification is realized at the job time", "legacy", undefined, true, "2024-05-01T01:00:00Z", entry("realized", "2024-05-01T01:00:00.000Z")],
    ["S1: a first qualification is realized (current model)", "current", undefined, true, "2024-05-01T01:00:00Z", entry("realized", "2024-05-01T01:00:00.000Z")],
    ["S2: still qualifying is existing in the legacy model, keeping its LQT", "legacy", entry("realized", "2024-05-01T01:00:00.000Z"), true, "2024-05-02T01:00:00Z", entry("existing", "2024-05-01T01:00:00.000Z")],
    ["S2: still qualifying stays realized in the current model, keeping its LQT", "current", entry("realized", "2024-05-01T01:00:00.000Z"), true, "2024-05-02T01:00:00Z", entry("realized", "2024-05-01T01:00:00.000Z")],
    ["S2: existing stays existing while qualifying", "legacy", entry("existing", "2024-05-01T01:00:00.000Z"), true, "2024-05-03T01:00:00Z", entry("existing", "2024-05-01T01:00:00.000Z")],
    ["S3: stopping to qualify exits at the job time", "legacy", entry("realized", "2024-05-01T01:00:00.000Z"), false, "2024-05-03T01:00:00Z", entry("exited", "2024-05-03T01:00:00.000Z")],
    ["S3: an existing member exits too", "legacy", entry("existing", "2024-05-01T01:00:00.000Z"), false, "2024-05-03T01:00:00Z", entry("exited", "2024-05-03T01:00:00.000Z")],
    ["S3: exits in the current model", "current", entry("realized", "2024-05-01T01:00:00.000Z"), false, "2024-05-03T01:00:00Z", entry("exited", "2024-05-03T01:00:00.000Z")],
    ["S4: re-qualifying after exiting is realized again", "legacy", entry("exited", "2024-05-03T01:00:00.000Z"), true, "2024-05-10T01:00:00Z", entry("realized", "2024-05-10T01:00:00.000Z")],
    ["S4: re-qualifying is realized in the current model", "current", entry("exited", "2024-05-03T01:00:00.000Z"), true, "2024-05-10T01:00:00Z", entry("realized", "2024-05-10T01:00:00.000Z")],
    ["an exited entry stays unchanged within 30 days", "legacy", entry("exited", "2024-05-03T01:00:00.000Z"), false, "2024-06-02T01:00:00Z", entry("exited", "2024-05-03T01:00:00.000Z")],
    ["S5: an exited entry older than 30 days is removed", "legacy", entry("exited", "2024-05-03T01:00:00.000Z"), false, "2024-06-03T01:00:00Z", undefined],
    ["S5: … in the current model too", "current", entry("exited", "2024-05-03T01:00:00.000Z"), false, "2024-06-03T01:00:00Z", undefined],
    ["S6: never qualifying leaves no entry", "legacy", undefined, false, "2024-05-01T01:00:00Z", undefined],
    ["S6: never qualifying leaves no entry (current model)", "current", undefined, false, "2024-05-01T01:00:00Z", undefined],
  ])("%s", (_name, model, before, qualifies, now, expected) => {
    expect(nextMembership(before, qualifies, at(now), model, "1")).toEqual(expected);
  });
});

describe("membership conventions: every setting of every switch", () => {
  const realized = entry("realized", "2024-05-01T01:00:00.000Z");
  const exited = entry("exited", "2024-05-03T01:00:00.000Z");
  it.each([
    ["onChange", "2024-05-01T01:00:00.000Z"],
    ["everyRun", "2024-05-02T01:00:00.000Z"],
  ] as const)("S2 lastQualificationTime=%s keeps a still-qualifying profile's LQT at %s", (lqt, expected) => {
    const next = nextMembership(realized, true, at("2024-05-02T01:00:00Z"), "current", "1", { lastQualificationTime: lqt, exitedRetention: "30days" });
    expect(next).toEqual(entry("realized", expected));
  });

  it.each([
    ["30days", undefined],
    ["keep", exited],
  ] as const)("S5 exitedRetention=%s → %j after 31 days", (retention, expected) => {
    expect(nextMembership(exited, false, at("2024-06-03T01:00:00Z"), "legacy", "1", { lastQualificationTime: "onChange", exitedRetention: retention })).toEqual(expected);
  });
});
