-- Emails are matched case-insensitively beyond ASCII: email_key is the
-- address folded by the store in Go (latch.FoldEmail; SQLite's lower()
-- folds ASCII only), unique. The store fills it for existing users in
-- the same transaction, and again at every start for rows another program
-- wrote. The users_email index stays, so such programs still cannot add
-- an address that differs from another in ASCII case only.
ALTER TABLE users ADD COLUMN email_key TEXT;
