-- Passkeys: the columns of Auth.js's Authenticator model (base64
-- credential IDs and public keys, as Auth.js writes them), plus the
-- WebAuthn user handle, a name and the times of creation and last use.
CREATE TABLE authenticators (
  "credentialID"         TEXT PRIMARY KEY,
  "userId"               TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  "providerAccountId"    TEXT NOT NULL,
  "credentialPublicKey"  TEXT NOT NULL,
  counter                INTEGER NOT NULL DEFAULT 0,
  "credentialDeviceType" TEXT NOT NULL,
  "credentialBackedUp"   INTEGER NOT NULL DEFAULT 0,
  transports             TEXT,
  "userHandle"           TEXT,
  name                   TEXT,
  created                INTEGER NOT NULL, -- unix milliseconds
  "lastUsed"             INTEGER           -- unix milliseconds
);
CREATE INDEX authenticators_user ON authenticators ("userId");

-- The second factor of the built-in user database: a TOTP secret sealed
-- with the Latch secret, and the hashes of single-use recovery codes.
CREATE TABLE latch_totp (
  "userId"   TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  sealed     BLOB NOT NULL,
  confirmed  INTEGER,                  -- unix milliseconds; NULL while pending
  "lastStep" INTEGER NOT NULL DEFAULT 0,
  created    INTEGER NOT NULL          -- unix milliseconds
);

CREATE TABLE latch_recovery_codes (
  "userId" TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  hash     TEXT NOT NULL,
  PRIMARY KEY ("userId", hash)
);
