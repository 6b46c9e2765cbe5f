-- What the server saw of the request that started a login (the integrating application's address and
-- user agent), shown to the phone so a person can tell their own login from someone else's.
ALTER TABLE sessions ADD COLUMN origin_address TEXT;
ALTER TABLE sessions ADD COLUMN origin_agent TEXT;
