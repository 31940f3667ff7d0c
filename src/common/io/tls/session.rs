//! One TLS connection (client or server end) on rustls, fed and drained by its stream.
//!
//! # Invariants
//! - Ciphertext that rustls cannot take yet (its plaintext buffer is full because the
//!   application has not read) waits in `backlog`, in order, and is offered again after every
//!   read: nothing received is dropped or reordered.
//! - After an error the session is *broken*: every later call fails with that error's message,
//!   except `pending_into`, which still hands out the alert rustls queued for the peer.
//! - `available` is the plaintext rustls holds for the application: set by every processing
//!   of records, lowered by every read.
//!
//! # Copies
//! Each byte is copied once on each side of rustls: received ciphertext goes from the caller's
//! buffer into rustls (only what rustls cannot take yet is kept in `backlog`), plaintext from
//! rustls into the caller's buffer (`read` hands out a reader of exactly the bytes to take),
//! and ciphertext to send from rustls into the caller's writer (`pending_into`).

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};

use rustls::pki_types::ServerName;
use rustls::Connection;

use crate::common::base::util::lock;

/// What a read of plaintext found.
pub enum Plain<T> {
    /// What the caller's `take` made of the bytes.
    Data(T),
    /// Nothing decrypted yet: read more ciphertext first.
    NeedMore,
    /// The peer closed cleanly (close_notify).
    Closed,
    /// The transport ended without close_notify.
    Truncated,
}

struct State {
    conn: Connection,
    backlog: Vec<u8>,
    /// Plaintext bytes rustls holds, ready to read.
    available: usize,
    /// The transport reached its end (`feed(b"")`).
    transport_eof: bool,
    broken: Option<String>,
}

pub struct TlsSession {
    state: Mutex<State>,
}

impl TlsSession {
    pub fn client(
        config: Arc<rustls::ClientConfig>,
        server_name: &str,
    ) -> Result<TlsSession, String> {
        let name = ServerName::try_from(server_name.to_owned()).map_err(|_| {
            format!("server_hostname {server_name:?} is not a valid DNS name or IP")
        })?;
        let conn = rustls::ClientConnection::new(config, name)
            .map_err(|e| format!("cannot start a TLS client: {e}"))?;
        Ok(Self::with(Connection::Client(conn)))
    }

    pub fn server(config: Arc<rustls::ServerConfig>) -> Result<TlsSession, String> {
        let conn = rustls::ServerConnection::new(config)
            .map_err(|e| format!("cannot start a TLS server: {e}"))?;
        Ok(Self::with(Connection::Server(conn)))
    }

    fn with(conn: Connection) -> TlsSession {
        TlsSession {
            state: Mutex::new(State {
                conn,
                backlog: Vec::new(),
                available: 0,
                transport_eof: false,
                broken: None,
            }),
        }
    }

    /// Takes ciphertext received from the transport (`b""`: the transport ended).
    pub fn feed(&self, data: &[u8]) -> Result<(), String> {
        let mut state = lock(&self.state);
        check(&state)?;
        if data.is_empty() {
            state.transport_eof = true;
            return pump(&mut state);
        }
        if !state.backlog.is_empty() {
            state.backlog.extend_from_slice(data);
            return pump(&mut state);
        }
        let taken = offer(&mut state, data)?;
        state.backlog.extend_from_slice(&data[taken..]);
        Ok(())
    }

