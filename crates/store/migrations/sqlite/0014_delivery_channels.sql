-- Delivery channels (issue 4): a batch remembers the caller's idempotency key (API push, the push client) and
-- whether it replaced the dataset or merged into it by key; database sync jobs read a department's own table.
ALTER TABLE batches ADD COLUMN external_id TEXT;
ALTER TABLE batches ADD COLUMN mode TEXT NOT NULL DEFAULT 'replace';
-- One batch per key and resource: a repeated push answers the first one's report.
CREATE UNIQUE INDEX batches_external ON batches(resource_id, external_id);

CREATE TABLE sync_jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id      BIGINT NOT NULL REFERENCES resources(id),
    -- postgres or mysql
    engine           TEXT NOT NULL,
    -- The connection URL sealed with the node's secret key (SM4-GCM); never sent back.
    connection       TEXT NOT NULL,
    -- The URL with its password masked, to show.
    connection_shown TEXT NOT NULL,
    source_table     TEXT NOT NULL,
    -- JSON object: item name -> source column, for items whose column is named otherwise.
    columns          TEXT NOT NULL,
    -- full (replace each run) or incremental (rows past the cursor, merged by key)
    mode             TEXT NOT NULL,
    cursor_column    TEXT,
    cursor_value     TEXT,
    -- Minutes between runs; none: only when asked.
    interval_minutes BIGINT,
    next_run_at      BIGINT,
    -- A node running the job holds it until then (a crashed node's claim lapses).
    claimed_until    BIGINT,
    last_run_at      BIGINT,
    last_batch_id    BIGINT,
    last_error       TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX sync_jobs_resource ON sync_jobs(resource_id);
