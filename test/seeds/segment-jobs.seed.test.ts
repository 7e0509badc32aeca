/**
 * Issue 5, segment jobs: 003's `POST /segment/jobs` request runs through `runSegmentJob`, its create and get
 * responses have our shape, and our job, list and bulk-get answers validate against segmentation.yaml.
 *
 * The library takes segment ids, not the request body: the body `[{"segmentId": …}, …]` is mapped to
 * `segmentIds` here (the spec's request schema: an array of SegmentJobRequest, `segmentId` required).
 *
 * 003's create response shows `"status": "PROCESSING"`: it is compared with the job as stored at the first
 * progress callback, which is `PROCESSING` (runSegmentJob stores `NEW` and moves on synchronously). 003's get
 * response shows `SUCCEEDED`: compared with the final record.
 *
 * Both samples' `computeJobId`, `computeGatewayJobId` and (get) `modelName` are ours too (the spec's SegmentJob,
 * profile-semantics.md §4.2): the job's number in the sandbox, a uuid, and `_xdm.context.profile`.
 *
 * Keys only ours has (allowed; checked below): `sandbox`, `source`, `schema`, `properties`, `requestId` (create
 * sample), `errors` (create sample), `metrics` (create sample; ours has `totalTime.startTimeInMs` while
 * running), `computeGatewayJobId` and `modelName` (create sample; the get sample shows both), `updateEpoch`,
 * `segments[].segment.mergePolicyId`, and on the finished job `metrics.totalProfiles`,
 * `metrics.segmentedProfileByStatusCounter`, `metrics.totalProfilesByMergePolicy` (all in the spec's SegmentJob
 * and profile-semantics.md §4.2).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { openSandbox, type Sandbox } from "../../src/engine/sandbox.js";
import { bulkGetSegmentJobs, listSegmentJobs } from "../../src/segment/segment-job-list.js";
import type { SegmentJob, SegmentJobStatus } from "../../src/segment/segment-job.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { oursOnly, RUNNING_METRICS, SEGMENT_JOB_MAPS, shapeMismatches } from "./helpers/compare.js";
import { at, responseValidator, type Tolerance } from "./helpers/openapi.js";
import { SEED_POLICY, SEGMENT_JOB_A, SEGMENT_JOB_B, writeSeedSandbox } from "./helpers/seed-sandbox.js";
import { fixture } from "./seed-bodies.js";

const AS_OF = Date.parse("2024-06-01T00:00:00Z");
const DOCUMENTED_STATUSES: readonly SegmentJobStatus[] = ["NEW", "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"];

/** The spec's request body: `[{"segmentId": "…"}, …]` → the library's segment ids. */
function segmentIdsOf(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0) throw new Error("POST /segment/jobs takes a non-empty array of {segmentId}");
  return body.map((item: unknown, i) => {
    const id = typeof item === "object" && item !== null ? (item as { segmentId?: unknown }).segmentId : undefined;
    if (typeof id !== "string") throw new Error(`$[${i}].segmentId is required`);
    return id;
  });
}

interface Run {
  readonly job: SegmentJob;
  readonly firstStored: SegmentJob;
  readonly stored: SegmentJob;
}

async function run(sandbox: Sandbox, segmentIds?: string[]): Promise<Run> {
  const jobs = new SandboxState(sandbox.dir).records<SegmentJob>("segment-jobs");
  let firstStored: SegmentJob | undefined;
  const job = await runSegmentJob(sandbox, {
    ...(segmentIds ? { segmentIds } : {}),
    asOf: AS_OF,
    statusModel: "current",
    onProgress: (p) => {
      firstStored ??= jobs.get(p.jobId);
    },
  });
  return { job, firstStored: firstStored!, stored: jobs.get(job.id)! };
}

let seedRun: Run;
let wildcardRun: Run;
let all: SegmentJob[];

beforeAll(async () => {
  const sandbox = openSandbox(writeSeedSandbox());
  seedRun = await run(sandbox, segmentIdsOf(fixture("003-create-segment-job.request.json")));
  wildcardRun = await run(sandbox);
  all = new SandboxState(sandbox.dir).records<SegmentJob>("segment-jobs").all();
});

