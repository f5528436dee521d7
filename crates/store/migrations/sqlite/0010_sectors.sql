-- Sectors (系统, LS-8a): each named by its 行业分类, with the municipal department designated responsible for it.
CREATE TABLE sectors (
    name                      TEXT PRIMARY KEY,
    responsible_department_id BIGINT NOT NULL REFERENCES departments(id),
    designated_by             TEXT NOT NULL,
    designated_at             BIGINT NOT NULL
);
