-- Emails are matched case-insensitively beyond ASCII: email_key is the
-- address lower-cased by the store in Go (SQLite's lower() folds ASCII
-- only). The store fills it for existing users and replaces the users_email
-- index with one on email_key in the same transaction.
ALTER TABLE users ADD COLUMN email_key TEXT;
