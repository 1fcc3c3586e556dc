-- Every change to a session or to a user's record, by any program (Latch
-- or an app writing to the same tables), is announced on a channel named
-- after the tables' schema with the user's id ("u" and the id; "*" for a
-- TRUNCATE): each Latch instance listens and drops what it has cached of
-- that user's sessions. PostgreSQL delivers notifications in commit
-- order. The triggers fire in replica mode too (logical replication,
-- pg_restore --disable-triggers would otherwise skip them).
CREATE OR REPLACE FUNCTION latch_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  channel text := 'latch_' || left(md5(TG_TABLE_SCHEMA), 16);
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify(channel, '*');
  ELSIF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify(channel, 'u' || OLD.id::text);
  ELSE
    PERFORM pg_notify(channel, 'u' || OLD."userId"::text);
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS latch_session_changed ON sessions;
CREATE TRIGGER latch_session_changed AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION latch_session_changed();
DROP TRIGGER IF EXISTS latch_sessions_truncated ON sessions;
CREATE TRIGGER latch_sessions_truncated AFTER TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION latch_session_changed();
DROP TRIGGER IF EXISTS latch_user_changed ON users;
CREATE TRIGGER latch_user_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION latch_session_changed();
DROP TRIGGER IF EXISTS latch_users_truncated ON users;
CREATE TRIGGER latch_users_truncated AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION latch_session_changed();
ALTER TABLE sessions ENABLE ALWAYS TRIGGER latch_session_changed;
ALTER TABLE sessions ENABLE ALWAYS TRIGGER latch_sessions_truncated;
ALTER TABLE users ENABLE ALWAYS TRIGGER latch_user_changed;
ALTER TABLE users ENABLE ALWAYS TRIGGER latch_users_truncated;
