//! Hosts and names of the simulated network.
//!
//! Any IP address is a host. The loopback range (127.0.0.0/8, `::1`) and the unspecified
//! addresses are all the *local host*, as is an unbound client and every Unix socket. Names
//! resolve through a table: `localhost` is 127.0.0.1, an IP literal is itself, and
//! `Network(hosts={...})` adds names; anything else fails as an unknown name would.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::common::io::net::Address;

/// A host, named by its canonical address (the local host is 127.0.0.1).
pub type HostId = IpAddr;

/// The local host.
pub const LOCAL_HOST: HostId = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The host an address belongs to.
pub fn host_of_ip(ip: IpAddr) -> HostId {
    if ip.is_loopback() || ip.is_unspecified() {
        return LOCAL_HOST;
    }
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The host a socket address belongs to (Unix sockets: the local host).
pub fn host_of(address: &Address) -> HostId {
    match address {
        Address::Inet(addr) => host_of_ip(addr.ip()),
        Address::Unix(_) | Address::UnixUnnamed => LOCAL_HOST,
    }
}

/// The run's name table.
#[derive(Clone, Debug, Default)]
pub struct Hosts {
    names: BTreeMap<String, IpAddr>,
}

impl Hosts {
    pub fn new(names: impl IntoIterator<Item = (String, IpAddr)>) -> Hosts {
        Hosts {
            names: names
                .into_iter()
                .map(|(name, ip)| (name.to_ascii_lowercase(), ip))
                .collect(),
        }
    }

    /// The address of `name` (an IP literal, `localhost`, or a configured name).
    pub fn resolve(&self, name: &str) -> Option<IpAddr> {
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Some(ip);
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(ip) = self.names.get(&name) {
            return Some(*ip);
        }
        (name == "localhost").then_some(LOCAL_HOST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_unspecified_addresses_are_the_local_host() {
        for text in ["127.0.0.1", "127.8.9.10", "0.0.0.0", "::1", "::"] {
            assert_eq!(host_of_ip(text.parse().unwrap()), LOCAL_HOST, "{text}");
        }
        let remote: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(host_of_ip(remote), remote);
        assert_eq!(host_of_ip("::ffff:10.0.0.2".parse().unwrap()), remote);
    }

    #[test]
    fn names_resolve_through_the_table() {
        let hosts = Hosts::new([("DB".to_owned(), "10.0.0.2".parse().unwrap())]);
        assert_eq!(hosts.resolve("db"), Some("10.0.0.2".parse().unwrap()));
        assert_eq!(hosts.resolve("localhost"), Some(LOCAL_HOST));
        assert_eq!(hosts.resolve("10.1.2.3"), Some("10.1.2.3".parse().unwrap()));
        assert_eq!(hosts.resolve("nowhere.example"), None);
    }
}
