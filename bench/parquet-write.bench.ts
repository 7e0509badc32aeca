/**
 * Parquet export throughput: 200k profile-like rows (nested identityMap and segmentMembership, non-ASCII
 * names) → hand-written Arrow batches → parquet-wasm ZSTD/SNAPPY file.
 *
 *   node --import tsx bench/parquet-write.bench.ts            (N=200000 by default; N=… to change)
 *
 * The rows are generated once up front (row i depends only on i), so each task times build + encode + file
 * write only. "arrow build only" isolates the JS side (hand-written builder + IPC serialisation).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Table, tableToIPC } from "apache-arrow";
import * as PW from "parquet-wasm";
import { Bench } from "tinybench";
import { batchBuilderFor } from "../src/io/arrow-build.js";
import { ParquetFileWriter, type ParquetWriteOptions } from "../src/io/parquet-writer.js";
import type { JsonObject } from "../src/xdm/types.js";
import { IDENTITY_MAP_TYPE, object, scalar, SEGMENT_MEMBERSHIP_TYPE, type XdmObject } from "../src/xdm/xdm-type.js";

const N = Number(process.env.N ?? 200_000);
const BATCH_ROWS = 50_000;

const PROFILE: XdmObject = object([
  ["personId", scalar("string")],
  ["email", scalar("string")],
  ["age", scalar("int")],
  ["gender", scalar("string")],
  ["loyaltyTier", scalar("string")],
  ["isActive", scalar("boolean")],
  ["lifetimeValue", scalar("double")],
  ["propensityScore", scalar("double")],
  ["createdAt", scalar("date-time")],
  ["lastModifiedAt", scalar("date-time")],
  ["homeAddress", object([["countryCode", scalar("string")], ["city", scalar("string")], ["postalCode", scalar("string")]])],
  ["person", object([["name", object([["firstName", scalar("string")], ["lastName", scalar("string")]])], ["birthDate", scalar("date")]])],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["segmentMembership", SEGMENT_MEMBERSHIP_TYPE],
]);

const FIRST = ["Zoë", "Émile", "Ana", "John", "Mei", "Lukas", "Priya", "Omar"];
const LAST = ["García", "Müller", "Smith", "Tanaka", "Kowalski", "Nguyen", "Okafor", "Rossi"];
const CITIES = ["東京", "München", "San José", "Paris", "Lagos", "Austin", "Toronto", "Sydney"];
const COUNTRIES = ["JP", "DE", "US", "FR", "NG", "US", "CA", "AU"];
const TIERS = ["bronze", "silver", "gold", "platinum"];
const SEGMENTS = Array.from({ length: 16 }, (_, k) => `${(k * 2654435761) % 2 ** 32}`.padStart(10, "0") + "-seg");
const T0 = Date.UTC(2024, 0, 1);

function profileRow(i: number): JsonObject {
  const h = (i * 2654435761) >>> 0;
  const identityMap: JsonObject = {
    ECID: [{ id: `${h.toString(16).padStart(8, "0")}${i}`, authenticatedState: "ambiguous", primary: true }],
    Email: [{ id: `user${i}@example.com`, authenticatedState: "authenticated", primary: false }],
  };
  if (h % 10 < 3) identityMap.Phone = [{ id: `+1555${i}`, primary: false }, { id: `+1666${i}`, primary: false }];
  const ups: JsonObject = {};
  for (let s = 0; s < (h % 4) + 1; s++) {
    ups[SEGMENTS[(h >>> (s * 4)) % 16] as string] = {
      status: (h >>> s) % 5 === 0 ? "exited" : "realized",
      lastQualificationTime: new Date(T0 + ((h >>> s) % 31_536_000) * 1000).toISOString(),
      version: "1",
    };
  }
  return {
    personId: `p${String(i).padStart(8, "0")}`,
    email: `user${i}@example.com`,
    age: 18 + (h % 70),
    gender: h % 2 === 0 ? "female" : "male",
    loyaltyTier: TIERS[h % 4] as string,
    isActive: h % 3 !== 0,
    lifetimeValue: (h % 100_000) / 100,
    propensityScore: (h % 1000) / 1000,
    createdAt: T0 + (h % 31_536_000) * 1000,
    lastModifiedAt: new Date(T0 + (h % 63_072_000) * 1000).toISOString(),
    homeAddress: { countryCode: COUNTRIES[h % 8] as string, city: CITIES[h % 8] as string, postalCode: String(10000 + (h % 89999)) },
    person: {
      name: { firstName: FIRST[h % 8] as string, lastName: LAST[(h >>> 3) % 8] as string },
      birthDate: `19${50 + (h % 50)}-0${(h % 9) + 1}-1${h % 10}`,
    },
    identityMap,
    segmentMembership: { ups },
  };
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

const tGen = performance.now();
const rows: JsonObject[] = Array.from({ length: N }, (_, i) => profileRow(i));
console.log(`generated ${N} rows in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);

const dir = await mkdtemp(join(tmpdir(), "profile-lab-bench-"));
const sizes = new Map<string, number>();

async function writeAll(name: string, options: ParquetWriteOptions): Promise<void> {
  const w = await ParquetFileWriter.open(join(dir, `${name}.parquet`), PROFILE, options);
  for (let i = 0; i < rows.length; i += 10_000) await w.write(rows.slice(i, i + 10_000));
  const { rows: written, bytes } = await w.close();
  if (written !== N) throw new Error(`wrote ${written} rows, expected ${N}`);
  sizes.set(name, bytes);
}

const builder = batchBuilderFor(PROFILE);
let ipcBytes = 0;

const bench = new Bench({ iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0, throws: true });
bench
  .add("arrow build only (+IPC)", () => {
    ipcBytes = 0;
    for (let i = 0; i < rows.length; i += BATCH_ROWS) {
      ipcBytes += tableToIPC(new Table([builder.build(rows.slice(i, i + BATCH_ROWS), i)]), "stream").byteLength;
    }
  })
  .add("parquet zstd (build+encode+write)", () => writeAll("zstd", { compression: "zstd", batchRows: BATCH_ROWS }))
  .add("parquet snappy (build+encode+write)", () => writeAll("snappy", { compression: "snappy", batchRows: BATCH_ROWS }));

await bench.run();

console.log(`\n${N} rows, batchRows ${BATCH_ROWS}, rowGroupSize 100000, Node ${process.version}`);
for (const task of bench.tasks) {
  const r = task.result;
  if (r.state !== "completed") {
    console.log(`${task.name}: ${r.state}`);
    continue;
  }
  const meanMs = r.latency.mean;
  const file =
    task.name.startsWith("parquet zstd") ? sizes.get("zstd") : task.name.startsWith("parquet snappy") ? sizes.get("snappy") : ipcBytes;
  console.log(
    `${task.name.padEnd(38)} mean ${(meanMs / 1000).toFixed(2)} s (min ${(r.latency.min / 1000).toFixed(2)} s, ${r.latency.samplesCount} runs)` +
      `  ${Math.round(N / (meanMs / 1000)).toLocaleString("en-US")} rows/s` +
      `  ${file === undefined ? "" : `${mib(file)} MiB${task.name.startsWith("arrow") ? " IPC" : ""}`}`,
  );
}
console.log(
  `RSS at end ${mib(process.memoryUsage().rss)} MiB, wasm memory ${mib(PW.wasmMemory().buffer.byteLength)} MiB, ` +
    `row generation not included`,
);
await rm(dir, { recursive: true, force: true });
