-- Sharing (issue 5): a consumer department's applications for a resource, and the grants approved ones become.
CREATE TABLE share_applications (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id            BIGINT NOT NULL REFERENCES resources(id),
    consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
    scenario               TEXT NOT NULL,
    -- The legal or duty basis (申请依据).
    basis                  TEXT NOT NULL,
    purpose                TEXT NOT NULL,
    -- JSON lists: item names, operations (view, compare, obtain, stats), the consumer's API token ids (empty: any).
    items                  TEXT NOT NULL,
    ops                    TEXT NOT NULL,
    token_ids              TEXT NOT NULL,
    -- api or batch
    mode                   TEXT NOT NULL,
    starts_at              BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    -- provider_review, authority_review, consent, approved, refused
    state                  TEXT NOT NULL,
    received_at            BIGINT NOT NULL,
    -- The working day the answer is due (YYYY-MM-DD), where the regime sets a deadline.
    due_on                 TEXT,
    answered_at            BIGINT,
    answered_by            TEXT,
    reason                 TEXT NOT NULL DEFAULT '',
    refusal_basis          TEXT NOT NULL DEFAULT '',
    applied_by             TEXT NOT NULL
);
CREATE INDEX share_applications_resource ON share_applications(resource_id);
CREATE INDEX share_applications_consumer ON share_applications(consumer_department_id);

CREATE TABLE share_grants (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id         BIGINT NOT NULL UNIQUE REFERENCES share_applications(id),
    resource_id            BIGINT NOT NULL REFERENCES resources(id),
    consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
    scenario               TEXT NOT NULL,
    items                  TEXT NOT NULL,
    ops                    TEXT NOT NULL,
    token_ids              TEXT NOT NULL,
    mode                   TEXT NOT NULL,
    starts_at              BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    -- active, suspended, terminated
    state                  TEXT NOT NULL,
    state_reason           TEXT NOT NULL DEFAULT '',
    created_at             BIGINT NOT NULL,
    -- The last call under the grant, to the hour (idle grants are flagged, SYS-31a).
    last_used_at           BIGINT
);
CREATE INDEX share_grants_resource ON share_grants(resource_id, consumer_department_id);

-- Batch deliveries of shared data: each file's rows are ordered by its own secret, so a leaked copy is traced back
-- to the delivery (and its consumer) by the order of its keys; the file's SM3 identifies an unchanged copy.
CREATE TABLE share_deliveries (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id               BIGINT NOT NULL REFERENCES share_grants(id),
    resource_id            BIGINT NOT NULL REFERENCES resources(id),
    consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
    version                BIGINT NOT NULL,
    format                 TEXT NOT NULL,
    rows                   BIGINT NOT NULL,
    sm3                    TEXT NOT NULL,
    -- Hex; orders the file's rows.
    secret                 TEXT NOT NULL,
    delivered_to           TEXT NOT NULL,
    delivered_at           BIGINT NOT NULL
);
CREATE INDEX share_deliveries_resource ON share_deliveries(resource_id);

-- Data demands (供需对接, SYS-32): data a department needs that the catalog lacks or sharing cannot give; the
-- provider reviews within the regime's working days and catalogs and mounts accepted data within its own.
CREATE TABLE data_demands (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_department_id  BIGINT NOT NULL REFERENCES departments(id),
    provider_department_id   BIGINT NOT NULL REFERENCES departments(id),
    -- JSON list of the data items needed, as the requester names them.
    items                    TEXT NOT NULL,
    scenario                 TEXT NOT NULL,
    basis                    TEXT NOT NULL,
    description              TEXT NOT NULL,
    -- provider_review, accepted, cataloging, rejected, fulfilled
    state                    TEXT NOT NULL,
    received_at              BIGINT NOT NULL,
    due_on                   TEXT,
    answered_at              BIGINT,
    answered_by              TEXT,
    reason                   TEXT NOT NULL DEFAULT '',
    -- For accepted data not yet cataloged: when it must be published and mounted, and the entry that did it.
    catalog_due_on           TEXT,
    resource_code            TEXT,
    fulfilled_at             BIGINT,
    created_by               TEXT NOT NULL
);
CREATE INDEX data_demands_requester ON data_demands(requester_department_id);
CREATE INDEX data_demands_provider ON data_demands(provider_department_id);

-- What a consumer records of the data it obtained (SYS-20b): its use and effect, how it is stored, and — once the
-- grant has ended — that the copies are destroyed (FS-08d).
CREATE TABLE share_usage (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id      BIGINT NOT NULL REFERENCES share_grants(id),
    -- usage or destruction
    kind          TEXT NOT NULL,
    effect        TEXT NOT NULL,
    process       TEXT NOT NULL,
    storage       TEXT NOT NULL,
    destroyed_on  TEXT,
    reported_by   TEXT NOT NULL,
    reported_at   BIGINT NOT NULL
);
CREATE INDEX share_usage_grant ON share_usage(grant_id);

-- Pre-approved application scenarios (LS-19c, FS-28): the authority names a scenario, the departments taking part,
-- and the items and operations of one resource it needs; an application within it is granted at once.
CREATE TABLE share_scenarios (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    resource_id     BIGINT NOT NULL REFERENCES resources(id),
    -- JSON lists: participating department ids, item names, operations.
    department_ids  TEXT NOT NULL,
    items           TEXT NOT NULL,
    ops             TEXT NOT NULL,
    basis           TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (resource_id, name)
);
