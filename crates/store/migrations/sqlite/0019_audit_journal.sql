-- Access events are journaled on their node before they reach the chain (store::audit::journal); per node, the last
-- journal entry the database holds, moved in the same transaction as the events, so a restart replays exactly the rest.
CREATE TABLE audit_journal_marks (
    node  TEXT PRIMARY KEY,
    seq   BIGINT NOT NULL
);
