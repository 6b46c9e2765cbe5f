-- Staff accounts (help-desk members with a role). A staff member's phone lives in the
-- application's *staff realm*: a hidden application (`staff_of` names the one it serves) whose
-- users are staff ids. Keeping staff phones out of the application's own users means nothing an
-- integrating app or a lower role can do to users (issue a link, report a phone lost, delete)
-- can reach a staff member's phone.
ALTER TABLE applications ADD COLUMN staff_of TEXT REFERENCES applications(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX applications_staff_realm ON applications(staff_of) WHERE staff_of IS NOT NULL;
-- How long a console sign-in lasts: absolute, and without a request.
ALTER TABLE applications ADD COLUMN staff_token_secs INTEGER NOT NULL DEFAULT 28800;
ALTER TABLE applications ADD COLUMN staff_idle_secs INTEGER NOT NULL DEFAULT 900;

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('kiosk', 'helpdesk', 'auditor', 'admin')),
    created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX staff_name ON staff(app_id, name COLLATE NOCASE);

-- A sign-in in progress. The id the console holds is stored only as a hash; a sign-in for an
-- unknown name has no staff and no session, and answers like a known one that nobody approves.
CREATE TABLE staff_sign_ins (
    id_hash BLOB PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    staff_id TEXT REFERENCES staff(id) ON DELETE CASCADE,
    session_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    token_issued INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX staff_sign_ins_expiry ON staff_sign_ins(expires_at);

-- Bearer tokens of signed-in staff, stored only as a hash. A token lives while its sign-in
-- session (in the staff realm) is live: logging that session out on the phone ends it too.
CREATE TABLE staff_tokens (
    hash BLOB PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) STRICT;
CREATE INDEX staff_tokens_staff ON staff_tokens(staff_id);
CREATE INDEX staff_tokens_expiry ON staff_tokens(expires_at);

-- The audit log names a staff member by name as well as id (names can be reused after removal).
ALTER TABLE audit ADD COLUMN actor_name TEXT;
