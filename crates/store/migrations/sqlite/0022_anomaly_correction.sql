-- A token an anomaly suspended (SYS-31a, YZ-27d) is refused until the authority resumes it; a token issued for a
-- bulk system declares how many distinct keys it looks up in an hour (none: the profile's number).
ALTER TABLE api_tokens ADD COLUMN suspended_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN keys_per_hour BIGINT;

-- Correction requests (校核, LS-13, SYS-28, FS-30): a user of shared data doubts a record and the provider verifies
-- it within the regime's working days. While one is open the record is served flagged as under verification.
CREATE TABLE corrections (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id             BIGINT NOT NULL REFERENCES resources(id),
    record_key              TEXT NOT NULL,
    item                    TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL,
    evidence                TEXT NOT NULL DEFAULT '',
    -- api or manual (LS-13b: by interface or by entry on the platform)
    channel                 TEXT NOT NULL,
    reporter_department_id  BIGINT REFERENCES departments(id),
    reporter                TEXT NOT NULL,
    provider_department_id  BIGINT NOT NULL REFERENCES departments(id),
    -- received or resolved
    state                   TEXT NOT NULL,
    -- confirmed_correct or corrected, with what was done
    outcome                 TEXT NOT NULL DEFAULT '',
    resolution              TEXT NOT NULL DEFAULT '',
    received_at             BIGINT NOT NULL,
    due_on                  TEXT,
    resolved_at             BIGINT,
    resolved_by             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX corrections_resource_state ON corrections(resource_id, state);
CREATE INDEX corrections_provider ON corrections(provider_department_id, state);
