-- Web Push: one subscription per web phone (a new one replaces it), gone with the device; and
-- secrets the server makes for itself (the VAPID key), sealed like the others.
CREATE TABLE push_subscriptions (
    device_id  TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL,
    p256dh     BLOB NOT NULL,
    auth       BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
