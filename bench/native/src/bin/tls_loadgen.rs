//! A closed-loop TLS load client (rustls), one OS thread per connection.
//!
//! `tls_loadgen echo <addr> <ca.pem> <connections> <message-bytes> <seconds>`: each connection
//! handshakes once (server name `localhost`), then sends a message, waits for the whole echo,
//! records the round trip and sends the next. Prints one JSON line: requests/s, p50/p99 (µs),
//! errors, mismatched bytes.
//!
//! `tls_loadgen handshakes <addr> <ca.pem> <connections> <seconds>`: each connection thread
//! connects, completes a full handshake (no session resumption), exchanges one byte, closes,
//! and starts again. Prints handshakes/s.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

fn fail(message: &str) -> ! {
    eprintln!("tls_loadgen: {message}");
    std::process::exit(2)
}

fn arg<T: std::str::FromStr>(args: &[String], index: usize, name: &str) -> T {
    args.get(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| fail(&format!("bad or missing {name}")))
}

fn config(ca_path: &str, resumption: bool) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_path).unwrap_or_else(|e| fail(&e.to_string())) {
        roots
            .add(cert.unwrap_or_else(|e| fail(&e.to_string())))
            .unwrap_or_else(|e| fail(&e.to_string()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| fail(&e.to_string()))
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resumption {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Arc::new(config)
}

fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> std::io::Result<StreamOwned<ClientConnection, TcpStream>> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("localhost").unwrap_or_else(|e| fail(&e.to_string()));
    let conn = ClientConnection::new(config.clone(), name).map_err(std::io::Error::other)?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn echo(addr: SocketAddr, ca: &str, connections: usize, size: usize, seconds: f64) {
    let config = config(ca, true);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || {
                let message: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
                let mut buffer = vec![0u8; size.max(16384)];
                let (mut latencies, mut errors, mut mismatched) = (Vec::new(), 0u64, 0u64);
                let Ok(mut stream) = connect(addr, &config) else {
                    return (latencies, 1, 0);
                };
                while Instant::now() < deadline {
                    let started = Instant::now();
                    if stream.write_all(&message).and_then(|()| stream.flush()).is_err() {
                        errors += 1;
                        break;
                    }
                    let mut received = 0;
                    while received < size {
                        match stream.read(&mut buffer[..size - received]) {
                            Ok(0) | Err(_) => {
                                errors += 1;
                                return (latencies, errors, mismatched);
                            }
                            Ok(n) => {
                                if buffer[..n] != message[received..received + n] {
                                    mismatched += 1;
                                }
                                received += n;
                            }
                        }
                    }
                    latencies.push(started.elapsed().as_micros() as u64);
                }
                (latencies, errors, mismatched)
            })
        })
        .collect();
    let (mut latencies, mut errors, mut mismatched) = (Vec::new(), 0, 0);
    for worker in workers {
        let (l, e, m) = worker.join().unwrap_or_default();
        latencies.extend(l);
        errors += e;
        mismatched += m;
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

fn handshakes(addr: SocketAddr, ca: &str, connections: usize, seconds: f64) {
    let config = config(ca, false);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || {
                let (mut done, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let exchanged = connect(addr, &config).and_then(|mut stream| {
                        stream.write_all(b"x")?;
                        stream.flush()?;
                        let mut byte = [0u8; 1];
                        stream.read_exact(&mut byte)
                    });
                    match exchanged {
                        Ok(()) => done += 1,
                        Err(_) => errors += 1,
                    }
                }
                (done, errors)
            })
        })
        .collect();
    let (mut done, mut errors) = (0, 0);
    for worker in workers {
        let (d, e) = worker.join().unwrap_or_default();
        done += d;
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{{\"connections\": {connections}, \"handshakes\": {done}, \"per_s\": {:.1}, \"errors\": {errors}}}",
        done as f64 / elapsed
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("");
    let addr: SocketAddr = arg(&args, 2, "address");
    let ca: String = arg(&args, 3, "CA certificate path");
    match mode {
        "echo" => echo(addr, &ca, arg(&args, 4, "connections"), arg(&args, 5, "message bytes"), arg(&args, 6, "seconds")),
        "handshakes" => handshakes(addr, &ca, arg(&args, 4, "connections"), arg(&args, 5, "seconds")),
        _ => fail("usage: tls_loadgen echo <addr> <ca.pem> <connections> <bytes> <seconds> | handshakes <addr> <ca.pem> <connections> <seconds>"),
    }
}