const CASES = [
  { seed: "003-create-segment-job.response.json", what: "create-segment-job response, PROCESSING", ours: () => seedRun.firstStored },
  { seed: "003-get-segment-job.response.json", what: "get-segment-job response, SUCCEEDED", ours: () => seedRun.stored },
] as const;

describe("the seed's segment-job request and responses", () => {
  it("the seed's 003 create-segment-job request is accepted and evaluates both of its segments", () => {
    expect(seedRun.job.status).toBe("SUCCEEDED");
    expect(seedRun.job.segments.map((s) => s.segmentId)).toEqual([SEGMENT_JOB_A, SEGMENT_JOB_B]);
    // Jane and Ann live in the US; every profile has an `email` identity, as in the seed's namespace counter.
    expect(seedRun.job.metrics.segmentedProfileCounter).toEqual({ [SEGMENT_JOB_A]: 2, [SEGMENT_JOB_B]: 2 });
    expect(seedRun.job.metrics.segmentedProfileByNamespaceCounter).toEqual({ [SEGMENT_JOB_A]: { email: 2 }, [SEGMENT_JOB_B]: { email: 2 } });
    expect(seedRun.job.segments[0]!.segment.mergePolicy.id).toBe(SEED_POLICY);
  });

  it.each(CASES.map((c) => [c.seed, c.what, c] as const))("the seed's %s (%s) has our shape, with no key missing", (seed, _what, c) => {
    expect(shapeMismatches(fixture(seed), c.ours(), { maps: SEGMENT_JOB_MAPS })).toEqual([]);
  });

  it("our jobs carry computeJobId (the job's number), computeGatewayJobId (a uuid) and modelName _xdm.context.profile, from the first stored record on", () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const r of [seedRun, wildcardRun]) {
      for (const job of [r.firstStored, r.stored]) {
        expect(job.computeJobId, job.id).toEqual(expect.any(Number));
        expect(Number.isInteger(job.computeJobId) && job.computeJobId > 0, job.id).toBe(true);
        expect(job.computeGatewayJobId, job.id).toMatch(UUID);
        expect(job.modelName, job.id).toBe("_xdm.context.profile");
      }
      // Fixed when the job is created: the finished record keeps them.
      expect([r.stored.computeJobId, r.stored.computeGatewayJobId]).toEqual([r.firstStored.computeJobId, r.firstStored.computeGatewayJobId]);
    }
    // One per job: the sandbox's first and second segment job.
    expect([seedRun.job.computeJobId, wildcardRun.job.computeJobId]).toEqual([1, 2]);
    expect(seedRun.job.computeGatewayJobId).not.toBe(wildcardRun.job.computeGatewayJobId);
    expect(seedRun.job.computeGatewayJobId).not.toBe(seedRun.job.id);
    // The get sample's values have these types too (the shape test compares types; this names them).
    const sample = fixture<{ computeJobId: unknown; computeGatewayJobId: unknown; modelName: unknown }>("003-get-segment-job.response.json");
    expect(sample).toMatchObject({ computeJobId: expect.any(Number), computeGatewayJobId: expect.stringMatching(UUID), modelName: "_xdm.context.profile" });
  });

  it("our extra keys are the ones listed in this file's header", () => {
    const extras = new Set(CASES.flatMap((c) => oursOnly(fixture(c.seed), c.ours(), { maps: SEGMENT_JOB_MAPS })));
    expect([...extras].sort()).toEqual(
      [
        "$.sandbox", "$.source", "$.schema", "$.properties", "$.requestId", "$.errors", "$.metrics", "$.computeGatewayJobId", "$.modelName", "$.updateEpoch",
        "$.segments[0].segment.mergePolicyId", "$.metrics.totalProfiles", "$.metrics.segmentedProfileByStatusCounter", "$.metrics.totalProfilesByMergePolicy",
      ].sort(),
    );
  });

  it("the statuses the seed shows (PROCESSING, SUCCEEDED) are in our documented status set, and ours pass through them", () => {
    for (const c of CASES) expect(DOCUMENTED_STATUSES).toContain(fixture<{ status: SegmentJobStatus }>(c.seed).status);
    expect([seedRun.firstStored.status, seedRun.stored.status]).toEqual(["PROCESSING", "SUCCEEDED"]);
  });

  it("the request body must be an array of {segmentId}, as the spec's SegmentJobRequest says", () => {
    expect(() => segmentIdsOf({ segmentId: SEGMENT_JOB_A })).toThrow(/array/);
    expect(() => segmentIdsOf([{ id: SEGMENT_JOB_A }])).toThrow(/\$\[0\]\.segmentId/);
  });
});

