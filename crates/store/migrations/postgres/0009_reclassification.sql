-- Why a revision classifies or grades the data differently (SYS-11e), from the reasons the regulation names.
ALTER TABLE resource_revisions ADD COLUMN reclassification TEXT NOT NULL DEFAULT '';
