// Package password is Latch's sign-in with an email address and a
// password kept, hashed, in the user store: [New] returns the credentials
// provider, [Hash] and [Verify] the hashing it uses.
//
// # Hashing
//
// Passwords are hashed with argon2id (RFC 9106), the winner of the
// Password Hashing Competition and the first choice of the OWASP Password
// Storage Cheat Sheet. It is memory-hard: each guess costs an attacker the
// memory as well as the time, which takes most of the edge off GPUs and
// ASICs, and the "id" variant resists both side channels and
// time-memory trade-offs. bcrypt, the usual alternative, uses only 4 KiB
// and ignores bytes past the 72nd.
//
// New hashes use OWASP's minimum configuration, about 20-50 ms on a
// server core:
//
//	m=19456  memory, in KiB (19 MiB)
//	t=2      passes over the memory
//	p=1      lanes (parallelism)
//	         a 16-byte random salt and a 32-byte key
//
// and are stored in the PHC string format of the reference
// implementation, with unpadded standard base64:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// [Verify] reads the parameters from the hash, so raising them later
// leaves existing hashes valid; it also checks bcrypt hashes ($2a$, $2b$,
// $2y$), as imported from other systems. A successful sign-in with a
// bcrypt hash, or an argon2id hash weaker than the current parameters,
// replaces it with a new argon2id hash of the password.
//
// # Sign-in
//
// Because each check takes 19 MiB, the provider bounds how many run at
// once (Options.MaxConcurrentHashes); a burst waits for a slot instead of
// exhausting memory. Failed sign-ins are counted per email address and
// per client address, and once over the limit further tries are refused
// with the code TooManyRequests (HTTP 429 with Retry-After) without
// hashing.
//
// How long a sign-in takes does not tell whether the email has an
// account, nor what kind of hash it has. The provider knows the kinds of
// hash in the store (bcrypt of each cost, argon2id with each set of
// parameters; see [HashInventory]) and checks every password once
// against each kind: against the user's own hash for its kind, and
// against a dummy hash of the same parameters for the others. An unknown
// email address, or a user without a password, gets dummies only, and
// counts as a failure too. So while imported bcrypt hashes remain, every
// sign-in costs a bcrypt check on top of argon2id; each such hash is
// replaced by an argon2id one at its user's next successful sign-in, and
// the extra check stops at the first start after the last one is gone.
// Kinds too costly to run at every sign-in (bcrypt above cost 14,
// argon2id above 64 MiB or 10 passes) are checked for their own users
// only, with a warning in the log.
//
// Failures are counted three ways, each within 15 minutes: 5 per account
// from one client address (a guesser in one place cannot lock the owner
// out elsewhere), 50 per account from anywhere (bounds a botnet guessing
// at one account), and 20 per client address (bounds one place guessing
// at many accounts). A try is counted, and checked against the limits,
// in one step before the password is hashed, so a burst of parallel
// tries cannot overshoot a limit; tries still in progress count too. A
// try that turns out not to be a failure (a correct password, a request
// that gave up waiting for a slot) is taken back.
package password
