-- Warnings and alerts the platform raises (报送逾期预警, FS-44c): to a department, and to the authority too when
-- something is overdue. One per kind, object and due instant; resolved when the obligation moves on.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- delivery_due_soon, delivery_overdue, …
    kind          TEXT NOT NULL,
    object_kind   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    department_id BIGINT NOT NULL,
    -- 1 when the authority is told as well.
    to_authority  BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    message       TEXT NOT NULL,
    message_en    TEXT NOT NULL,
    raised_at     BIGINT NOT NULL,
    resolved_at   BIGINT,
    UNIQUE (kind, object_id, due_at)
);
CREATE INDEX alerts_department ON alerts(department_id);
