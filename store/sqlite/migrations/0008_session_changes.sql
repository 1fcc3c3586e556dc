-- Every change to a session or to a user's record, by any program, leaves
-- the user's id here: each Latch process reads the new rows every few
-- milliseconds and drops what it has cached of that user's sessions
-- (rows are contiguous and in commit order: SQLite has one writer at a
-- time, and AUTOINCREMENT never reuses a number). Old rows are pruned.
CREATE TABLE latch_session_changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  "userId" TEXT NOT NULL
);
CREATE TRIGGER latch_session_updated AFTER UPDATE ON sessions
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (OLD."userId");
END;
CREATE TRIGGER latch_session_deleted AFTER DELETE ON sessions
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (OLD."userId");
END;
CREATE TRIGGER latch_user_updated AFTER UPDATE OF id, name, email, "emailVerified", image ON users
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (OLD.id);
END;
CREATE TRIGGER latch_user_deleted AFTER DELETE ON users
BEGIN
  INSERT INTO latch_session_changes ("userId") VALUES (OLD.id);
END;
