-- Disputes between departments (争议, SYS-29, FS-26c): negotiated by the parties, coordinated by the authority of
-- coordinator_region_id, referred with its opinion to the body the profile names, decided with a reference.
CREATE TABLE share_disputes (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    filer_department_id      BIGINT NOT NULL REFERENCES departments(id),
    respondent_department_id BIGINT NOT NULL REFERENCES departments(id),
    -- The resource and the application it concerns, where it concerns one.
    resource_id              BIGINT REFERENCES resources(id),
    application_id           BIGINT REFERENCES share_applications(id),
    subject                  TEXT NOT NULL,
    -- What the filer needs and why (the scenario a decided grant is for).
    claim                    TEXT NOT NULL,
    scenario                 TEXT NOT NULL,
    -- negotiating, coordinating, referred, resolved
    state                    TEXT NOT NULL,
    -- agreed, coordinated, decided, withdrawn (once resolved)
    outcome                  TEXT,
    -- The region whose authority coordinates (set on escalation).
    coordinator_region_id    BIGINT REFERENCES regions(id),
    opened_by                TEXT NOT NULL,
    opened_at                BIGINT NOT NULL,
    escalated_at             BIGINT,
    escalation_reason        TEXT NOT NULL DEFAULT '',
    -- The authority's opinion when it refers the dispute for decision (SYS-29b).
    opinion                  TEXT NOT NULL DEFAULT '',
    referred_at              BIGINT,
    -- The decision's document reference and text, or the agreement reached.
    decision_ref             TEXT NOT NULL DEFAULT '',
    resolution               TEXT NOT NULL DEFAULT '',
    -- A grant the decision made (FS-26c).
    grant_id                 BIGINT REFERENCES share_grants(id),
    resolved_by              TEXT,
    resolved_at              BIGINT
);
CREATE INDEX share_disputes_filer ON share_disputes(filer_department_id);
CREATE INDEX share_disputes_respondent ON share_disputes(respondent_department_id);

-- Requests for data the city platform cannot obtain itself (SYS-34, FS-27): from a department through its own
-- authority, and a district's through the city's, which alone applies to the province or the nation.
CREATE TABLE upstream_requests (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_department_id  BIGINT NOT NULL REFERENCES departments(id),
    -- province, national, other_region; and who holds the data there, as the requester names it
    target                   TEXT NOT NULL,
    holder                   TEXT NOT NULL,
    description              TEXT NOT NULL,
    -- JSON list of the items needed.
    items                    TEXT NOT NULL,
    scenario                 TEXT NOT NULL,
    basis                    TEXT NOT NULL,
    -- local_review, city_review, submitted, obtained, refused, returned
    state                    TEXT NOT NULL,
    filed_by                 TEXT NOT NULL,
    filed_at                 BIGINT NOT NULL,
    forwarded_at             BIGINT,
    submitted_at             BIGINT,
    -- The higher level's reference for the application (SYS-34b).
    external_ref             TEXT NOT NULL DEFAULT '',
    answer                   TEXT NOT NULL DEFAULT '',
    answered_by              TEXT,
    answered_at              BIGINT
);
CREATE INDEX upstream_requests_requester ON upstream_requests(requester_department_id);

-- A demand escalated from a refused application (YZ-15c) names it.
ALTER TABLE data_demands ADD COLUMN source_application_id BIGINT REFERENCES share_applications(id);

-- An application from another region or level passes the consumer's own authority and the city's first (FS-27):
-- the region whose authority holds it while it is forwarding.
ALTER TABLE share_applications ADD COLUMN via_region_id BIGINT REFERENCES regions(id);

-- A grant a dispute's decision made (FS-26c) stands whatever the entry's share attribute says.
ALTER TABLE share_grants ADD COLUMN dispute_id BIGINT REFERENCES share_disputes(id);
