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
