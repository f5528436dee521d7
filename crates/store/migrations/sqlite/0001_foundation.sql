-- Foundation: settings, organizations, users, sessions, API tokens, the working-day calendar, the audit chain.
-- Flags are 0/1 integers on both backends: sqlx's Any driver cannot decode SQLite booleans.
-- Instants are BIGINT microseconds since the Unix epoch (UTC) on both backends.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    name_en    TEXT NOT NULL DEFAULT '',
    level      TEXT NOT NULL CHECK (level IN ('city', 'district')),
    parent_id  INTEGER REFERENCES regions(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE departments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    name_en    TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('authority', 'service_center', 'department', 'public_utility')),
    region_id  INTEGER NOT NULL REFERENCES regions(id),
    uscc       TEXT NOT NULL UNIQUE,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    created_by    INTEGER REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);

CREATE TABLE login_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    username    TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    at          BIGINT NOT NULL,
    ok          INTEGER NOT NULL
);
CREATE INDEX login_attempts_user_at ON login_attempts(username, at);

CREATE TABLE calendar_years (
    year      INTEGER PRIMARY KEY,
    notice    TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    loaded_by TEXT NOT NULL
);

CREATE TABLE audit_events (
    seq                 BIGINT PRIMARY KEY,
    occurred_at         BIGINT NOT NULL,
    actor_user_id       BIGINT,
    actor_name          TEXT NOT NULL,
    actor_department_id BIGINT,
    actor_role          TEXT NOT NULL,
    action              TEXT NOT NULL,
    object_kind         TEXT NOT NULL,
    object_id           TEXT NOT NULL,
    purpose             TEXT NOT NULL,
    result              TEXT NOT NULL,
    client_addr         TEXT NOT NULL,
    detail              TEXT NOT NULL,
    prev_hash           TEXT NOT NULL,
    hash                TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events(occurred_at);
CREATE INDEX audit_events_action ON audit_events(action, occurred_at);
CREATE INDEX audit_events_actor ON audit_events(actor_user_id, occurred_at);

-- The head of the chain: one row, updated by every append, so concurrent appenders serialize on it.
-- anchor_*: the last event removed by a retention purge; verification starts after it.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    anchor_seq  BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash, anchor_seq, anchor_hash) VALUES
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
        0, '0000000000000000000000000000000000000000000000000000000000000000');

INSERT INTO settings (key, value) VALUES ('audit_retention_years', '3');

-- Append-only: the platform never edits an event, and deletes one only after the retention period (SYS-20).
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_retention BEFORE DELETE ON audit_events
WHEN OLD.occurred_at > (CAST(strftime('%s', 'now') AS INTEGER) * 1000000
                        - (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'audit_retention_years')
                          * 31557600000000)
BEGIN
    SELECT RAISE(ABORT, 'audit events are kept for the retention period');
END;
