/**
 * The datasets' XDM schemas, in the JSON Schema dialect the engine's loader reads: `type` string / integer /
 * number / boolean / object (`properties`, or a map via `"meta:xdmType": "map"` + `additionalProperties`) /
 * array (`items`), plus `format` (date-time, date), `enum` and `meta:xdmType` (int, long) on leaves.
 * `_acp_system_metadata` (a system column) and `segmentMembership` (system-managed) are never declared.
 */
import { EXPERIENCE_EVENT_CLASS, PROFILE_CLASS } from "../io/sandbox-manifest.js";

export type PropertySchema =
  | { type: "string"; format?: "date-time" | "date"; enum?: string[] }
  | { type: "integer"; "meta:xdmType"?: "int" | "long" }
  | { type: "number" }
  | { type: "boolean" }
  | { type: "object"; properties: Record<string, PropertySchema> }
  | { type: "object"; "meta:xdmType": "map"; additionalProperties: PropertySchema }
  | { type: "array"; items: PropertySchema };

export interface DatasetSchema {
  $id: string;
  title: string;
  type: "object";
  "meta:class": typeof PROFILE_CLASS | typeof EXPERIENCE_EVENT_CLASS;
  properties: Record<string, PropertySchema>;
}

const str = (): PropertySchema => ({ type: "string" });
const dateTime = (): PropertySchema => ({ type: "string", format: "date-time" });
const date = (): PropertySchema => ({ type: "string", format: "date" });
const int = (): PropertySchema => ({ type: "integer", "meta:xdmType": "int" });
const num = (): PropertySchema => ({ type: "number" });
const bool = (): PropertySchema => ({ type: "boolean" });
const obj = (properties: Record<string, PropertySchema>): PropertySchema => ({ type: "object", properties });
const arr = (items: PropertySchema): PropertySchema => ({ type: "array", items });

/** identityMap: namespace → [{ id, authenticatedState, primary }]. */
export const IDENTITY_MAP_SCHEMA: PropertySchema = {
  type: "object",
  "meta:xdmType": "map",
  additionalProperties: arr(
    obj({
      id: str(),
      authenticatedState: { type: "string", enum: ["ambiguous", "authenticated", "loggedOut"] },
      primary: bool(),
    }),
  ),
};

const EXT_AUDIT = obj({ lastUpdatedDate: dateTime() });
const FULL_ADDRESS = obj({
  street1: str(),
  city: str(),
  stateProvince: str(),
  postalCode: str(),
  country: str(),
  countryCode: str(),
});
const gender = (): PropertySchema => ({ type: "string", enum: ["male", "female", "not_specified", "non_specific"] });
const loyaltyTier = (): PropertySchema => ({ type: "string", enum: ["bronze", "silver", "gold", "platinum"] });
const YES_NO = (): PropertySchema => ({ type: "string", enum: ["y", "n"] });

export type SchemaSlug = "crm-profile" | "loyalty-profile" | "web-signup-profile" | "web-commerce-event";

export function schemaId(sandboxName: string, slug: SchemaSlug): string {
  return `https://ns.profile-lab.dev/${encodeURIComponent(sandboxName)}/schemas/${slug}`;
}

export function buildSchemas(sandboxName: string): Record<SchemaSlug, DatasetSchema> {
  const crm: DatasetSchema = {
    $id: schemaId(sandboxName, "crm-profile"),
    title: "CRM Profile",
    type: "object",
    "meta:class": PROFILE_CLASS,
    properties: {
      _id: str(),
      identityMap: IDENTITY_MAP_SCHEMA,
      person: obj({
        name: obj({ firstName: str(), lastName: str(), fullName: str() }),
        birthDate: date(),
        birthYear: int(),
        gender: gender(),
      }),
      personalEmail: obj({ address: str(), primary: bool(), type: str(), status: str() }),
      homeAddress: FULL_ADDRESS,
      mobilePhone: obj({ number: str(), primary: bool() }),
      loyalty: obj({ tier: loyaltyTier() }),
      extSourceSystemAudit: EXT_AUDIT,
    },
  };
  const loyalty: DatasetSchema = {
    $id: schemaId(sandboxName, "loyalty-profile"),
    title: "Loyalty Member Profile",
    type: "object",
    "meta:class": PROFILE_CLASS,
    properties: {
      _id: str(),
      identityMap: IDENTITY_MAP_SCHEMA,
      person: obj({ name: obj({ firstName: str(), lastName: str() }) }),
      homeAddress: obj({ city: str(), stateProvince: str(), postalCode: str(), countryCode: str() }),
      mobilePhone: obj({ number: str() }),
      loyalty: obj({
        tier: loyaltyTier(),
        points: int(),
        joinDate: date(),
      }),
      extSourceSystemAudit: EXT_AUDIT,
    },
  };
  const web: DatasetSchema = {
    $id: schemaId(sandboxName, "web-signup-profile"),
    title: "Web Sign-up Profile",
    type: "object",
    "meta:class": PROFILE_CLASS,
    properties: {
      _id: str(),
      identityMap: IDENTITY_MAP_SCHEMA,
      personalEmail: obj({ address: str() }),
      person: obj({ name: obj({ firstName: str() }) }),
      homeAddress: obj({ countryCode: str() }),
      consents: obj({
        collect: obj({ val: YES_NO() }),
        marketing: obj({ email: obj({ val: YES_NO(), time: dateTime() }) }),
      }),
    },
  };
  const item = obj({ SKU: str(), name: str(), quantity: int(), priceTotal: num() });
  const events: DatasetSchema = {
    $id: schemaId(sandboxName, "web-commerce-event"),
    title: "Web and Commerce Event",
    type: "object",
    "meta:class": EXPERIENCE_EVENT_CLASS,
    properties: {
      _id: str(),
      timestamp: dateTime(),
      eventType: str(),
      identityMap: IDENTITY_MAP_SCHEMA,
      web: obj({ webPageDetails: obj({ name: str(), URL: str(), pageViews: obj({ value: num() }) }) }),
      commerce: obj({
        order: obj({ purchaseID: str(), priceTotal: num(), currencyCode: str() }),
        purchases: obj({ value: num() }),
        productViews: obj({ value: num() }),
        productListAdds: obj({ value: num() }),
      }),
      productListItems: arr(item),
      environment: obj({ browserDetails: obj({ name: str(), version: str() }) }),
      device: obj({ type: str() }),
    },
  };
  return { "crm-profile": crm, "loyalty-profile": loyalty, "web-signup-profile": web, "web-commerce-event": events };
}
