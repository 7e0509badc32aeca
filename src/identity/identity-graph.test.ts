import { describe, expect, it } from "vitest";
import { IdentityGraph } from "./identity-graph.js";
import { identityKey, identityKeys, primaryIdentity } from "./identity-key.js";

describe("identity graph", () => {
  it("links transitively and names each component by its smallest key", () => {
    const g = new IdentityGraph();
    g.link(["ecid:e1", "crmid:c1"]);
    g.link(["email:jane@example.com", "ecid:e1"]);
    g.link(["crmid:c2"]);
    const c = g.canonicalizer();
    expect(c("email:jane@example.com")).toBe("crmid:c1");
    expect(c("ecid:e1")).toBe("crmid:c1");
    expect(c("crmid:c2")).toBe("crmid:c2");
    expect(c("crmid:unknown")).toBeUndefined();
    expect(g.size).toBe(4);
  });

  it("gives the same components whatever the order of the links", () => {
    const links = Array.from({ length: 3000 }, (_, i): [string, string] => [`ns:${i}`, `ns:${(i * 7919) % 1000}`]);
    const a = new IdentityGraph();
    links.forEach((l) => a.link(l));
    const b = new IdentityGraph();
    [...links].reverse().forEach((l) => b.link(l));
    const ca = a.canonicalizer();
    const cb = b.canonicalizer();
    for (const [x, y] of links) {
      expect(ca(x)).toBe(cb(x));
      expect(ca(y)).toBe(cb(y));
    }
  });
});

describe("identity keys", () => {
  it("compare namespaces case-insensitively and ids exactly", () => {
    expect(identityKey("Email", "Jane@x.com")).toBe(identityKey("email", "Jane@x.com"));
    expect(identityKey("Email", "Jane@x.com")).not.toBe(identityKey("Email", "jane@x.com"));
  });

  it("choose the flagged primary, else the declared namespace, else the only identity", () => {
    expect(primaryIdentity({ ECID: [{ id: "e1" }], CRMID: [{ id: "c1", primary: true }] })).toBe("crmid:c1");
    expect(primaryIdentity({ ECID: [{ id: "e1" }], CRMID: [{ id: "c1" }] }, "CRMID")).toBe("crmid:c1");
    expect(primaryIdentity({ ECID: [{ id: "e1" }] })).toBe("ecid:e1");
    expect(primaryIdentity({ ECID: [{ id: "e1" }], CRMID: [{ id: "c1" }] })).toBeUndefined();
    expect(identityKeys({ ECID: [{ id: "e1" }, { id: "e2" }], CRMID: [{ id: "c1" }] })).toEqual(["ecid:e1", "ecid:e2", "crmid:c1"]);
  });
});
