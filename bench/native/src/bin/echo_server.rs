//! A single-threaded mio TCP echo server: the native ceiling the Python servers are compared
//! with. `echo_server <port>`; prints `ready` once listening.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
}

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut poll = Poll::new().expect("poll");
    let mut listener = TcpListener::bind(([127, 0, 0, 1], port).into()).expect("bind");
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE).expect("register");
    println!("ready {}", listener.local_addr().map(|a| a.port()).unwrap_or(0));
    let mut events = Events::with_capacity(1024);
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next = 0usize;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        if poll.poll(&mut events, None).is_err() {
            continue;
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    stream.set_nodelay(true).ok();
                    let token = Token(next);
                    next += 1;
                    if poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE).is_ok() {
                        conns.insert(token.0, Conn { stream, pending: Vec::new() });
                    }
                }
                continue;
            }
            let mut closed = false;
            if let Some(conn) = conns.get_mut(&event.token().0) {
                loop {
                    if !conn.pending.is_empty() {
                        match conn.stream.write(&conn.pending) {
                            Ok(n) => {
                                conn.pending.drain(..n);
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(_) => {
                                closed = true;
                                break;
                            }
                        }
                        continue;
                    }
                    match conn.stream.read(&mut buffer) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => conn.pending.extend_from_slice(&buffer[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
            }
            if closed {
                conns.remove(&event.token().0);
            }
        }
    }
}
