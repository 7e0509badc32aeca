/**
 * Profile fragments (XDM Individual Profile records) for the three record datasets. Each source system sees
 * the same person a little differently; the differences are deliberate, see the data model in `index.ts`.
 */
import type { JsonObject } from "../xdm/types.js";
import { DAY, HOUR, MINUTE, isoDate, type Address, type GenContext, type Person, type Stamp } from "./model.js";
import { Rng } from "./random.js";
import { asciiFold, LOYALTY_TIERS, NICKNAMES, type LoyaltyTier } from "./vocab.js";

/** `_acp_system_metadata`: the system columns every data line carries (not part of any schema). */
export function systemMetadata(ctx: GenContext, stamp: Stamp): JsonObject {
  return { ingestTime: ctx.time(stamp.ms), sourceBatchId: stamp.batchId };
}

function fullName(p: Person, first: string, last: string): string {
  return p.country.code === "JP" ? `${last} ${first}` : `${first} ${last}`;
}

function addressJson(a: Address): JsonObject {
  return {
    street1: a.street1,
    city: a.city,
    stateProvince: a.stateProvince,
    postalCode: a.postalCode,
    country: a.country,
    countryCode: a.countryCode,
  };
}

/**
 * CRM Profiles: primary identity CRMID; identityMap also holds the e-mail and often the phone. About 15 % of
 * people get a second, later-ingested record (moved house, new phone or a changed last name); half of those
 * updates are partial and omit fields the first record had.
 */
export function crmRecords(ctx: GenContext, p: Person): JsonObject[] {
  if (!p.inCrm) return [];
  const rng = new Rng(ctx.seed, "crm", p.index);
  const hasGender = p.gender !== "not_specified" ? rng.chance(0.92) : rng.chance(0.5);
  const hasBirthDate = rng.chance(0.85);
  const hasBirthYearOnly = !hasBirthDate && rng.chance(0.3);
  const hasMobile = p.crmUpdate === "newPhone" || rng.chance(0.8);
  const phoneIdentity = hasMobile && rng.chance(0.7);
  const hasAudit = rng.chance(ctx.shape.crm.customTimestamps);
  const staleLoyalty = p.inLoyalty && rng.chance(0.3);
  const fullRefresh = rng.chance(0.5);
  const updateFirst = rng.chance(0.3);

  const before = {
    last: p.crmUpdate === "nameChange" ? p.previousLast.display : p.last.display,
    address: p.crmUpdate === "moved" ? p.previousAddress : p.address,
    phoneE164: p.crmUpdate === "newPhone" ? p.oldPhoneE164 : p.phoneE164,
    phoneDisplay: p.crmUpdate === "newPhone" ? p.oldPhoneDisplay : p.phoneDisplay,
  };

  const identityMap = (phoneE164: string): JsonObject => {
    const map: JsonObject = {
      CRMID: [{ id: p.crmId, authenticatedState: "authenticated", primary: true }],
      Email: [{ id: p.email, authenticatedState: "ambiguous", primary: false }],
    };
    if (phoneIdentity) map["Phone"] = [{ id: phoneE164, authenticatedState: "ambiguous", primary: false }];
    return map;
  };
  const personJson = (last: string, withDemographics: boolean): JsonObject => {
    const person: JsonObject = {
      name: { firstName: p.first.display, lastName: last, fullName: fullName(p, p.first.display, last) },
    };
    if (withDemographics && hasBirthDate) {
      person["birthDate"] = p.birthDate;
      person["birthYear"] = p.birthYear;
    } else if (withDemographics && hasBirthYearOnly) {
      person["birthYear"] = p.birthYear;
    }
    if (withDemographics && hasGender) person["gender"] = p.gender;
    return person;
  };
  const personalEmail: JsonObject = { address: p.email, primary: true, type: "personal", status: "active" };
  const audit = (stamp: Stamp): JsonObject => ({
    lastUpdatedDate: ctx.time(stamp.ms - rng.int(5 * MINUTE, 36 * HOUR)),
  });

  const first: JsonObject = {
    _id: rng.uuid(),
    identityMap: identityMap(before.phoneE164),
    person: personJson(before.last, true),
    personalEmail,
    homeAddress: addressJson(before.address),
  };
  if (hasMobile) first["mobilePhone"] = { number: before.phoneDisplay, primary: true };
  if (staleLoyalty) first["loyalty"] = { tier: staleTier(p.loyaltyTier) };
  if (hasAudit) first["extSourceSystemAudit"] = audit(p.crmIngest);
  first["_acp_system_metadata"] = systemMetadata(ctx, p.crmIngest);
  if (p.crmUpdate === undefined) return [first];

  // The later record: always the identities and the name, plus what changed; a full refresh repeats the
  // rest (sometimes still without gender or birth date), a partial update omits it.
  const update: JsonObject = {
    _id: rng.uuid(),
    identityMap: identityMap(p.phoneE164),
    person: personJson(p.last.display, fullRefresh && rng.chance(0.7)),
  };
  if (fullRefresh) update["personalEmail"] = personalEmail;
  if (fullRefresh || p.crmUpdate === "moved") update["homeAddress"] = addressJson(p.address);
  if ((fullRefresh && hasMobile) || p.crmUpdate === "newPhone") update["mobilePhone"] = { number: p.phoneDisplay, primary: true };
  if (hasAudit) update["extSourceSystemAudit"] = audit(p.crmUpdateIngest);
  update["_acp_system_metadata"] = systemMetadata(ctx, p.crmUpdateIngest);
  // File order does not follow ingest order: the engine sorts by ingestTime, then by line.
  return updateFirst ? [update, first] : [first, update];
}

