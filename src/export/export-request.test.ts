import { describe, expect, it } from "vitest";
import { thrown } from "../../test/helpers/thrown.js";
import { ExportError, parseExportRequest } from "./export-request.js";

const LEGACY = ["realized", "existing"] as const;
const minimal = { destination: { datasetId: "ds_export" }, schema: { name: "_xdm.context.profile" } };

const errorOf = (body: unknown): ExportError => thrown(() => parseExportRequest(body, LEGACY, "req.json"), ExportError);

describe("export request validation", () => {
  it("applies every default to a minimal request", () => {
    const plan = parseExportRequest(minimal, LEGACY);
    expect(plan).toMatchObject({
      datasetId: "ds_export",
      fields: undefined,
      segments: undefined,
      emptyProfiles: false,
      eventList: undefined,
      segmentPerBatch: false,
      runSegmentation: false,
    });
  });

  it("accepts the seed's full request body (segmentation export jobs)", () => {
    const plan = parseExportRequest(
      {
        fields: "identities.id,personalEmail.address",
        mergePolicy: { id: "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", version: 1 },
        filter: {
          segments: [
            { segmentId: "4edc8488-2c35-4f6d-b4c6-9075c68d2df4", segmentNs: "AAM", status: ["realized"] },
            { segmentId: "1rfe8422-334d-12f4-3sd4-12cf6g990g51", segmentNs: "UPS", status: ["exited"] },
          ],
          segmentQualificationTime: { startTime: "2019-09-01T00:00:00Z", endTime: "2019-09-02T00:00:00Z" },
          fromIngestTimestamp: "2018-10-25T13:22:04-07:00",
          emptyProfiles: false,
        },
        additionalFields: {
          eventList: { fields: "environment.browserDetails.name,environment.browserDetails.version", filter: { fromIngestTimestamp: "2018-10-25T13:22:04-07:00" } },
        },
        destination: { datasetId: "5b020a27e7040801dedba61b", segmentPerBatch: true },
        schema: { name: "_xdm.context.profile" },
      },
      LEGACY,
    );
    expect(plan.fields).toEqual(["identities.id", "personalEmail.address"]);
    expect(plan.segments?.map((s) => [s.segmentNs, s.status])).toEqual([["AAM", ["realized"]], ["UPS", ["exited"]]]);
    expect(plan.fromIngestTimestamp).toBe(Date.parse("2018-10-25T20:22:04Z"));
    expect(plan.eventList?.fields).toEqual(["environment.browserDetails.name", "environment.browserDetails.version"]);
    expect(plan.segmentPerBatch).toBe(true);
  });

  it("defaults segmentNs to ups and status to the status model's members", () => {
    const plan = parseExportRequest({ ...minimal, filter: { segments: [{ segmentId: "seg-1" }] } }, ["realized"]);
    expect(plan.segments).toEqual([{ segmentId: "seg-1", segmentNs: "ups", status: ["realized"] }]);
  });

  it("tolerates whitespace in field lists and the dataSetId spelling, warning about the spelling", () => {
    const plan = parseExportRequest({ fields: " person.name , identityMap ,", destination: { dataSetId: "d" }, schema: { name: "_xdm.context.profile" } }, LEGACY);
    expect(plan.fields).toEqual(["person.name", "identityMap"]);
    expect(plan.datasetId).toBe("d");
    expect(plan.warnings).toEqual([expect.stringMatching(/^destination\.dataSetId: read as destination\.datasetId/)]);
  });

  it("reads blank field lists as every field, and says so", () => {
    const plan = parseExportRequest({ ...minimal, fields: " , ", additionalFields: { eventList: { fields: "" } } }, LEGACY);
    expect([plan.fields, plan.eventList?.fields]).toEqual([undefined, undefined]);
    expect(plan.warnings).toEqual(["fields is blank: every field is exported", "additionalFields.eventList.fields is blank: every field is exported"]);
  });

  it("accepts the retired status existing under the current model with a warning, and silently under the legacy one", () => {
    const body = { ...minimal, filter: { segments: [{ segmentId: "s", status: ["realized", "existing"] }] } };
    expect(parseExportRequest(body, ["realized"]).warnings).toEqual([expect.stringContaining('filter.segments[0].status: "existing" was retired on 15 May 2023')]);
    expect(parseExportRequest(body, LEGACY).warnings).toEqual([]);
  });

  it("the seeds' requests give no warnings", () => {
    expect(parseExportRequest({ ...minimal, filter: { segments: [{ segmentId: "a", segmentNs: "AAM", status: ["realized"] }, { segmentId: "b", segmentNs: "UPS", status: ["exited"] }] } }, ["realized"]).warnings).toEqual([]);
  });

  it.each([
    [{ schema: { name: "_xdm.context.profile" } }, "$.destination", 'destination is required, e.g. {"datasetId":"<union dataset id>"}'],
    [{ destination: {}, schema: { name: "_xdm.context.profile" } }, "$.destination.datasetId", "destination.datasetId is required"],
    [{ destination: { datasetId: "d" } }, "$.schema", 'schema is required, e.g. {"name":"_xdm.context.profile"}'],
    [{ ...minimal, schema: { name: "_xdm.context.experienceevent" } }, "$.schema.name", "must be \"_xdm.context.profile\""],
    [{ ...minimal, filter: { fromIngestTimestamp: "2018-02-30T00:00:00Z" } }, "$.filter.fromIngestTimestamp", "RFC 3339"],
    [{ ...minimal, filter: { segments: [{ segmentId: "s", status: ["active"] }] } }, "$.filter.segments[0].status[0]", 'must be "realized", "existing" or "exited", not "active"'],
    [{ ...minimal, filter: { segments: [{}] } }, "$.filter.segments[0].segmentId", "filter.segments[0].segmentId is required"],
    [{ ...minimal, filter: { segmentQualificationTime: { startTime: "2020-01-02T00:00:00Z", endTime: "2020-01-01T00:00:00Z" } } }, "$.filter.segmentQualificationTime", "startTime is after endTime"],
    [{ ...minimal, additionalFields: { eventList: { filter: { toIngestTimestamp: "soon" } } } }, "$.additionalFields.eventList.filter.toIngestTimestamp", "RFC 3339"],
    [{ ...minimal, destinaton: {} }, "$.destinaton", "unknown field \"destinaton\""],
    [{ ...minimal, destination: { datasetId: "d", segmentPerBatch: "yes" } }, "$.destination.segmentPerBatch", "true or false"],
    [[], "$", "must be a JSON object"],
    [{ ...minimal, filter: { segments: [] } }, "$.filter.segments", "must not be empty; leave filter.segments out to export every profile"],
    [{ ...minimal, destination: { datasetId: "a", dataSetId: "b" } }, "$.destination.dataSetId", "name different datasets"],
  ])("rejects %j naming %s", (body, path, message) => {
    const e = errorOf(body);
    expect(e.location).toEqual({ file: "req.json", jsonPath: path });
    expect(e.message).toContain(message);
  });
});
