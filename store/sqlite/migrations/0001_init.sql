-- The NextAuth adapter schema (table and column names of the NextAuth
-- PostgreSQL adapter), plus password hashes for the built-in user database.
CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  name            TEXT,
  email           TEXT,
  "emailVerified" INTEGER, -- unix milliseconds
  image           TEXT
);
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE accounts (
  id                  INTEGER PRIMARY KEY,
  "userId"            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type                TEXT NOT NULL,
  provider            TEXT NOT NULL,
  "providerAccountId" TEXT NOT NULL,
  refresh_token       TEXT,
  access_token        TEXT,
  expires_at          INTEGER,
  id_token            TEXT,
  scope               TEXT,
  session_state       TEXT,
  token_type          TEXT,
  UNIQUE (provider, "providerAccountId")
);
CREATE INDEX accounts_user ON accounts ("userId");

CREATE TABLE sessions (
  id             INTEGER PRIMARY KEY,
  "sessionToken" TEXT NOT NULL UNIQUE,
  "userId"       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires        INTEGER NOT NULL -- unix milliseconds
);
CREATE INDEX sessions_user ON sessions ("userId");

CREATE TABLE verification_token (
  identifier TEXT NOT NULL,
  token      TEXT NOT NULL,
  expires    INTEGER NOT NULL, -- unix milliseconds
  PRIMARY KEY (identifier, token)
);

CREATE TABLE passwords (
  "userId" TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  hash     TEXT NOT NULL,
  updated  INTEGER NOT NULL -- unix milliseconds
);
