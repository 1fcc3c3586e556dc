-- Every change to a session or to a user's record, by any program (Latch
-- or an app writing to the same tables), is announced on a channel of
-- this schema with the user's id: each Latch instance listens and drops
-- what it has cached of that user's sessions. PostgreSQL delivers
-- notifications in commit order.
CREATE OR REPLACE FUNCTION latch_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('latch_' || left(md5(TG_TABLE_SCHEMA), 16), 'u' || OLD.id::text);
  ELSE
    PERFORM pg_notify('latch_' || left(md5(TG_TABLE_SCHEMA), 16), 'u' || OLD."userId"::text);
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS latch_session_changed ON sessions;
CREATE TRIGGER latch_session_changed AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION latch_session_changed();
DROP TRIGGER IF EXISTS latch_user_changed ON users;
CREATE TRIGGER latch_user_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION latch_session_changed();
