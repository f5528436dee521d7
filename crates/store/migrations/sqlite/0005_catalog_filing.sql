-- Filing (备案) of a fulfilled update obligation with the authority (CS-16d): pending until it acknowledges.
ALTER TABLE catalog_obligations ADD COLUMN filing_status TEXT;
ALTER TABLE catalog_obligations ADD COLUMN filed_at BIGINT;
ALTER TABLE catalog_obligations ADD COLUMN filed_by TEXT;
