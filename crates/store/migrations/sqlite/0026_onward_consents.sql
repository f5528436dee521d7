-- Data a department obtained through sharing, offered on in an entry of its own that is shared or open: the
-- consent of the providing department (SYS-33b) or the authority's approval (CS-22f), where the regime allows it.
CREATE TABLE onward_consents (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the resource whose shared data is offered on, and its consumer
    resource_id             BIGINT NOT NULL REFERENCES resources(id),
    consumer_department_id  BIGINT NOT NULL REFERENCES departments(id),
    -- the consumer's entry that offers it on
    derived_code            TEXT NOT NULL,
    reason                  TEXT NOT NULL,
    -- requested, approved or refused
    state                   TEXT NOT NULL,
    requested_by            TEXT NOT NULL,
    requested_at            BIGINT NOT NULL,
    answered_by             TEXT NOT NULL DEFAULT '',
    answered_at             BIGINT,
    answer_reason           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX onward_consents_consumer ON onward_consents(consumer_department_id, derived_code);
