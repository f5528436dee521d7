-- Data push (数据推送, CS-21c): a consumer's subscriptions under push grants, each with the endpoint its changes go
-- to and the secret they are signed with (sealed under the node's key).
CREATE TABLE share_subscriptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id        BIGINT NOT NULL REFERENCES share_grants(id),
    endpoint        TEXT NOT NULL,
    secret_sealed   TEXT NOT NULL,
    -- active or stopped
    state           TEXT NOT NULL,
    stop_reason     TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- The newest version queued for it: versions after it are queued next.
    queued_version  BIGINT
);
CREATE INDEX share_subscriptions_grant ON share_subscriptions(grant_id);

-- One push per subscription and version: the changes since base_version (none: the whole version), retried until
-- delivered or given up; claimed by one worker at a time.
CREATE TABLE share_pushes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id  BIGINT NOT NULL REFERENCES share_subscriptions(id),
    version          BIGINT NOT NULL,
    base_version     BIGINT,
    -- pending, delivered, failed, cancelled
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    last_error       TEXT NOT NULL,
    upserts          BIGINT,
    deletes          BIGINT,
    -- SM3 of the body delivered.
    sm3              TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (subscription_id, version)
);
CREATE INDEX share_pushes_due ON share_pushes(state, next_attempt_at);
