-- Applications: the integrating apps. The secret is sealed (see crypto.rs), never stored plain.
CREATE TABLE applications (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    secret_sealed     BLOB NOT NULL,
    created_at        INTEGER NOT NULL,
    secret_rotated_at INTEGER NOT NULL
) STRICT;

-- Users: soft-deleted so the sessions and devices that named them keep their history.
CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX users_live ON users(app_id, external_id) WHERE deleted_at IS NULL;
CREATE INDEX users_by_app ON users(app_id, id) WHERE deleted_at IS NULL;

-- Registration links: only the token's SHA-256 is kept. At most one live link per user.
CREATE TABLE registration_links (
    token_hash   BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_name TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('live', 'used', 'revoked')),
    ended_at     INTEGER
) STRICT;
CREATE UNIQUE INDEX links_one_live ON registration_links(user_id) WHERE state = 'live';

-- Devices: every phone ever bound, with its lifecycle. Only the public key is kept.
CREATE TABLE devices (
    id               TEXT PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    public_key       BLOB NOT NULL,
    name             TEXT NOT NULL,
    platform         TEXT NOT NULL,
    bound_at         INTEGER NOT NULL,
    bound_from       TEXT,
    bound_user_agent TEXT,
    nearby           INTEGER NOT NULL DEFAULT 1,
    last_seen_at     INTEGER,
    disabled_at      INTEGER,
    disabled_reason  TEXT
) STRICT;
CREATE UNIQUE INDEX devices_one_active ON devices(user_id) WHERE disabled_at IS NULL;

-- Login sessions. `seq` orders listings (cursor paging); `deadline_at` is the next time-driven
-- change, indexed so the sweeper finds due sessions without a scan.
CREATE TABLE sessions (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    token            TEXT NOT NULL UNIQUE,
    secret_sealed    BLOB NOT NULL,
    app_id           TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id        TEXT REFERENCES devices(id) ON DELETE SET NULL,
    status           TEXT NOT NULL,
    reason           TEXT,
    methods          TEXT NOT NULL,
    satisfied        TEXT NOT NULL DEFAULT '',
    duration_ms      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    authenticated_at INTEGER,
    walkaway_since   INTEGER,
    updated_at       INTEGER NOT NULL,
    deadline_at      INTEGER
) STRICT;
CREATE INDEX sessions_by_app ON sessions(app_id, seq);
CREATE INDEX sessions_by_app_status ON sessions(app_id, status, seq);
CREATE INDEX sessions_by_user ON sessions(user_id, seq);
CREATE INDEX sessions_by_device ON sessions(device_id, status) WHERE device_id IS NOT NULL;
CREATE INDEX sessions_due ON sessions(deadline_at) WHERE deadline_at IS NOT NULL;

-- The change log behind the event stream; ids only grow (AUTOINCREMENT) so Last-Event-ID resumes.
CREATE TABLE events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    data   TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_app ON events(app_id, id);
CREATE INDEX events_by_time ON events(at);
