-- Recovery: a push may now ask a second staff member to approve another's recovery, carrying what
-- it asks (`recovery_ask`: who asks, for which user, why, what they checked). SQLite cannot
-- change a CHECK in place, so the sessions table is rebuilt with the same columns (the migration
-- runs with foreign keys off, so staff_tokens' rows are kept; `migrate` checks them after).
CREATE TABLE sessions_new (
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
    deadline_at      INTEGER,
    code             TEXT,
    origin_address   TEXT,
    origin_agent     TEXT,
    purpose          TEXT NOT NULL DEFAULT 'login'
        CHECK (purpose IN ('login', 'verification', 'console_sign_in', 'recovery_approval')),
    verifier         TEXT,
    recovery_ask     TEXT
) STRICT;
INSERT INTO sessions_new (seq, id, token, secret_sealed, app_id, user_id, device_id, status, reason, methods,
                          satisfied, duration_ms, created_at, authenticated_at, walkaway_since, updated_at,
                          deadline_at, code, origin_address, origin_agent, purpose, verifier)
    SELECT seq, id, token, secret_sealed, app_id, user_id, device_id, status, reason, methods,
           satisfied, duration_ms, created_at, authenticated_at, walkaway_since, updated_at,
           deadline_at, code, origin_address, origin_agent, purpose, verifier
    FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_by_app ON sessions(app_id, seq);
CREATE INDEX sessions_by_app_status ON sessions(app_id, status, seq);
CREATE INDEX sessions_by_user ON sessions(user_id, seq);
CREATE INDEX sessions_by_device ON sessions(device_id, status) WHERE device_id IS NOT NULL;
CREATE INDEX sessions_due ON sessions(deadline_at) WHERE deadline_at IS NOT NULL;

-- Recoveries: a staff member's request to move an employee to a new phone and its evidence (the
-- verification's session, or the push to the approving staff member's phone). A session backs at
-- most one recovery. No employee name: the user's row, the staff members' ids and names.
CREATE TABLE recoveries (
    id                TEXT PRIMARY KEY,
    app_id            TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    requested_by      TEXT NOT NULL,
    requested_by_name TEXT NOT NULL,
    requested_at      INTEGER NOT NULL,
    reason            TEXT NOT NULL,
    check_done        TEXT NOT NULL,
    evidence          TEXT NOT NULL CHECK (evidence IN ('verification', 'second_staff')),
    session_id        TEXT NOT NULL UNIQUE,
    approver_id       TEXT,
    approver_name     TEXT,
    approved_at       INTEGER,
    state             TEXT NOT NULL CHECK (state IN ('waiting', 'approved', 'refused', 'used', 'expired')),
    link_issued_at    INTEGER
) STRICT;
CREATE INDEX recoveries_by_user ON recoveries(user_id, requested_at);
CREATE INDEX recoveries_by_staff ON recoveries(app_id, requested_by, requested_at);

-- Holds on an employee's recoveries, placed by the server, cleared by an admin with a reason.
CREATE TABLE recovery_holds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    held_at      INTEGER NOT NULL,
    why          TEXT NOT NULL,
    cleared_at   INTEGER,
    cleared_by   TEXT,
    clear_reason TEXT
) STRICT;
CREATE UNIQUE INDEX recovery_holds_live ON recovery_holds(user_id) WHERE cleared_at IS NULL;
CREATE INDEX recovery_holds_by_user ON recovery_holds(user_id, cleared_at);
