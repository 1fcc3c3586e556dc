-- JWT sessions as last seen (latch.SessionSighting): their cookies hold
-- the session; these rows let it be listed and ended.
CREATE TABLE latch_session_sightings (
  sid          TEXT PRIMARY KEY,
  "userId"     TEXT NOT NULL,
  "signedIn"   INTEGER, -- unix milliseconds
  "lastSeen"   INTEGER NOT NULL,
  ip           TEXT,
  "userAgent"  TEXT,
  expires      INTEGER NOT NULL
);
CREATE INDEX latch_session_sightings_user ON latch_session_sightings ("userId");
CREATE INDEX latch_session_sightings_expires ON latch_session_sightings (expires);
