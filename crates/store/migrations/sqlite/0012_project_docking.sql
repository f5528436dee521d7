-- A new business system's docking description and the share and open interfaces it reserves (CS-13c).
ALTER TABLE it_projects ADD COLUMN docking_document TEXT NOT NULL DEFAULT '';
ALTER TABLE it_projects ADD COLUMN share_interface TEXT NOT NULL DEFAULT '';
ALTER TABLE it_projects ADD COLUMN open_interface TEXT NOT NULL DEFAULT '';
