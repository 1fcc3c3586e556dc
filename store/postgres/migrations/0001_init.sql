-- The NextAuth adapter schema (table and column names of the NextAuth
-- PostgreSQL adapter, @auth/pg-adapter), plus password hashes for the
-- built-in user database.
--
-- Every statement tolerates what is already there, so Latch can be pointed
-- at a database NextAuth created. There users.id is SERIAL (an integer),
-- where a new database gets TEXT ids (random UUIDs): Latch compares ids as
-- text (id::text), and the tables created here give their "userId" column
-- the type of users.id. Missing unique indexes are added; when existing
-- rows break one, the migration stops with an error that says what to fix.
-- Needs PostgreSQL 13 or later (gen_random_uuid).

CREATE TABLE IF NOT EXISTS users (
  id              TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  name            TEXT,
  email           TEXT,
  "emailVerified" TIMESTAMPTZ,
  image           TEXT
);

CREATE TABLE IF NOT EXISTS verification_token (
  identifier TEXT NOT NULL,
  expires    TIMESTAMPTZ NOT NULL,
  token      TEXT NOT NULL,
  PRIMARY KEY (identifier, token)
);

DO $migration$
DECLARE
  id_type     regtype;
  id_type_sql text;
  dups        bigint;
BEGIN
  SELECT a.atttypid::regtype, format_type(a.atttypid, a.atttypmod)
    INTO id_type, id_type_sql
    FROM pg_attribute a
   WHERE a.attrelid = 'users'::regclass AND a.attname = 'id' AND NOT a.attisdropped;
  IF id_type IS NULL THEN
    RAISE EXCEPTION 'latch: table users has no id column';
  END IF;

  EXECUTE format($ddl$
    CREATE TABLE IF NOT EXISTS accounts (
      id                  SERIAL PRIMARY KEY,
      "userId"            %1$s NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      type                TEXT NOT NULL,
      provider            TEXT NOT NULL,
      "providerAccountId" TEXT NOT NULL,
      refresh_token       TEXT,
      access_token        TEXT,
      expires_at          BIGINT,
      id_token            TEXT,
      scope               TEXT,
      session_state       TEXT,
      token_type          TEXT
    )$ddl$, id_type_sql);

  EXECUTE format($ddl$
    CREATE TABLE IF NOT EXISTS sessions (
      id             SERIAL PRIMARY KEY,
      "sessionToken" TEXT NOT NULL,
      "userId"       %1$s NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      expires        TIMESTAMPTZ NOT NULL
    )$ddl$, id_type_sql);

  EXECUTE format($ddl$
    CREATE TABLE IF NOT EXISTS passwords (
      "userId" %1$s PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      hash     TEXT NOT NULL,
      updated  TIMESTAMPTZ NOT NULL DEFAULT now()
    )$ddl$, id_type_sql);

  -- Lookups by id compare id::text; for ids that are not text already
  -- (SERIAL, uuid) index that expression.
  IF id_type NOT IN ('text'::regtype, 'character varying'::regtype) THEN
    CREATE UNIQUE INDEX IF NOT EXISTS users_id_text ON users ((id::text));
    CREATE INDEX IF NOT EXISTS passwords_user_text ON passwords (("userId"::text));
  END IF;
  CREATE INDEX IF NOT EXISTS accounts_user ON accounts (("userId"::text));
  CREATE INDEX IF NOT EXISTS sessions_user ON sessions (("userId"::text));

  -- One user per email address, compared case-insensitively.
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                  WHERE i.indrelid = 'users'::regclass AND c.relname = 'users_email_lower') THEN
    BEGIN
      CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
    EXCEPTION WHEN unique_violation THEN
      SELECT count(*) INTO dups FROM (
        SELECT 1 FROM users WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1
      ) d;
      RAISE EXCEPTION 'latch: table users has % email address(es) held by more than one user when compared case-insensitively; Latch needs emails unique regardless of case: merge or change those users (SELECT lower(email), array_agg(id) FROM users WHERE email IS NOT NULL GROUP BY 1 HAVING count(*) > 1), then start Latch again', dups;
    END;
  END IF;

  -- One link per provider account.
  IF NOT EXISTS (SELECT 1 FROM pg_index i
                  WHERE i.indrelid = 'accounts'::regclass AND i.indisunique
                    AND i.indpred IS NULL AND i.indexprs IS NULL
                    AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text)
                           FROM pg_attribute a
                          WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))
                        = ARRAY['provider', 'providerAccountId']) THEN
    BEGIN
      CREATE UNIQUE INDEX accounts_provider_account ON accounts (provider, "providerAccountId");
    EXCEPTION WHEN unique_violation THEN
      RAISE EXCEPTION 'latch: table accounts links the same (provider, "providerAccountId") more than once; Latch needs each provider account linked once: delete the extra rows (SELECT provider, "providerAccountId", array_agg(id) FROM accounts GROUP BY 1, 2 HAVING count(*) > 1), then start Latch again';
    END;
  END IF;

  -- One session per token.
  IF NOT EXISTS (SELECT 1 FROM pg_index i
                  WHERE i.indrelid = 'sessions'::regclass AND i.indisunique
                    AND i.indpred IS NULL AND i.indexprs IS NULL
                    AND (SELECT array_agg(a.attname::text)
                           FROM pg_attribute a
                          WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))
                        = ARRAY['sessionToken']) THEN
    BEGIN
      CREATE UNIQUE INDEX sessions_token ON sessions ("sessionToken");
    EXCEPTION WHEN unique_violation THEN
      RAISE EXCEPTION 'latch: table sessions has the same "sessionToken" more than once; delete the extra rows (SELECT "sessionToken", array_agg(id) FROM sessions GROUP BY 1 HAVING count(*) > 1), then start Latch again';
    END;
  END IF;
END
$migration$;
