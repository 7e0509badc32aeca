/**
 * Catalog records as the platform's Catalog Service returns them, as far as profile-lab fills them.
 */

/** A batch (`/data/foundation/catalog/batches/{id}`); exports create them in `loading` and end them in `success` or `failed`. */
export interface BatchRecord {
  id: string;
  imsOrg: string;
  status: "loading" | "success" | "failed";
  created: number;
  updated: number;
  completed?: number;
  relatedObjects: { type: "dataSet"; id: string }[];
  version: "1.0.0";
  inputFormat: { format: "parquet" };
  recordCount?: number;
  size?: number;
  files?: { name: string; path: string; rows: number; length: number }[];
  tags?: { segmentId?: string[]; exportJobId: string[] };
}

