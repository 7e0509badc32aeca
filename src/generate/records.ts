/**
 * Profile fragments (XDM Individual Profile records) for the three record datasets. Each source system sees
 * the same person a little differently; the differences are deliberate, see the data model in `index.ts`.
 * The rows are written field by field into a `RowSink` (JSON objects or Arrow columns), each row's fields in
 * its JSON object's order.
 */
import type { JsonObject } from "../xdm/types.js";
import { DAY, HOUR, MINUTE, isoDate, type Address, type GenContext, type Person, type Stamp } from "./model.js";
import { Rng } from "./random.js";
import type { RowSink } from "./row-sink.js";
import { asciiFold, LOYALTY_TIERS, NICKNAMES, type LoyaltyTier } from "./vocab.js";

/** `_acp_system_metadata`: the system columns every data line carries (not part of any schema). */
export function systemMetadata(ctx: GenContext, stamp: Stamp): JsonObject {
  return { ingestTime: ctx.time(stamp.ms), sourceBatchId: stamp.batchId };
}

/** The system columns of the current row. */
function writeSystemMetadata(out: RowSink, ctx: GenContext, stamp: Stamp): void {
  out.set("_acp_system_metadata.ingestTime", ctx.time(stamp.ms));
  out.set("_acp_system_metadata.sourceBatchId", stamp.batchId);
}

function fullName(p: Person, first: string, last: string): string {
  return p.country.code === "JP" ? `${last} ${first}` : `${first} ${last}`;
}

function writeAddress(out: RowSink, a: Address): void {
  out.set("homeAddress.street1", a.street1);
  out.set("homeAddress.city", a.city);
  out.set("homeAddress.stateProvince", a.stateProvince);
  out.set("homeAddress.postalCode", a.postalCode);
  out.set("homeAddress.country", a.country);
  out.set("homeAddress.countryCode", a.countryCode);
}

/**
 * CRM Profiles: primary identity CRMID; identityMap also holds the e-mail and often the phone. About 15 % of
 * people get a second, later-ingested record (moved house, new phone or a changed last name); half of those
 * updates are partial and omit fields the first record had.
 */
