-- Version 2: a number every change to an application's row moves on, whoever makes it (any node,
-- the operator's command line): each node polls it to know its cached applications are stale.
CREATE TABLE app_generation (n BIGINT NOT NULL);
INSERT INTO app_generation (n) VALUES (0);
CREATE FUNCTION app_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE app_generation SET n = n + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER applications_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON applications
    FOR EACH STATEMENT EXECUTE FUNCTION app_generation_bump();
