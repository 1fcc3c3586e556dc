-- JWT sessions as last seen (latch.SessionSighting): their cookies hold
-- the session; these rows let it be listed and ended.
CREATE TABLE IF NOT EXISTS latch_session_sightings (
  sid          TEXT PRIMARY KEY,
  "userId"     TEXT NOT NULL,
  "signedIn"   TIMESTAMPTZ,
  "lastSeen"   TIMESTAMPTZ NOT NULL,
  ip           TEXT,
  "userAgent"  TEXT,
  expires      TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS latch_session_sightings_user ON latch_session_sightings ("userId");
CREATE INDEX IF NOT EXISTS latch_session_sightings_expires ON latch_session_sightings (expires);
