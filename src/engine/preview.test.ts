import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PqlError } from "../pql/index.js";
import { parsePql } from "../pql/index.js";
import { parseDateTime } from "../xdm/time.js";
import { EvaluateError } from "./evaluate.js";
import { estimate, preview, profilePaths, sampleSizeFor } from "./preview.js";
import { openSandbox, type Sandbox } from "./sandbox.js";

const asOf = parseDateTime("2026-11-01T00:00:00Z")!;
let sandbox: Sandbox;
beforeAll(() => {
  sandbox = openSandbox(resolve(import.meta.dirname, "../../sample-data"));
});

describe("profilePaths", () => {
  it.each([
    ['homeAddress.countryCode = "US" and person.birthYear < 1980', ["homeAddress.countryCode", "person.birthYear"]],
    ['xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 500].count() > 0', []],
    ['personalEmail.address.endsWith(".edu") or loyalty.tier in ["gold"]', ["loyalty.tier", "personalEmail.address"]],
    ['select X from xEvent where X.eventType = "a" and homeAddress.countryCode = "US"', ["homeAddress.countryCode"]],
  ])("%s reads %j", (pql, paths) => {
    expect(profilePaths(parsePql(pql))).toEqual(paths);
  });
});

describe("preview and estimate", () => {
  it("previews a segment by name: its size, members with the fields its PQL reads, counts per namespace", async () => {
    const r = await preview(sandbox, { segment: "US residents", asOf, limit: 3 });
    expect([r.size, r.page, r.namespaceCounts["CRMID"]]).toEqual([531, { offset: 0, limit: 3, count: 3 }, 405]);
    expect(Object.keys(r.results[0]!)).toEqual(["objectId", "identityMap", "homeAddress"]);
    expect(r.results.every((m) => (m["homeAddress"] as { countryCode: string }).countryCode === "US")).toBe(true);
  });

  it("previews a PQL under another merge policy, named", async () => {
    const r = await preview(sandbox, { pql: 'loyalty.tier = "platinum"', mergePolicy: "Loyalty first", asOf, limit: 1 });
    expect([r.mergePolicyId, r.graphType]).toEqual(["37a033c1-70d5-447e-a45a-acd284ca6bf9", "pdg"]);
    expect(r.results[0]).toMatchObject({ loyalty: { tier: "platinum" } });
  });

  it("reads every profile below a million, and estimates from a sample when told to, the truth inside its 95% interval", async () => {
    const all = await estimate(sandbox, { segment: "US residents", asOf });
    expect(all).toMatchObject({ estimatedSize: 531, profilesReadSoFar: all.totalRows, standardError: 0, confidenceRange: [531, 531] });
    const some = await estimate(sandbox, { segment: "US residents", asOf, sampleSize: 500 });
    expect(some.profilesReadSoFar).toBeLessThan(all.totalRows);
    expect(some.standardError).toBeGreaterThan(0);
    expect(some.confidenceRange[0]).toBeLessThanOrEqual(531);
    expect(some.confidenceRange[1]).toBeGreaterThanOrEqual(531);
    expect(await estimate(sandbox, { segment: "US residents", asOf, sampleSize: 500 })).toEqual(some);
  });

  it("sizes samples as the platform does", () => {
    expect([sampleSizeFor(999_999), sampleSizeFor(5_000_000), sampleSizeFor(40_000_000)]).toEqual([999_999, 1_000_000, 2_000_000]);
  });

  it("says what is wrong with what it is asked", async () => {
    await expect(preview(sandbox, { asOf, limit: 1 })).rejects.toThrow(EvaluateError);
    await expect(preview(sandbox, { segment: "US resident", asOf, limit: 1 })).rejects.toThrow(/unknown segment "US resident"/);
    const e = await preview(sandbox, { pql: "homeAddress.contryCode = 1", asOf, limit: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PqlError);
    expect((e as PqlError).format()).toMatch(/^PQL-T\d+ --pql:1:\d+/);
  });
});
