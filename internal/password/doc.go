// Package password hashes new passwords with argon2id and verifies stored
// hashes in the formats gatehouse accepts: its own argon2id PHC strings,
// legacy bcrypt hashes and Medusa's scrypt-kdf hashes. It also holds the
// password policy (Validate, CheckLength).
//
// Key derivation is deliberately slow and memory-hungry, so every derivation
// runs in a bounded worker pool with a bounded queue: under load callers get a
// *BusyError rather than an out-of-memory process. Each worker reuses its own
// argon2id memory (see workspace.go), so hashing holds about Workers times
// Params.MemoryKiB however many sign-ins pass through. Stored and imported hashes
// are checked against parameter caps before any derivation, so a hostile hash
// cannot make one verification cost gigabytes or minutes.
//
// This package must never log anything, and must never put a password or a
// hash (or any part of one) into an error message.
package password
