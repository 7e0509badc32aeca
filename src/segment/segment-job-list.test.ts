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
    [[], "$", "SEG-R001", "the request body must not be empty; a segment job needs at least one"],
    [[{ id: "a" }], "$[0].id", "SEG-R001", 'unknown field "id"'],
    [[{ segmentId: "*" }], "$[0].segmentId", "SEG-R001", '"*" goes in the object form'],
    [[{ segmentId: "a" }, { segmentId: "b" }, { segmentId: "a" }], "$[2].segmentId", "SEG-R001", 'segment "a" is listed twice ($[0] and $[2])'],
    [[{ segmentId: "" }], "$[0].segmentId", "SEG-R001", "$[0].segmentId must not be empty"],
    [{ schema: { name: "_xdm.context.profile" }, segments: [{ segmentId: "*" }, { segmentId: "a" }] }, "$.segments[0].segmentId", "SEG-R001", '"*" means every segment and must stand alone'],
    [{ segments: [{ segmentId: "*" }] }, "$.schema", "SEG-R001", "schema is required"],
    [{ schema: { name: "_xdm.context.experienceevent" }, segments: [{ segmentId: "*" }] }, "$.schema.name", "SEG-R001", 'schema.name must be "_xdm.context.profile"'],
    [{ schema: { name: "_xdm.context.profile", version: 1 }, segments: [{ segmentId: "*" }] }, "$.schema.version", "SEG-R001", 'unknown field "version"'],
    [{ schema: null, segments: [{ segmentId: "*" }] }, "$.schema", "SEG-R001", "schema must be a JSON object, not null"],
    ["all", "$", "SEG-R001", "the request body must be an array or a JSON object"],
  ])("rejects %j at %s", (body, path, code, message) => {
    expect(() => parseSegmentJobRequest(body, "job.json")).toThrow(expect.objectContaining({ code, location: { file: "job.json", jsonPath: path }, message: expect.stringContaining(message) }));
  });
});
