-- A device has a kind (each kind is one authenticator module); what it checks signatures with is
-- its credential (for the reference phone, `app`, the Ed25519 public key that was `public_key`).
-- `devices_one_active` stays: one active device per user is a decision (domain/device.rs).
ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'app';
ALTER TABLE devices RENAME COLUMN public_key TO credential;

-- Who acted, beside which application: the kind of actor (`application` today, staff next) and its id.
ALTER TABLE audit ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'application';
ALTER TABLE audit ADD COLUMN actor_id TEXT;
