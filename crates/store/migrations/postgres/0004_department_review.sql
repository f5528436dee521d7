-- A department's own review of its entries (FS-17b: 编制、审核、发布 by different people): a new review step,
-- and who submitted a revision, so the reviewer can be someone else.
ALTER TABLE resource_revisions DROP CONSTRAINT resource_revisions_step_check;
ALTER TABLE resource_revisions ADD CONSTRAINT resource_revisions_step_check
    CHECK (step IN ('department_review', 'service_check', 'authority_review', 'city_review'));
ALTER TABLE resource_revisions ADD COLUMN submitted_by BIGINT REFERENCES users(id);