/** The tier a CRM copy last synced: one level below (or, for bronze, the silver it was downgraded from). */
function staleTier(tier: LoyaltyTier): LoyaltyTier {
  const i = LOYALTY_TIERS.indexOf(tier);
  return i === 0 ? "silver" : (LOYALTY_TIERS[i - 1] as LoyaltyTier);
}

const POINTS: Readonly<Record<LoyaltyTier, readonly [number, number]>> = {
  bronze: [0, 4_999],
  silver: [5_000, 14_999],
  gold: [15_000, 39_999],
  platinum: [40_000, 125_000],
};

/**
 * Loyalty Members: primary identity CRMID. The loyalty system spells names its own way (nicknames, accents
 * stripped), may hold an older address or phone, and ~40 % of its rows carry `extSourceSystemAudit.lastUpdatedDate`
 * — often older than the CRM row's ingestion, so a custom-timestamp merge picks different winners.
 */
export function loyaltyRecords(ctx: GenContext, p: Person): JsonObject[] {
  if (!p.inLoyalty) return [];
  const rng = new Rng(ctx.seed, "loyalty", p.index);
  const nickname = NICKNAMES[p.first.display];
  let firstName = p.first.display;
  if (nickname !== undefined && rng.chance(0.6)) firstName = nickname;
  else if (asciiFold(firstName) !== firstName && rng.chance(0.5)) firstName = asciiFold(firstName);
  let lastName = p.last.display;
  if (asciiFold(lastName) !== lastName && rng.chance(0.4)) lastName = asciiFold(lastName);
  const address = p.inCrm && rng.chance(0.2) ? p.previousAddress : p.address;
  const hasMobile = rng.chance(0.85);
  const phone = p.inCrm && rng.chance(0.25) ? p.oldPhoneDisplay : p.phoneDisplay;
  const [minPoints, maxPoints] = POINTS[p.loyaltyTier];
  const earliestJoin = Date.UTC(2012, 0, 1);
  const joinMs = earliestJoin + Math.floor(rng.float() * (ctx.refMs - 30 * DAY - earliestJoin));
  const hasAudit = rng.chance(ctx.shape.loyalty.customTimestamps);
  const olderThanCrm = rng.chance(0.6);
  const stamp = p.loyaltyIngest;

  const record: JsonObject = {
    _id: rng.uuid(),
    identityMap: { CRMID: [{ id: p.crmId, authenticatedState: "authenticated", primary: true }] },
    person: { name: { firstName, lastName } },
    homeAddress: {
      city: address.city,
      stateProvince: address.stateProvince,
      postalCode: address.postalCode,
      countryCode: address.countryCode,
    },
  };
  if (hasMobile) record["mobilePhone"] = { number: phone };
  record["loyalty"] = { tier: p.loyaltyTier, points: rng.int(minPoints, maxPoints), joinDate: isoDate(joinMs) };
  if (hasAudit) {
    // Loyalty exports are dumps: the source-system update predates the ingestion, sometimes by weeks, and
    // when the loyalty row was ingested after the CRM row its lastUpdatedDate is often before the CRM ingest.
    const updatedMs =
      p.inCrm && stamp.ms > p.crmIngest.ms && olderThanCrm
        ? p.crmIngest.ms - rng.int(HOUR, 30 * DAY)
        : stamp.ms - rng.int(10 * MINUTE, 3 * DAY);
    record["extSourceSystemAudit"] = { lastUpdatedDate: ctx.time(updatedMs) };
  }
  record["_acp_system_metadata"] = systemMetadata(ctx, stamp);
  return [record];
}

/**
 * Web Sign-ups: primary identity Email, with the ECID of the browser used to sign up. Most CRM customers
 * sign up with their CRM e-mail (so the identity graph links them through Email); some use another address
 * and are linked only through their ECID once an authenticated event carries ECID and CRMID together.
 */
export function webRecords(ctx: GenContext, p: Person): JsonObject[] {
  if (!p.inWeb) return [];
  const rng = new Rng(ctx.seed, "web", p.index);
  const email = p.webUsesAltEmail ? p.altEmail : p.email;
  const device = p.devices[0];
  const identityMap: JsonObject = { Email: [{ id: email, authenticatedState: "authenticated", primary: true }] };
  if (device !== undefined) identityMap["ECID"] = [{ id: device.ecid, authenticatedState: "ambiguous", primary: false }];
  const record: JsonObject = { _id: rng.uuid(), identityMap, personalEmail: { address: email } };
  if (rng.chance(0.6)) record["person"] = { name: { firstName: p.first.display } };
  record["homeAddress"] = { countryCode: p.address.countryCode };
  const optIn = rng.chance(ctx.shape.web.marketingOptIn);
  record["consents"] = {
    collect: { val: "y" },
    marketing: { email: { val: optIn ? "y" : "n", time: ctx.time(p.webIngest.ms - rng.int(MINUTE, 2 * HOUR)) } },
  };
  record["_acp_system_metadata"] = systemMetadata(ctx, p.webIngest);
  return [record];
}
