-- A year's version of a catalog list (CS-25b: the authority publishes the city-wide lists to the departments),
-- kept as it was published.
CREATE TABLE catalog_lists (
    kind         TEXT NOT NULL,
    year         BIGINT NOT NULL,
    rows         TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);
