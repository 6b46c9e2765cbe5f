-- Whether a passkey is synced to its owner's other devices (its backup state), kept beside the
-- credential so listings need not read credentials; NULL for kinds without the notion.
ALTER TABLE devices ADD COLUMN synced INTEGER;