/**
 * The spec's SegmentInfo requires `segment`; a job over every segment reports its segments as
 * `[{"segmentId": "*"}]`. profile-semantics.md §4.2: "When > 1500 segments, `segments` is reported as
 * `[{"segmentId":"*"}]` [SEG-JOBS]" (the request form `{"segments":[{"segmentId":"*"}]}` of §4.1). Only that
 * exact item is let through without `segment`.
 */
function wildcardSegments(path: string): Tolerance {
  return {
    why: 'segments: [{"segmentId": "*"}] for a job over every segment (§4.1, §4.2)',
    patch: (schema) => {
      const segments = at(schema, path);
      segments["items"] = { anyOf: [segments["items"]!, { type: "object", required: ["segmentId"], properties: { segmentId: { const: "*" } } }] };
    },
  };
}

describe("our segment-job responses against segmentation.yaml", () => {
  const create = responseValidator("/segment/jobs", "post", "200", [RUNNING_METRICS, wildcardSegments("segments")]);
  const get = responseValidator("/segment/jobs/{SEGMENT_JOB_ID}", "get", "200", [wildcardSegments("segments")]);
  const list = responseValidator("/segment/jobs", "get", "200", [wildcardSegments("children.[].segments")]);
  const bulk = responseValidator("/segment/jobs/bulk-get", "post", "207");
  const strictGet = responseValidator("/segment/jobs/{SEGMENT_JOB_ID}", "get", "200");

  it("the job as first stored validates as the POST /segment/jobs response (SegmentJob, running)", () => {
    expect(create(seedRun.firstStored)).toEqual([]);
    expect(create(wildcardRun.firstStored)).toEqual([]);
    expect(wildcardRun.stored.segments).toEqual([{ segmentId: "*" }]);
  });

  it("without the tolerances the running job fails exactly on profileSegmentationTime, the wildcard job on segments[0].segment", () => {
    expect(strictGet(wildcardRun.stored)).toEqual(['/segments/0 must have required property \'segment\' {"missingProperty":"segment"}']);
    expect(get(seedRun.firstStored)).toEqual(['/metrics must have required property \'profileSegmentationTime\' {"missingProperty":"profileSegmentationTime"}']);
  });

  it("every finished job validates as the GET /segment/jobs/{SEGMENT_JOB_ID} response", () => {
    expect(all).toHaveLength(2);
    for (const job of all) expect(get(job), job.id).toEqual([]);
  });

  it("the list of jobs validates as the GET /segment/jobs response (ListSegmentJobs), whole, paged and filtered", () => {
    expect(list(listSegmentJobs(all))).toEqual([]);
    const page = listSegmentJobs(all, { start: 0, limit: 1 });
    expect(page._links.next.href).toBeDefined();
    expect(list(page)).toEqual([]);
    expect(list(listSegmentJobs(all, { status: "SUCCEEDED", sort: "updateTime:asc", property: `segments~segmentId==${SEGMENT_JOB_A}` }))).toEqual([]);
  });

  it("bulk-get validates as the POST /segment/jobs/bulk-get 207 response, and each job in it as a SegmentJob", () => {
    const answer = bulkGetSegmentJobs(all, { ids: [{ id: seedRun.job.id }, { id: wildcardRun.job.id }, { id: "unknown" }] });
    expect(Object.keys(answer.results).sort()).toEqual([seedRun.job.id, wildcardRun.job.id].sort());
    expect(bulk(answer)).toEqual([]);
    // The spec's BulkGetSegmentJobs only says `results` is an object; its example holds SegmentJob objects.
    for (const job of Object.values(answer.results)) expect(get(job)).toEqual([]);
  });
});
