-- Quality feedback (FS-08e): a department using shared data flags records it found wrong; the provider sees them,
-- and the user may turn the feedback into formal recheck requests (复核申请), one per record.
CREATE TABLE quality_feedback (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id             BIGINT NOT NULL REFERENCES resources(id),
    provider_department_id  BIGINT NOT NULL REFERENCES departments(id),
    reporter_department_id  BIGINT NOT NULL REFERENCES departments(id),
    reporter                TEXT NOT NULL,
    -- a JSON list of the records' keys
    record_keys             TEXT NOT NULL,
    item                    TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL,
    -- open, or rechecked (turned into correction requests)
    state                   TEXT NOT NULL,
    -- a JSON list of the correction requests made from it
    correction_ids          TEXT NOT NULL DEFAULT '[]',
    created_at              BIGINT NOT NULL
);
CREATE INDEX quality_feedback_departments ON quality_feedback(provider_department_id, reporter_department_id);
