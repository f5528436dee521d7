-- A department's yearly lists (CS-25a: 每年更新本部门的数据共享清单、数据开放清单、数据应用场景清单), as submitted;
-- submitting again in the same year replaces the earlier one.
CREATE TABLE list_submissions (
    department_id BIGINT NOT NULL REFERENCES departments(id),
    kind          TEXT NOT NULL,
    year          BIGINT NOT NULL,
    rows          TEXT NOT NULL,
    row_count     BIGINT NOT NULL,
    submitted_by  TEXT NOT NULL,
    submitted_at  BIGINT NOT NULL,
    PRIMARY KEY (department_id, kind, year)
);
