-- What kind of phone an enrolled employee has (the reference app, or a web phone's passkey) and,
-- for a passkey, whether it is synced to the employee's other devices. Learnt from the server when
-- the phone binds; cleared when the employee is no longer enrolled.
ALTER TABLE iampass_tokens ADD COLUMN phone_kind TEXT;
ALTER TABLE iampass_tokens ADD COLUMN phone_synced INTEGER;
