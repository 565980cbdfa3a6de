//! Fault injection: what the caller sees, and how many requests the server got, when servers misbehave.
