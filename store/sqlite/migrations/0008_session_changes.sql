-- Every change to a session or to a user's record, by any program, leaves
-- the user's id (and for sessions the token) here: each Latch process
-- reads the new rows every few milliseconds and drops what it has cached
-- of them (rows are contiguous and in commit order: SQLite has one writer
-- at a time, and AUTOINCREMENT never reuses a number). Inserts count too:
-- REPLACE deletes the row it replaces without firing delete triggers.
-- Old rows are pruned.
CREATE TABLE latch_session_changes (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  "userId"       TEXT,
  "sessionToken" TEXT
);
CREATE TRIGGER latch_session_inserted AFTER INSERT ON sessions
BEGIN
  INSERT INTO latch_session_changes ("userId", "sessionToken") VALUES (NEW."userId", NEW."sessionToken");
END;
CREATE TRIGGER latch_session_updated AFTER UPDATE ON sessions
BEGIN
  INSERT INTO latch_session_changes ("userId", "sessionToken") VALUES (OLD."userId", OLD."sessionToken");
END;
CREATE TRIGGER latch_session_deleted AFTER DELETE ON sessions
BEGIN
  INSERT INTO latch_session_changes ("userId", "sessionToken") VALUES (OLD."userId", OLD."sessionToken");
END;
CREATE TRIGGER latch_user_inserted AFTER INSERT ON users
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (NEW.id);
END;
CREATE TRIGGER latch_user_updated AFTER UPDATE OF id, name, email, "emailVerified", image ON users
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (OLD.id);
END;
CREATE TRIGGER latch_user_deleted AFTER DELETE ON users
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (OLD.id);
END;
