-- The DuckDB baseline for bench/export-e2e.ts: what a data engineer would write instead of profile-lab for
-- the default merge policy (no stitching; timestampOrdered, custom timestamps across datasets) and the ten
-- bench segments (bench/segments.ts), one Parquet file per segment.
-- Placeholders: {{crm}}, {{loyalty}}, {{web}}, {{events}} (each dataset as a table: read_parquet of its part
-- files for the benchmark, read_json of its JSON Lines for the end-to-end test) and {{out}} (output folder).

-- Profile records: one row per record with its profile key (the primary identity) and the attributes used.
CREATE TABLE r AS
  SELECT 'crm' AS ds, 'crmid:' || identityMap['CRMID'][1].id AS pid,
    _acp_system_metadata.ingestTime AS ingest, extSourceSystemAudit.lastUpdatedDate AS custom,
    homeAddress.countryCode AS country, loyalty.tier AS tier, NULL::VARCHAR AS optin,
    person.birthYear AS birth_year, personalEmail.address AS email, identityMap AS identity_map
  FROM {{crm}}
  UNION ALL
  SELECT 'loyalty', 'crmid:' || identityMap['CRMID'][1].id,
    _acp_system_metadata.ingestTime, extSourceSystemAudit.lastUpdatedDate,
    homeAddress.countryCode, loyalty.tier, NULL, NULL, NULL, identityMap
  FROM {{loyalty}}
  UNION ALL
  SELECT 'web', 'email:' || identityMap['Email'][1].id,
    _acp_system_metadata.ingestTime, NULL,
    homeAddress.countryCode, NULL, consents.marketing.email.val, NULL, personalEmail.address, identityMap
  FROM {{web}};

-- Fragments: one per dataset and profile, the latest record's value per attribute; the fragment's time is its
-- custom timestamp (latest record that has one) or else its ingestion time.
CREATE TABLE frag AS SELECT ds, pid, max(ingest) AS ingest,
  coalesce(arg_max(custom, ingest) FILTER (WHERE custom IS NOT NULL), max(ingest)) AS eff,
  arg_max(country, ingest) FILTER (WHERE country IS NOT NULL) AS country,
  arg_max(tier, ingest) FILTER (WHERE tier IS NOT NULL) AS tier,
  arg_max(optin, ingest) FILTER (WHERE optin IS NOT NULL) AS optin,
  arg_max(birth_year, ingest) FILTER (WHERE birth_year IS NOT NULL) AS birth_year,
  arg_max(email, ingest) FILTER (WHERE email IS NOT NULL) AS email,
  arg_max(identity_map, ingest) AS identity_map
FROM r GROUP BY ds, pid;

-- Profiles from records: the latest effective value per attribute.
CREATE TABLE prof AS SELECT pid,
  arg_max(country, (eff, ingest, ds)) FILTER (WHERE country IS NOT NULL) AS country,
  arg_max(tier, (eff, ingest, ds)) FILTER (WHERE tier IS NOT NULL) AS tier,
  arg_max(optin, (eff, ingest, ds)) FILTER (WHERE optin IS NOT NULL) AS optin,
  arg_max(birth_year, (eff, ingest, ds)) FILTER (WHERE birth_year IS NOT NULL) AS birth_year,
  arg_max(email, (eff, ingest, ds)) FILTER (WHERE email IS NOT NULL) AS email,
  arg_max(identity_map, (eff, ingest, ds)) AS identity_map
FROM frag GROUP BY pid;

-- Profiles from events (keyed by their primary identity, the ECID): the event aggregates the segments use.
CREATE TABLE ev AS SELECT 'ecid:' || identityMap['ECID'][1].id AS pid,
  count(*) FILTER (WHERE eventType = 'commerce.purchases' AND commerce."order".priceTotal > 500) AS big_orders,
  count(*) FILTER (WHERE eventType = 'commerce.purchases') AS purchases,
  count(*) FILTER (WHERE eventType = 'commerce.purchases' AND device."type" = 'mobile') AS mobile_purchases,
  count(*) FILTER (WHERE eventType = 'web.webpagedetails.pageViews') AS page_views,
  count(*) FILTER (WHERE eventType = 'commerce.productViews') AS product_views
FROM {{events}} GROUP BY pid;

COPY (SELECT * FROM prof WHERE country = 'US') TO '{{out}}/us-residents.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM prof WHERE tier IN ('gold', 'platinum')) TO '{{out}}/gold-platinum.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM prof WHERE optin = 'y') TO '{{out}}/marketing-opt-in.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM prof WHERE birth_year < 1980) TO '{{out}}/born-before-1980.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM prof WHERE contains(email, '@gmail.')) TO '{{out}}/gmail-users.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM ev WHERE big_orders > 0) TO '{{out}}/big-spenders.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM ev WHERE purchases >= 3) TO '{{out}}/frequent-buyers.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM ev WHERE mobile_purchases > 0) TO '{{out}}/mobile-purchasers.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM ev WHERE page_views >= 5) TO '{{out}}/page-view-regulars.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM ev WHERE product_views >= 2) TO '{{out}}/product-browsers.parquet' (FORMAT parquet, COMPRESSION zstd);
