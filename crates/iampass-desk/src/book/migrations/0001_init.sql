-- Employees: the only place personal data lives. The server knows each only by a random token.
CREATE TABLE employees (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    employee_number TEXT NOT NULL DEFAULT '',
    department      TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX employees_number ON employees(employee_number) WHERE employee_number != '';
CREATE INDEX employees_name ON employees(name COLLATE NOCASE);

-- IAMPASS tokens: the user id the server sees (128 random bits), with enrolment state.
CREATE TABLE iampass_tokens (
    employee_id     INTEGER PRIMARY KEY REFERENCES employees(id) ON DELETE CASCADE,
    token           TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('not_enrolled', 'link_issued', 'enrolled', 'lost')),
    link_expires_at INTEGER,
    enrolled_at     INTEGER,
    updated_at      INTEGER NOT NULL
) STRICT;

-- Every operator action, kept when the employee is removed (name copied, id nulled).
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    operator      TEXT NOT NULL,
    action        TEXT NOT NULL,
    employee_id   INTEGER REFERENCES employees(id) ON DELETE SET NULL,
    employee_name TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL CHECK (result IN ('ok', 'error')),
    detail        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_by_time ON audit_log(at);

-- Connection profiles (the secret is in the keyring, or the flagged file fallback) and settings.
CREATE TABLE profiles (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    server_url     TEXT NOT NULL,
    application_id TEXT NOT NULL,
    embedded       INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
