-- Consulting the providing institution (YZ-7c: 编制公共数据资源目录应当征求提供公共数据的机构意见): a revision
-- someone other than its provider wrote waits for the provider's opinion before it is published.
CREATE TABLE catalog_consultations (
    resource_id   BIGINT NOT NULL REFERENCES resources(id),
    rev           BIGINT NOT NULL,
    department_id BIGINT NOT NULL REFERENCES departments(id),
    opened_by     TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    opinion       TEXT CHECK (opinion IN ('agree', 'disagree')),
    comment       TEXT NOT NULL DEFAULT '',
    answered_by   TEXT,
    answered_at   BIGINT,
    PRIMARY KEY (resource_id, rev)
);
