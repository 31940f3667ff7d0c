//! A closed-loop TCP load client on one mio thread.
//!
//! `loadgen echo <addr> <connections> <message-bytes> <seconds>`: each connection sends a
//! message, waits for the full echo, records the round-trip time and sends the next. Prints one
//! JSON line: requests/s, p50/p99 latency (µs), errors, mismatched bytes.
//!
//! `loadgen idle <addr> <connections> <seconds>`: opens that many connections, holds them idle
//! for the given time, prints how many were established.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

struct Conn {
    stream: TcpStream,
    sent: usize,
    received: usize,
    started: Instant,
    connected: bool,
}

fn fail(message: &str) -> ! {
    eprintln!("loadgen: {message}");
    std::process::exit(2)
}

fn arg<T: std::str::FromStr>(args: &[String], index: usize, name: &str) -> T {
    args.get(index).and_then(|a| a.parse().ok()).unwrap_or_else(|| fail(&format!("bad or missing {name}")))
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn echo(addr: SocketAddr, connections: usize, size: usize, seconds: f64) {
    let mut poll = Poll::new().unwrap_or_else(|e| fail(&e.to_string()));
    let mut events = Events::with_capacity(1024);
    let message: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let mut buffer = vec![0u8; size.max(65536)];
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    for i in 0..connections {
        let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| fail(&e.to_string()));
        stream.set_nodelay(true).ok();
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE | Interest::WRITABLE)
            .unwrap_or_else(|e| fail(&e.to_string()));
        conns.insert(i, Conn { stream, sent: 0, received: 0, started: Instant::now(), connected: false });
    }
    let mut latencies: Vec<u64> = Vec::with_capacity(1 << 20);
    let (mut errors, mut mismatched) = (0u64, 0u64);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    while Instant::now() < deadline {
        if poll.poll(&mut events, Some(Duration::from_millis(100))).is_err() {
            continue;
        }
        for event in events.iter() {
            let Some(conn) = conns.get_mut(&event.token().0) else { continue };
            if !conn.connected {
                if conn.stream.peer_addr().is_err() {
                    continue;
                }
                conn.connected = true;
                conn.started = Instant::now();
            }
            loop {
                let mut progressed = false;
                if conn.sent < size {
                    match conn.stream.write(&message[conn.sent..]) {
                        Ok(n) => {
                            conn.sent += n;
                            progressed = n > 0;
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(_) => {
                            errors += 1;
                            break;
                        }
                    }
                }
                match conn.stream.read(&mut buffer[..size - conn.received]) {
                    Ok(0) => {
                        errors += 1;
                        break;
                    }
                    Ok(n) => {
                        let expected = &message[conn.received..conn.received + n];
                        if &buffer[..n] != expected {
                            mismatched += 1;
                        }
                        conn.received += n;
                        progressed = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
                if conn.received == size {
                    latencies.push(conn.started.elapsed().as_micros() as u64);
                    conn.sent = 0;
                    conn.received = 0;
                    conn.started = Instant::now();
                    continue;
                }
                if !progressed {
                    break;
                }
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "{{\"connections\": {connections}, \"size\": {size}, \"requests\": {}, \"rps\": {:.1}, \
         \"p50_us\": {}, \"p99_us\": {}, \"errors\": {errors}, \"mismatched\": {mismatched}}}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99)
    );
}

fn idle(addr: SocketAddr, connections: usize, seconds: f64) {
    let mut held = Vec::with_capacity(connections);
    for _ in 0..connections {
        match std::net::TcpStream::connect(addr) {
            Ok(stream) => held.push(stream),
            Err(e) => fail(&format!("after {} connections: {e}", held.len())),
        }
    }
    println!("{{\"established\": {}}}", held.len());
    std::thread::sleep(Duration::from_secs_f64(seconds));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("");
    let addr: SocketAddr = arg(&args, 2, "address");
    match mode {
        "echo" => echo(addr, arg(&args, 3, "connections"), arg(&args, 4, "message bytes"), arg(&args, 5, "seconds")),
        "idle" => idle(addr, arg(&args, 3, "connections"), arg(&args, 4, "seconds")),
        _ => fail("usage: loadgen echo <addr> <connections> <bytes> <seconds> | idle <addr> <connections> <seconds>"),
    }
}
