-- When a user's logins were last refused by the push cap, so that the `push_capped` event (an alert
-- on the console, a webhook delivery) is raised once per cap window, not on every refused attempt.
ALTER TABLE users ADD COLUMN push_capped_at INTEGER;
