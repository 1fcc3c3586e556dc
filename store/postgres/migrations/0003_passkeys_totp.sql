-- Passkeys: the columns of Auth.js's Authenticator model (base64
-- credential IDs and public keys, as Auth.js writes them), plus the
-- WebAuthn user handle, a name and the times of creation and last use.
-- "userId" is text without a foreign key, as users.id may be an integer
-- in a database NextAuth created; DeleteUser deletes a user's rows itself.
CREATE TABLE IF NOT EXISTS authenticators (
  "credentialID"         TEXT PRIMARY KEY,
  "userId"               TEXT NOT NULL,
  "providerAccountId"    TEXT NOT NULL,
  "credentialPublicKey"  TEXT NOT NULL,
  counter                BIGINT NOT NULL DEFAULT 0,
  "credentialDeviceType" TEXT NOT NULL,
  "credentialBackedUp"   BOOLEAN NOT NULL DEFAULT false,
  transports             TEXT,
  "userHandle"           TEXT,
  name                   TEXT,
  created                TIMESTAMPTZ NOT NULL,
  "lastUsed"             TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS authenticators_user ON authenticators ("userId");

-- The second factor of the built-in user database: a TOTP secret sealed
-- with the Latch secret, and the hashes of single-use recovery codes.
-- DeleteUser deletes a user's rows itself.
CREATE TABLE IF NOT EXISTS latch_totp (
  "userId"   TEXT PRIMARY KEY,
  sealed     BYTEA NOT NULL,
  confirmed  TIMESTAMPTZ,
  "lastStep" BIGINT NOT NULL DEFAULT 0,
  created    TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS latch_recovery_codes (
  "userId" TEXT NOT NULL,
  hash     TEXT NOT NULL,
  PRIMARY KEY ("userId", hash)
);
