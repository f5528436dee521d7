-- An application from a department outside the entry's named departments, which the provider decides (LS-18c: 受限
-- 共享 may still be given to others on the provider's decision), and the grant such a decision makes.
ALTER TABLE share_applications ADD COLUMN beyond_scope BIGINT NOT NULL DEFAULT 0;
ALTER TABLE share_grants ADD COLUMN beyond_scope BIGINT NOT NULL DEFAULT 0;
