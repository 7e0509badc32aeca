/**
 * The ten segments of bench/export-e2e.ts, all under the default merge policy: five on profile attributes
 * and five on events, each matched by a query of bench/baseline-duckdb.sql (the file named by `slug`).
 */
export interface BenchSegment {
  readonly id: string;
  readonly slug: string;
  readonly definition: Record<string, unknown>;
}

function segment(n: number, slug: string, name: string, pql: string): BenchSegment {
  const id = `bench-${String(n).padStart(2, "0")}-${slug}`;
  return {
    id,
    slug,
    definition: {
      id,
      name,
      schema: { name: "_xdm.context.profile" },
      expression: { type: "PQL", format: "pql/text", value: pql },
      evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
    },
  };
}

export const BENCH_SEGMENTS: readonly BenchSegment[] = [
  segment(1, "us-residents", "Bench: US residents", 'homeAddress.countryCode = "US"'),
  segment(2, "gold-platinum", "Bench: gold or platinum", 'loyalty.tier in ["gold", "platinum"]'),
  segment(3, "marketing-opt-in", "Bench: marketing opt-in", 'consents.marketing.email.val = "y"'),
  segment(4, "born-before-1980", "Bench: born before 1980", "person.birthYear < 1980"),
  segment(5, "gmail-users", "Bench: Gmail users", 'personalEmail.address.contains("@gmail.")'),
  segment(6, "big-spenders", "Bench: an order over 500", 'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 500].count() > 0'),
  segment(7, "frequent-buyers", "Bench: three purchases or more", 'xEvent[eventType = "commerce.purchases"].count() >= 3'),
  segment(8, "mobile-purchasers", "Bench: a purchase on a phone", 'xEvent[eventType = "commerce.purchases" and device.type = "mobile"].count() > 0'),
  segment(9, "page-view-regulars", "Bench: five page views or more", 'xEvent[eventType = "web.webpagedetails.pageViews"].count() >= 5'),
  segment(10, "product-browsers", "Bench: two product views or more", 'xEvent[eventType = "commerce.productViews"].count() >= 2'),
];

/**
 * The export request: every profile of each bench segment, one batch per segment. Under the default policy
 * (no stitching) event segments hold ECID profiles made of events alone, which the platform exports only
 * with `emptyProfiles: true`.
 */
export function benchExportRequest(policy: { id: string; version: number }, datasetId: string): Record<string, unknown> {
  return {
    mergePolicy: { id: policy.id, version: policy.version },
    filter: { segments: BENCH_SEGMENTS.map((s) => ({ segmentId: s.id, segmentNs: "ups" })), emptyProfiles: true },
    destination: { datasetId, segmentPerBatch: true },
    schema: { name: "_xdm.context.profile" },
  };
}
