-- A department's core business items (核心业务梳理, LS-19a): where the regime asks, an application's scenario is one
-- of them (or a published pre-approved scenario).
CREATE TABLE business_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id   BIGINT NOT NULL REFERENCES departments(id),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    registered_by   TEXT NOT NULL,
    registered_at   BIGINT NOT NULL,
    UNIQUE (department_id, name)
);
