-- Deliveries (batches) and the dataset versions the accepted ones became (issue 4). A version row is written in the
-- transaction that records its batch and audit event, after its Parquet file is complete in the lake.
CREATE TABLE batches (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id      BIGINT NOT NULL REFERENCES resources(id),
    -- file, api, sync, push
    channel          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('committed', 'refused')),
    source_name      TEXT NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_accepted    BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_normalized  BIGINT NOT NULL,
    -- The report as JSON: problems by item, samples, refusal reason.
    report           TEXT NOT NULL,
    quarantine_path  TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX batches_resource ON batches(resource_id);

CREATE TABLE dataset_versions (
    resource_id BIGINT NOT NULL REFERENCES resources(id),
    version     BIGINT NOT NULL,
    batch_id    BIGINT NOT NULL REFERENCES batches(id),
    path        TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    -- The columns as JSON: [{name, type}].
    schema      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (resource_id, version)
);
