-- Incremental sync reads rows at or past its cursor (issue 4): a row written later with the same cursor value as the
-- last one read is not missed. The rows already read at that value are remembered by fingerprint (a JSON array of
-- 16-hex-digit SM3 prefixes) and skipped.
ALTER TABLE sync_jobs ADD COLUMN cursor_seen TEXT NOT NULL DEFAULT '[]';
