-- A profile either holds the application secret (the console acts as the application) or signs
-- staff in with their phones (no secret on this machine).
ALTER TABLE profiles ADD COLUMN staff_sign_in INTEGER NOT NULL DEFAULT 0;
