-- Revocation marks of JWT sessions: a user's sessions issued before
-- "before" no longer count. No foreign key: the mark outlives a removed
-- user, whose sessions it ends.
CREATE TABLE IF NOT EXISTS latch_session_revocations (
  "userId" TEXT PRIMARY KEY,
  before   TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS latch_session_revocations_before ON latch_session_revocations (before);
