-- Management actions, for operators and the console: who (source address) did what to whom, when.
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id  TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT,
    source  TEXT,
    status  INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_by_app ON audit(app_id, id);
