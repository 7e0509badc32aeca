/**
 * Identity-graph benchmark: 10 million identities linked into 4 million profiles (2–3 identities each, as
 * CRM + email + device ECIDs would be), then every identity's canonical profile key. Reports time and
 * peak RSS. Run: node --import tsx bench/identity-graph.ts [identities] [profiles]
 */
import { IdentityGraph } from "../src/identity/identity-graph.js";

const identities = Number(process.argv[2] ?? 10_000_000);
const profiles = Number(process.argv[3] ?? 4_000_000);

let peakRss = 0;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sample, 50);

const start = performance.now();
const graph = new IdentityGraph();
// Profile p owns identities p, p + profiles, p + 2·profiles, … below `identities`: a fixed, seed-free layout.
const namespaces = ["crmid", "email", "ecid"];
for (let p = 0; p < profiles; p++) {
  const keys: string[] = [];
  for (let i = p, n = 0; i < identities; i += profiles, n++) keys.push(`${namespaces[n % 3]}:${(i * 2654435761) % 4294967296}`);
  // Link in two observations, as a record and an event would.
  graph.link(keys.slice(0, 2));
  if (keys.length > 2) graph.link(keys.slice(1));
}
const linked = performance.now();
sample();
const canonical = graph.canonicalizer();
const done = performance.now();
sample();
clearInterval(timer);
// Count components: identities that are their own component's canonical key.
let components = 0;
for (let p = 0; p < profiles; p++) {
  for (let i = p, n = 0; i < identities; i += profiles, n++) {
    const key = `${namespaces[n % 3]}:${(i * 2654435761) % 4294967296}`;
    if (canonical(key) === key) components++;
  }
}

console.log(
  JSON.stringify(
    {
      identities: graph.size,
      profiles: components,
      linkSeconds: +((linked - start) / 1000).toFixed(2),
      canonicalKeysSeconds: +((done - linked) / 1000).toFixed(2),
      totalSeconds: +((done - start) / 1000).toFixed(2),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      bytesPerIdentity: Math.round(peakRss / graph.size),
    },
    null,
    2,
  ),
);
