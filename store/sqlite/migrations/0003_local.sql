-- The local provider (nuxt-auth's "local"): signing keys of access tokens,
-- sealed with the secret, and refresh-token families with the hashes of
-- their tokens. A family's "userId" has no foreign key, because users of a
-- credentials provider of the app's own need not be in this database;
-- DeleteUser deletes the families of a user itself.
CREATE TABLE latch_signing_keys (
  id        TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  sealed    BLOB NOT NULL,
  created   INTEGER NOT NULL -- unix milliseconds
);

CREATE TABLE latch_refresh_families (
  id          TEXT PRIMARY KEY,
  "userId"    TEXT NOT NULL,
  name        TEXT,
  email       TEXT,
  image       TEXT,
  provider    TEXT,
  created     INTEGER NOT NULL, -- unix milliseconds
  "lastUsed"  INTEGER NOT NULL,
  expires     INTEGER NOT NULL
);
CREATE INDEX latch_refresh_families_user ON latch_refresh_families ("userId");
CREATE INDEX latch_refresh_families_expires ON latch_refresh_families (expires);

CREATE TABLE latch_refresh_tokens (
  hash      TEXT PRIMARY KEY,
  family    TEXT NOT NULL REFERENCES latch_refresh_families (id) ON DELETE CASCADE,
  created   INTEGER NOT NULL,
  rotated   INTEGER,
  successor TEXT
);
CREATE INDEX latch_refresh_tokens_family ON latch_refresh_tokens (family);

CREATE TRIGGER latch_users_delete_refresh_families AFTER DELETE ON users
BEGIN
  DELETE FROM latch_refresh_families WHERE "userId" = OLD.id;
END;
