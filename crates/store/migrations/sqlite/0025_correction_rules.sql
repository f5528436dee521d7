-- Correction rules (SYS-28a): the providing department sets, per item of its resource, how a doubt about it is
-- verified and what evidence a correction request must bring.
CREATE TABLE correction_rules (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id         BIGINT NOT NULL REFERENCES resources(id),
    item                TEXT NOT NULL,
    description         TEXT NOT NULL,
    evidence_required   TEXT NOT NULL,
    set_by              TEXT NOT NULL,
    set_at              BIGINT NOT NULL,
    UNIQUE (resource_id, item)
);
