-- Provider tokens that stay fresh: Latch seals access_token,
-- refresh_token and id_token with the secret when it writes them (rows
-- written before keep their clear values until the next refresh or
-- sign-in, which seals them), and marks an account whose refresh token
-- the provider refused, until the user signs in with it again.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS latch_refresh_error TEXT;
