-- Objections to an entry's share or open type (FS-16), and each deciding party's latest position.
CREATE TABLE classification_objections (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id             BIGINT NOT NULL REFERENCES resources(id),
    kind                    TEXT NOT NULL CHECK (kind IN ('share', 'open')),
    current_attr            TEXT NOT NULL,
    proposed_attr           TEXT NOT NULL,
    grounds                 TEXT NOT NULL,
    raised_by_department_id BIGINT NOT NULL REFERENCES departments(id),
    raised_by               TEXT NOT NULL,
    state                   TEXT NOT NULL CHECK (state IN ('negotiating', 'kept', 'changed')),
    -- The revision that applied a change.
    applied_rev             BIGINT,
    created_at              BIGINT NOT NULL,
    closed_at               BIGINT
);
CREATE INDEX classification_objections_resource ON classification_objections(resource_id);

CREATE TABLE objection_positions (
    objection_id  BIGINT NOT NULL REFERENCES classification_objections(id),
    party         TEXT NOT NULL CHECK (party IN ('source', 'authority', 'disclosure')),
    outcome       TEXT NOT NULL CHECK (outcome IN ('keep', 'change')),
    comment       TEXT NOT NULL,
    -- The source department's new sharing or opening section (JSON) when it agrees to change; '' otherwise.
    proposal      TEXT NOT NULL,
    actor_name    TEXT NOT NULL,
    at            BIGINT NOT NULL,
    PRIMARY KEY (objection_id, party)
);
