-- Exchange channels and department platforms outside the platform (LS-17a, CS-22e, FS-25b): registered by their
-- department, integrated into the platform or shut down, or kept as an exception the authority (or the city
-- government, whose approval document the authority records) approves.
CREATE TABLE exchange_channels (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id       BIGINT NOT NULL REFERENCES departments(id),
    -- channel or platform
    kind                TEXT NOT NULL,
    name                TEXT NOT NULL,
    -- whom it exchanges with, in the department's words
    counterparts        TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    -- built after the regulation (1) or before it (0)
    new_build           BIGINT NOT NULL,
    -- in_use, exception_requested, exception_approved or retired
    state               TEXT NOT NULL,
    exception_reason    TEXT NOT NULL DEFAULT '',
    decision_reason     TEXT NOT NULL DEFAULT '',
    approval_document   TEXT NOT NULL DEFAULT '',
    decided_by          TEXT NOT NULL DEFAULT '',
    decided_at          BIGINT,
    retired_note        TEXT NOT NULL DEFAULT '',
    retired_at          BIGINT,
    registered_by       TEXT NOT NULL,
    registered_at       BIGINT NOT NULL
);
CREATE INDEX exchange_channels_department ON exchange_channels(department_id);
