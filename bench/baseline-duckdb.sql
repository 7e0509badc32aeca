-- The DuckDB baseline for bench/export-e2e.ts: what a data engineer would write instead of profile-lab for
-- the default merge policy (no stitching, timestampOrdered with custom timestamps across datasets) and the
-- three attribute audiences of export-jobs/audiences-per-batch.json, one Parquet file per audience.
-- Placeholders: {{datasets}} (folder of the JSONL files) and {{out}} (output folder).
CREATE TABLE recs AS
  SELECT 'crm' AS ds, json AS j FROM read_json_objects('{{datasets}}/crm-profiles.jsonl')
  UNION ALL SELECT 'loyalty', json FROM read_json_objects('{{datasets}}/loyalty-members.jsonl')
  UNION ALL SELECT 'web', json FROM read_json_objects('{{datasets}}/web-signups.jsonl');

CREATE TABLE r AS SELECT ds,
  CASE ds WHEN 'web' THEN 'email:' || (j->>'$.identityMap.Email[0].id') ELSE 'crmid:' || (j->>'$.identityMap.CRMID[0].id') END AS pid,
  CAST(j->>'$._acp_system_metadata.ingestTime' AS TIMESTAMPTZ) AS ingest,
  CAST(j->>'$.extSourceSystemAudit.lastUpdatedDate' AS TIMESTAMPTZ) AS custom,
  j->>'$.homeAddress.countryCode' AS country,
  j->>'$.loyalty.tier' AS tier,
  j->>'$.consents.marketing.email.val' AS optin,
  j->'$.identityMap' AS identity_map,
  j->'$.person' AS person
FROM recs;

-- Fragments: one per dataset and identity, latest record first; effective time = custom timestamp or ingestion.
CREATE TABLE frag AS SELECT ds, pid, max(ingest) AS ingest,
  coalesce(arg_max(custom, ingest) FILTER (WHERE custom IS NOT NULL), max(ingest)) AS eff,
  arg_max(country, ingest) FILTER (WHERE country IS NOT NULL) AS country,
  arg_max(tier, ingest) FILTER (WHERE tier IS NOT NULL) AS tier,
  arg_max(optin, ingest) FILTER (WHERE optin IS NOT NULL) AS optin,
  arg_max(identity_map, ingest) AS identity_map,
  arg_max(person, ingest) FILTER (WHERE person IS NOT NULL) AS person
FROM r GROUP BY ds, pid;

-- Profiles: the latest effective value per attribute.
CREATE TABLE prof AS SELECT pid,
  arg_max(country, (eff, ingest, ds)) FILTER (WHERE country IS NOT NULL) AS country,
  arg_max(tier, (eff, ingest, ds)) FILTER (WHERE tier IS NOT NULL) AS tier,
  arg_max(optin, (eff, ingest, ds)) FILTER (WHERE optin IS NOT NULL) AS optin,
  arg_max(identity_map, (eff, ingest, ds)) AS identity_map,
  arg_max(person, (eff, ingest, ds)) FILTER (WHERE person IS NOT NULL) AS person
FROM frag GROUP BY pid;

COPY (SELECT * FROM prof WHERE country = 'US') TO '{{out}}/us-residents.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM prof WHERE tier IN ('gold', 'platinum')) TO '{{out}}/gold-platinum.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM prof WHERE optin = 'y') TO '{{out}}/marketing-opt-in.parquet' (FORMAT parquet, COMPRESSION zstd);
