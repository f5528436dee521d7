-- One data, one source (issue 4): the register of source departments (数源部门) per class of data, and the
-- authority's settlement of each item a resource collects although another department is its source (重复采集).
CREATE TABLE data_sources (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The city's or a district's register.
    region_code   TEXT NOT NULL,
    class_name    TEXT NOT NULL,
    -- natural_person, legal_person, spatial, other
    subject       TEXT NOT NULL,
    -- JSON: the item labels the class covers.
    items         TEXT NOT NULL,
    -- JSON: the words the regulation names its departments by, for the authority's mapping.
    hints         TEXT NOT NULL,
    basis         TEXT NOT NULL,
    standard      TEXT NOT NULL,
    -- JSON: [{department_id, items}] — one source, or several with their division.
    parties       TEXT NOT NULL,
    -- designated, division_pending, unassigned
    status        TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (region_code, class_name)
);

CREATE TABLE collection_settlements (
    resource_id BIGINT NOT NULL REFERENCES resources(id),
    item_name   TEXT NOT NULL,
    -- use_sharing (stop collecting it, obtain it by sharing) or justified (collecting it is allowed)
    decision    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    settled_by  TEXT NOT NULL,
    settled_at  BIGINT NOT NULL,
    PRIMARY KEY (resource_id, item_name)
);
