/** The built-in shape's datasets: what sandbox.json says of each, and where its rows go. */
import { DATASET_SCHEMAS } from "./blocks.js";
import type { DatasetKey } from "./model.js";
import type { SchemaSlug } from "./schemas.js";

export interface DatasetSpec {
  readonly key: DatasetKey;
  readonly name: string;
  readonly description: string;
  readonly schema: SchemaSlug | undefined;
  readonly file: string | undefined;
  readonly primaryIdentityNamespace: string | undefined;
}

export const DATASETS: readonly DatasetSpec[] = [
  {
    key: "crm",
    name: "CRM Profiles",
    description: "Customer records exported nightly from the CRM system.",
    schema: DATASET_SCHEMAS.crm,
    file: "datasets/crm-profiles.jsonl",
    primaryIdentityNamespace: "CRMID",
  },
  {
    key: "loyalty",
    name: "Loyalty Members",
    description: "Loyalty program members, weekly loads from the loyalty platform.",
    schema: DATASET_SCHEMAS.loyalty,
    file: "datasets/loyalty-members.jsonl",
    primaryIdentityNamespace: "CRMID",
  },
  {
    key: "web",
    name: "Web Sign-ups",
    description: "Accounts and newsletter sign-ups from the web site.",
    schema: DATASET_SCHEMAS.web,
    file: "datasets/web-signups.jsonl",
    primaryIdentityNamespace: "Email",
  },
  {
    key: "events",
    name: "Web and Commerce Events",
    description: "Web SDK page views and commerce events.",
    schema: DATASET_SCHEMAS.events,
    file: "datasets/web-commerce-events.jsonl",
    primaryIdentityNamespace: "ECID",
  },
  {
    key: "export",
    name: "Profile Export",
    description: "Target dataset for profile and audience export jobs.",
    schema: undefined,
    file: undefined,
    primaryIdentityNamespace: undefined,
  },
];

/** The files the built-in datasets take in `datasets/` (without `.jsonl`), which config datasets may not. */
export const BUILTIN_FILES: readonly string[] = DATASETS.flatMap((d) => (d.file === undefined ? [] : [d.file.slice("datasets/".length, -".jsonl".length)]));
