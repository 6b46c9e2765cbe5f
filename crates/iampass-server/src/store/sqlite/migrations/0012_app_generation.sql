-- A number every change to an application's row moves on, whoever makes it (the running server,
-- the operator's command line): each server polls it to know its cached applications are stale.
CREATE TABLE app_generation (n INTEGER NOT NULL);
INSERT INTO app_generation (n) VALUES (0);
CREATE TRIGGER applications_inserted AFTER INSERT ON applications BEGIN UPDATE app_generation SET n = n + 1; END;
CREATE TRIGGER applications_updated AFTER UPDATE ON applications BEGIN UPDATE app_generation SET n = n + 1; END;
CREATE TRIGGER applications_deleted AFTER DELETE ON applications BEGIN UPDATE app_generation SET n = n + 1; END;
