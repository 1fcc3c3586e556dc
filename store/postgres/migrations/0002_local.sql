-- The local provider (nuxt-auth's "local"): signing keys of access tokens,
-- sealed with the secret, and refresh-token families with the hashes of
-- their tokens. A family's "userId" is text without a foreign key: users of
-- a credentials provider of the app's own need not be in this database,
-- and users.id may be an integer in a database NextAuth created.
-- DeleteUser deletes the families of a user itself.
CREATE TABLE IF NOT EXISTS latch_signing_keys (
  id        TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  sealed    BYTEA NOT NULL,
  created   TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS latch_refresh_families (
  id          TEXT PRIMARY KEY,
  "userId"    TEXT NOT NULL,
  name        TEXT,
  email       TEXT,
  image       TEXT,
  provider    TEXT,
  created     TIMESTAMPTZ NOT NULL,
  "lastUsed"  TIMESTAMPTZ NOT NULL,
  expires     TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS latch_refresh_families_user ON latch_refresh_families ("userId");
CREATE INDEX IF NOT EXISTS latch_refresh_families_expires ON latch_refresh_families (expires);

CREATE TABLE IF NOT EXISTS latch_refresh_tokens (
  hash      TEXT PRIMARY KEY,
  family    TEXT NOT NULL REFERENCES latch_refresh_families (id) ON DELETE CASCADE,
  created   TIMESTAMPTZ NOT NULL,
  rotated   TIMESTAMPTZ,
  successor TEXT
);
CREATE INDEX IF NOT EXISTS latch_refresh_tokens_family ON latch_refresh_tokens (family);
