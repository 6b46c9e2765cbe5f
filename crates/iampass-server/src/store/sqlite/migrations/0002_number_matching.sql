-- Number matching (off by default for compatibility with clients that cannot show a code).
ALTER TABLE applications ADD COLUMN number_matching INTEGER NOT NULL DEFAULT 0;
-- The code the login screen shows and the phone must send back; short-lived, checked once.
ALTER TABLE sessions ADD COLUMN code TEXT;
