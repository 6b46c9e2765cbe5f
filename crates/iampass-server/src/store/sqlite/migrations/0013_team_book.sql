-- The team book: each application's employees as the desks sealed them, which the server keeps and
-- relays but cannot read. One row an employee (by their user id), replaced in place at every
-- write; a removed employee keeps a row without its sealed bytes, so that a desk that was offline
-- learns of the removal. `revision` is the book's change counter at the write: a desk catches up
-- from the last one it saw.
CREATE TABLE book_entries (
    app_id     TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    sealed     BLOB,
    writer     TEXT NOT NULL,
    written_at INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
) STRICT;
CREATE INDEX book_entries_revision ON book_entries(app_id, revision);

-- Each application's book: the key's generation (0: no key yet) and the change counter. Every
-- write updates this row first, so writes to one book are serialized and revisions commit in order.
CREATE TABLE books (
    app_id     TEXT PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    revision   INTEGER NOT NULL
) STRICT;

-- Desks (console installations) and the book key wrapped to each one's public key.
CREATE TABLE desks (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    public_key   BLOB NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    approved_by  TEXT,
    approved_at  INTEGER,
    generation   INTEGER,
    wrapped      BLOB
) STRICT;
CREATE INDEX desks_app ON desks(app_id);
CREATE UNIQUE INDEX desks_key ON desks(app_id, public_key);
