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
