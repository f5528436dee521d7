-- An application states how the data is used (FS-08b: 使用逻辑) and, where the regime asks, carries the applicant's
-- undertaking to use the data only as stated and pass it to no third party (LS-19b, YZ-16).
ALTER TABLE share_applications ADD COLUMN use_logic TEXT NOT NULL DEFAULT '';
ALTER TABLE share_applications ADD COLUMN undertaking BIGINT NOT NULL DEFAULT 0;
