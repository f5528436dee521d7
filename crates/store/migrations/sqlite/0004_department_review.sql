-- A department's own review of its entries (FS-17b: 编制、审核、发布 by different people): a new review step,
-- and who submitted a revision, so the reviewer can be someone else. SQLite cannot change a CHECK constraint,
-- so the table is rebuilt with the new one.
CREATE TABLE resource_revisions_new (
    resource_id     BIGINT NOT NULL REFERENCES resources(id),
    rev             BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'returned', 'published', 'superseded')),
    step            TEXT CHECK (step IN ('department_review', 'service_check', 'authority_review', 'city_review')),
    kind            TEXT NOT NULL CHECK (kind IN ('edit', 'attribute_change')),
    content         TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '',
    downgrade       BIGINT NOT NULL DEFAULT 0,
    created_by      BIGINT REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    submitted_at    BIGINT,
    review_due      TEXT,
    due_provisional BIGINT NOT NULL DEFAULT 0,
    published_at    BIGINT,
    submitted_by    BIGINT REFERENCES users(id),
    PRIMARY KEY (resource_id, rev)
);
INSERT INTO resource_revisions_new
    (resource_id, rev, state, step, kind, content, note, evidence, downgrade, created_by, created_at, updated_at,
     submitted_at, review_due, due_provisional, published_at)
SELECT resource_id, rev, state, step, kind, content, note, evidence, downgrade, created_by, created_at, updated_at,
       submitted_at, review_due, due_provisional, published_at
FROM resource_revisions;
DROP TABLE resource_revisions;
ALTER TABLE resource_revisions_new RENAME TO resource_revisions;
CREATE INDEX resource_revisions_state ON resource_revisions(state, step);
