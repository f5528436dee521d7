-- The resource catalog: entries with their revisions (content as JSON), the review steps taken, update
-- obligations after a change of law or duties, IT projects and the entries they must deliver.

-- One entry. Its published revision is what everyone sees; its working revision is what its provider edits or has
-- submitted. The columns after `working_rev` copy the published content's facets, for lists without the index.
CREATE TABLE resources (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    code                   TEXT NOT NULL UNIQUE,
    provider_department_id BIGINT NOT NULL REFERENCES departments(id),
    region_id              BIGINT NOT NULL REFERENCES regions(id),
    state                  TEXT NOT NULL CHECK (state IN ('unpublished', 'published', 'withdrawn', 'obsolete')),
    published_rev          BIGINT,
    working_rev            BIGINT,
    name                   TEXT NOT NULL,
    catalog_kind           TEXT NOT NULL,
    share_attr             TEXT,
    open_attr              TEXT,
    format                 TEXT,
    industry               TEXT NOT NULL DEFAULT '',
    security_level         TEXT,
    update_frequency       TEXT,
    change_seq             BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    published_at           BIGINT
);
CREATE INDEX resources_provider ON resources(provider_department_id);
CREATE INDEX resources_change ON resources(change_seq);

CREATE TABLE resource_revisions (
    resource_id     BIGINT NOT NULL REFERENCES resources(id),
    rev             BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'returned', 'published', 'superseded')),
    -- The review step it waits for while in review.
    step            TEXT CHECK (step IN ('service_check', 'authority_review', 'city_review')),
    kind            TEXT NOT NULL CHECK (kind IN ('edit', 'attribute_change')),
    content         TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '',
    downgrade       BIGINT NOT NULL DEFAULT 0,
    created_by      BIGINT REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    submitted_at    BIGINT,
    -- The day the authority must have published it by (SYS-13b), and whether that year's calendar was loaded.
    review_due      TEXT,
    due_provisional BIGINT NOT NULL DEFAULT 0,
    published_at    BIGINT,
    PRIMARY KEY (resource_id, rev)
);
CREATE INDEX resource_revisions_state ON resource_revisions(state, step);

-- Every review decision: who passed or returned which revision at which step, and why.
CREATE TABLE resource_reviews (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id   BIGINT NOT NULL REFERENCES resources(id),
    rev           BIGINT NOT NULL,
    step          TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('pass', 'return')),
    actor_user_id BIGINT REFERENCES users(id),
    actor_name    TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    decided_at    BIGINT NOT NULL
);
CREATE INDEX resource_reviews_resource ON resource_reviews(resource_id, rev);

-- Numbers for new codes, per provider.
CREATE TABLE resource_code_counters (
    department_id BIGINT PRIMARY KEY REFERENCES departments(id),
    n             BIGINT NOT NULL
);

-- The catalog's change counter: every change takes the next value, so a search index catches up from its last.
CREATE TABLE catalog_head (
    id  BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO catalog_head (id, seq) VALUES (1, 0);

-- A department's duty to update its catalog after a change of law or duties (SYS-13a, CS-16c, FS-17c).
CREATE TABLE catalog_obligations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id        BIGINT NOT NULL REFERENCES departments(id),
    cause                TEXT NOT NULL CHECK (cause IN ('law_change', 'duty_change')),
    description          TEXT NOT NULL,
    occurred_on          TEXT NOT NULL,
    due_on               TEXT,
    due_provisional      BIGINT NOT NULL DEFAULT 0,
    created_by           BIGINT REFERENCES users(id),
    created_at           BIGINT NOT NULL,
    fulfilled_at         BIGINT,
    fulfilled_on         TEXT,
    fulfilled_resource_id BIGINT REFERENCES resources(id),
    fulfilled_rev        BIGINT
);
CREATE INDEX catalog_obligations_department ON catalog_obligations(department_id);

-- IT projects and the entries they must deliver (LS-29, SYS-14, SYS-69, YZ-8, CS-13).
CREATE TABLE it_projects (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    department_id    BIGINT NOT NULL REFERENCES departments(id),
    funding          TEXT NOT NULL CHECK (funding IN ('fiscal', 'purchased_service')),
    kind             TEXT NOT NULL CHECK (kind IN ('new', 'rebuild', 'expansion', 'upgrade')),
    stage            TEXT NOT NULL CHECK (stage IN ('planning', 'approved', 'construction', 'completed', 'accepted')),
    exception_reason TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    approved_at      BIGINT
);

CREATE TABLE project_resources (
    project_id  BIGINT NOT NULL REFERENCES it_projects(id),
    resource_id BIGINT NOT NULL REFERENCES resources(id),
    PRIMARY KEY (project_id, resource_id)
);
