import { describe, expect, it } from "vitest";
import { bulkGetSegmentJobs, listSegmentJobs, parseSegmentJobRequest } from "./segment-job-list.js";
import type { SegmentJob } from "./segment-job.js";

const job = (id: string, creationTime: number, status: SegmentJob["status"], segmentIds: string[]): SegmentJob =>
  ({ id, creationTime, updateTime: creationTime, status, segments: segmentIds.map((segmentId) => ({ segmentId })) }) as unknown as SegmentJob;

const JOBS = [job("a", 1, "SUCCEEDED", ["workInUS"]), job("b", 3, "FAILED", ["x"]), job("c", 2, "SUCCEEDED", ["x", "workInUS"])];

describe("segment job lists", () => {
  it("sorts newest first by default and pages with start and limit", () => {
    const page = listSegmentJobs(JOBS, { limit: 2 });
    expect(page.children.map((j) => j.id)).toEqual(["b", "c"]);
    expect(page._page).toEqual({ totalCount: 3, pageSize: 2 });
    expect(page._links.next).toEqual({ href: "/segment/jobs?start=2&limit=2" });
    expect(listSegmentJobs(JOBS, { start: 2, limit: 2 })._links.next).toEqual({});
  });

  it.each([
    [{ status: "SUCCEEDED" as const }, ["c", "a"]],
    [{ sort: "creationTime:asc" }, ["a", "c", "b"]],
    [{ property: "segments~segmentId==workInUS" }, ["c", "a"]],
    [{ property: "status==FAILED" }, ["b"]],
  ])("filters and sorts with %j", (query, ids) => {
    expect(listSegmentJobs(JOBS, query).children.map((j) => j.id)).toEqual(ids);
  });

  it("rejects malformed queries", () => {
    expect(() => listSegmentJobs(JOBS, { sort: "creationTime:sideways" })).toThrow(/sort must be/);
    expect(() => listSegmentJobs(JOBS, { property: "segments~segmentId" })).toThrow(/property must be/);
    expect(() => listSegmentJobs(JOBS, { status: "DONE" as never })).toThrow(/status must be one of/);
  });

  it("bulk-gets known ids and leaves unknown ones out", () => {
    expect(Object.keys(bulkGetSegmentJobs(JOBS, { ids: [{ id: "a" }, { id: "zzz" }] }).results)).toEqual(["a"]);
    expect(() => bulkGetSegmentJobs(JOBS, { ids: ["a"] })).toThrow(/ids/);
  });
});

describe("segment job request bodies", () => {
  it.each([
    [[{ segmentId: "a" }, { segmentId: "b" }], ["a", "b"]],
    [{ schema: { name: "_xdm.context.profile" }, segments: [{ segmentId: "*" }] }, ["*"]],
  ])("reads %j", (body, ids) => {
    expect(parseSegmentJobRequest(body)).toEqual(ids);
  });

  it.each([
    [[], "$"],
    [[{ id: "a" }], "$[0].segmentId"],
    [[{ segmentId: "*" }], "$"],
    [{ segments: [{ segmentId: "*" }, { segmentId: "a" }] }, "$.segments"],
    ["all", "$"],
  ])("rejects %j at %s", (body, path) => {
    expect(() => parseSegmentJobRequest(body, "job.json")).toThrow(expect.objectContaining({ location: { file: "job.json", jsonPath: path } }));
  });
});
