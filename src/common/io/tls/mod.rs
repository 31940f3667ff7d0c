//! TLS on rustls, independent of any transport.
//!
//! A [`session::TlsSession`] is a rustls connection that the Python `TLSStream` drives over any
//! tonio stream (TCP, Unix, a simulated socket): ciphertext in (`feed`), ciphertext out
//! (`pending`), plaintext in and out (`read`, `write`). Records are parsed, encrypted and
//! decrypted here; Python only moves the bytes of each transport read and write.
//! `config.rs` builds rustls configurations from PEM; `test_ca.rs` issues certificates for tests.

pub mod config;
pub mod session;
pub mod test_ca;
