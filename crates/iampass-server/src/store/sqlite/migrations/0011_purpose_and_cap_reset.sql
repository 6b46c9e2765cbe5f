-- What a push is for (a login, a help-desk verification, a staff sign-in) and, for a
-- verification, who verifies; a verification is not a login and is not counted as a failed one.
ALTER TABLE sessions ADD COLUMN purpose TEXT NOT NULL DEFAULT 'login'
    CHECK (purpose IN ('login', 'verification', 'console_sign_in'));
ALTER TABLE sessions ADD COLUMN verifier TEXT;
-- Staff may clear a user's push cap after verifying them another way: pushes before this do not count.
ALTER TABLE users ADD COLUMN push_cap_cleared_at INTEGER;
-- Why an action was taken, when the actor gave a reason (clearing a push cap).
ALTER TABLE audit ADD COLUMN detail TEXT;