export function crmRecords(ctx: GenContext, p: Person, out: RowSink): void {
  if (!p.inCrm) return;
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

  const identityMap = (phoneE164: string): void => {
    out.identity("CRMID", p.crmId, "authenticated", true);
    out.identity("Email", p.email, "ambiguous", false);
    if (phoneIdentity) out.identity("Phone", phoneE164, "ambiguous", false);
  };
  const person = (last: string, withDemographics: boolean): void => {
    out.set("person.name.firstName", p.first.display);
    out.set("person.name.lastName", last);
    out.set("person.name.fullName", fullName(p, p.first.display, last));
    if (withDemographics && hasBirthDate) {
      out.set("person.birthDate", p.birthDate);
      out.set("person.birthYear", p.birthYear);
    } else if (withDemographics && hasBirthYearOnly) {
      out.set("person.birthYear", p.birthYear);
    }
    if (withDemographics && hasGender) out.set("person.gender", p.gender);
  };
  const personalEmail = (): void => {
    out.set("personalEmail.address", p.email);
    out.set("personalEmail.primary", true);
    out.set("personalEmail.type", "personal");
    out.set("personalEmail.status", "active");
  };
  const mobilePhone = (number: string): void => {
    out.set("mobilePhone.number", number);
    out.set("mobilePhone.primary", true);
  };
  const auditMs = (stamp: Stamp): number => stamp.ms - rng.int(5 * MINUTE, 36 * HOUR);

  // The draws in the order the records always made them (the first record's, then the update's), whichever
  // record is written first.
  const firstId = rng.uuid();
  const firstAudit = hasAudit ? auditMs(p.crmIngest) : 0;
  const writeFirst = (): void => {
    out.row();
    out.set("_id", firstId);
    identityMap(before.phoneE164);
    person(before.last, true);
    personalEmail();
    writeAddress(out, before.address);
    if (hasMobile) mobilePhone(before.phoneDisplay);
    if (staleLoyalty) out.set("loyalty.tier", staleTier(p.loyaltyTier));
    if (hasAudit) out.set("extSourceSystemAudit.lastUpdatedDate", ctx.time(firstAudit));
    writeSystemMetadata(out, ctx, p.crmIngest);
  };
  const crmUpdate = p.crmUpdate;
  if (crmUpdate === undefined) {
    writeFirst();
    return;
  }

  // The later record: always the identities and the name, plus what changed; a full refresh repeats the
  // rest (sometimes still without gender or birth date), a partial update omits it.
  const updateId = rng.uuid();
  const updateDemographics = fullRefresh && rng.chance(0.7);
  const updateAudit = hasAudit ? auditMs(p.crmUpdateIngest) : 0;
  const writeUpdate = (): void => {
    out.row();
    out.set("_id", updateId);
    identityMap(p.phoneE164);
    person(p.last.display, updateDemographics);
    if (fullRefresh) personalEmail();
    if (fullRefresh || crmUpdate === "moved") writeAddress(out, p.address);
    if ((fullRefresh && hasMobile) || crmUpdate === "newPhone") mobilePhone(p.phoneDisplay);
    if (hasAudit) out.set("extSourceSystemAudit.lastUpdatedDate", ctx.time(updateAudit));
    writeSystemMetadata(out, ctx, p.crmUpdateIngest);
  };
  // File order does not follow ingest order: the engine sorts by ingestTime, then by line.
  if (updateFirst) {
    writeUpdate();
    writeFirst();
  } else {
    writeFirst();
    writeUpdate();
  }
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
export function loyaltyRecords(ctx: GenContext, p: Person, out: RowSink): void {
  if (!p.inLoyalty) return;
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

  out.row();
  out.set("_id", rng.uuid());
  out.identity("CRMID", p.crmId, "authenticated", true);
  out.set("person.name.firstName", firstName);
  out.set("person.name.lastName", lastName);
  out.set("homeAddress.city", address.city);
  out.set("homeAddress.stateProvince", address.stateProvince);
  out.set("homeAddress.postalCode", address.postalCode);
  out.set("homeAddress.countryCode", address.countryCode);
  if (hasMobile) out.set("mobilePhone.number", phone);
  out.set("loyalty.tier", p.loyaltyTier);
  out.set("loyalty.points", rng.int(minPoints, maxPoints));
  out.set("loyalty.joinDate", isoDate(joinMs));
  if (hasAudit) {
    // Loyalty exports are dumps: the source-system update predates the ingestion, sometimes by weeks, and
    // when the loyalty row was ingested after the CRM row its lastUpdatedDate is often before the CRM ingest.
    const updatedMs =
      p.inCrm && stamp.ms > p.crmIngest.ms && olderThanCrm
        ? p.crmIngest.ms - rng.int(HOUR, 30 * DAY)
        : stamp.ms - rng.int(10 * MINUTE, 3 * DAY);
    out.set("extSourceSystemAudit.lastUpdatedDate", ctx.time(updatedMs));
  }
  writeSystemMetadata(out, ctx, stamp);
}

/**
 * Web Sign-ups: primary identity Email, with the ECID of the browser used to sign up. Most CRM customers
 * sign up with their CRM e-mail (so the identity graph links them through Email); some use another address
 * and are linked only through their ECID once an authenticated event carries ECID and CRMID together.
 */
export function webRecords(ctx: GenContext, p: Person, out: RowSink): void {
  if (!p.inWeb) return;
  const rng = new Rng(ctx.seed, "web", p.index);
  const email = p.webUsesAltEmail ? p.altEmail : p.email;
  const device = p.devices[0];
  out.row();
  out.set("_id", rng.uuid());
  out.identity("Email", email, "authenticated", true);
  if (device !== undefined) out.identity("ECID", device.ecid, "ambiguous", false);
  out.set("personalEmail.address", email);
  if (rng.chance(0.6)) out.set("person.name.firstName", p.first.display);
  out.set("homeAddress.countryCode", p.address.countryCode);
  const optIn = rng.chance(ctx.shape.web.marketingOptIn);
  out.set("consents.collect.val", "y");
  out.set("consents.marketing.email.val", optIn ? "y" : "n");
  out.set("consents.marketing.email.time", ctx.time(p.webIngest.ms - rng.int(MINUTE, 2 * HOUR)));
  writeSystemMetadata(out, ctx, p.webIngest);
}
