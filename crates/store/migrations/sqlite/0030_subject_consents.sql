-- Consent-based grants (FS-31a): the provider may approve an application for sensitive data on the condition that
-- each subject (person or organization) consents to its use in the grant's scenario by the consumer; the service
-- center records consents and their revocation.
ALTER TABLE share_applications ADD COLUMN consent_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE share_grants ADD COLUMN consent_required BIGINT NOT NULL DEFAULT 0;
CREATE TABLE subject_consents (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_key             TEXT NOT NULL,
    resource_id             BIGINT NOT NULL REFERENCES resources(id),
    consumer_department_id  BIGINT NOT NULL REFERENCES departments(id),
    scenario                TEXT NOT NULL,
    granted_at              BIGINT NOT NULL,
    recorded_by             TEXT NOT NULL,
    revoked_at              BIGINT,
    revoked_by              TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subject_consents_grant ON subject_consents(resource_id, consumer_department_id, revoked_at);
CREATE INDEX subject_consents_subject ON subject_consents(subject_key);
