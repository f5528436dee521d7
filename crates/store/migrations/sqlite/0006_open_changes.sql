-- The open catalog's public change log (LS-21a: 向社会公布并动态更新): an entry added to, updated in or withdrawn
-- from the open catalog, written in the transaction that publishes or withdraws it.
CREATE TABLE open_catalog_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id BIGINT NOT NULL REFERENCES resources(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('added', 'updated', 'withdrawn')),
    rev         BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX open_catalog_changes_at ON open_catalog_changes(at);