    /// Writes the ciphertext to send to the peer (handshake messages, records, alerts) into
    /// `out`.
    pub fn pending_into(&self, out: &mut dyn Write) {
        let mut state = lock(&self.state);
        while state.conn.wants_write() {
            match state.conn.write_tls(out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    /// Up to `max` bytes of plaintext: `take(n, reader)` gets their number and a reader
    /// holding at least that many (`fill_buf`/`consume` them into the caller's own buffer);
    /// `Data` carries what it returned.
    pub fn read<T>(
        &self,
        max: usize,
        take: impl FnOnce(usize, &mut dyn BufRead) -> T,
    ) -> Result<Plain<T>, String> {
        let mut state = lock(&self.state);
        check(&state)?;
        loop {
            if state.available > 0 {
                let n = max.clamp(1, state.available);
                let taken = take(n, &mut state.conn.reader());
                state.available -= n;
                pump(&mut state)?; // room was made: take what waited
                return Ok(Plain::Data(taken));
            }
            let nothing = state.conn.reader().fill_buf().map(|chunk| chunk.is_empty());
            match nothing {
                Ok(true) => return Ok(Plain::Closed),
                Ok(false) => process(&mut state)?, // plaintext after all: count it again
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if state.backlog.is_empty() {
                        return Ok(if state.transport_eof {
                            Plain::Truncated
                        } else {
                            Plain::NeedMore
                        });
                    }
                    let before = state.backlog.len();
                    pump(&mut state)?;
                    if state.backlog.len() == before {
                        return Ok(Plain::NeedMore);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Plain::Truncated),
                Err(e) => return Err(break_with(&mut state, format!("TLS read failed: {e}"))),
            }
        }
    }

    /// Queues plaintext to send; returns how much was taken (less than all when rustls's
    /// buffer is full: send `pending()` and write the rest).
    pub fn write(&self, data: &[u8]) -> Result<usize, String> {
        let mut state = lock(&self.state);
        check(&state)?;
        state
            .conn
            .writer()
            .write(data)
            .map_err(|e| break_with(&mut state, format!("TLS write failed: {e}")))
    }

    pub fn handshaking(&self) -> bool {
        lock(&self.state).conn.is_handshaking()
    }

    /// The ALPN protocol agreed, if any.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        lock(&self.state).conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// Whether the handshake resumed an earlier session.
    pub fn resumed(&self) -> bool {
        matches!(
            lock(&self.state).conn.handshake_kind(),
            Some(rustls::HandshakeKind::Resumed)
        )
    }

    /// Queues close_notify (send `pending()` after).
    pub fn close_notify(&self) {
        lock(&self.state).conn.send_close_notify();
    }
}

fn check(state: &State) -> Result<(), String> {
    match &state.broken {
        Some(reason) => Err(reason.clone()),
        None => Ok(()),
    }
}

fn break_with(state: &mut State, reason: String) -> String {
    state.broken = Some(reason.clone());
    reason
}

/// Offers the backlog to rustls (or, with an empty backlog after the transport ended, that
/// end); keeps what rustls could not take yet.
fn pump(state: &mut State) -> Result<(), String> {
    if state.backlog.is_empty() {
        if state.transport_eof {
            let _ = state.conn.read_tls(&mut io::empty());
            return process(state);
        }
        return Ok(());
    }
    let backlog = std::mem::take(&mut state.backlog);
    let taken = offer(state, &backlog);
    state.backlog = backlog;
    let taken = taken?;
    state.backlog.drain(..taken);
    Ok(())
}

/// Hands `input` to rustls until it is all taken or rustls wants the application to read
/// first, processing every record taken; how many bytes it took.
fn offer(state: &mut State, input: &[u8]) -> Result<usize, String> {
    let mut rest = input;
    while !rest.is_empty() {
        match state.conn.read_tls(&mut rest) {
            Ok(0) => break,
            Ok(_) => process(state)?,
            // The plaintext buffer is full: the application must read first.
            Err(e) if e.kind() == io::ErrorKind::Other => {
                process(state)?;
                break;
            }
            Err(e) => return Err(break_with(state, format!("TLS input refused: {e}"))),
        }
    }
    Ok(input.len() - rest.len())
}

fn process(state: &mut State) -> Result<(), String> {
    match state.conn.process_new_packets() {
        Ok(io_state) => {
            state.available = io_state.plaintext_bytes_to_read();
            Ok(())
        }
        Err(e) => Err(break_with(state, describe(&e))),
    }
}

/// A rustls error in words a user can act on.
fn describe(error: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match error {
        Error::InvalidCertificate(CertificateError::NotValidForName)
        | Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            format!("the peer's certificate is not valid for the requested host name ({error})")
        }
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            format!("the peer's certificate is issued by an unknown CA ({error})")
        }
        Error::InvalidCertificate(_) => format!("bad certificate ({error})"),
        Error::NoCertificatesPresented => {
            format!("the peer presented no certificate but one is required ({error})")
        }
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            format!("the peer does not speak TLS, or broke the protocol ({error})")
        }
        Error::NoApplicationProtocol => {
            format!("no ALPN protocol in common with the peer ({error})")
        }
        Error::AlertReceived(alert) => format!("the peer refused the connection: {alert:?} alert"),
        other => format!("TLS failed: {other}"),
    }
}
