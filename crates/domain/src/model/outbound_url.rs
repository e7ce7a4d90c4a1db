//! Where Colloquy may send a tenant's data: the one rule for every URL a tenant gives us
//! (workspace webhooks, tools). HTTPS on port 443 (or a port the deployment adds) to a public
//! address only: every IANA special-purpose range is refused as a whole. Plain HTTP only to the
//! loopback ports a deployment names (the local stack's receivers, the tests' stand-ins), never
//! in production.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use url::{Host, Url};

pub const MAX_URL_CHARS: usize = 2000;
const HTTPS_PORT: u16 = 443;

/// Ports, as inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ports(Arc<[(u16, u16)]>);

impl Ports {
    pub fn range(first: u16, last: u16) -> Self {
        Self(Arc::from([(first, last)]))
    }

    /// These ports and `port`.
    pub fn with(&self, port: u16) -> Self {
        Self(self.0.iter().copied().chain([(port, port)]).collect())
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(first, last)| first <= port && port <= last)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `8080,9000-9010`: ports and ranges, comma-separated; port 0 is never one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (first, last) = part.split_once('-').unwrap_or((part, part));
            let port = |p: &str| p.trim().parse::<u16>().ok().filter(|&p| p != 0);
            match (port(first), port(last)) {
                (Some(first), Some(last)) if first <= last => ranges.push((first, last)),
                _ => return Err(format!("`{part}` is not a port (1-65535) or a range of ports like 9000-9010")),
            }
        }
        Ok(Self(ranges.into()))
    }
}

/// Where a deployment lets tenants' URLs go besides HTTPS on 443 to public addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundRules {
    /// Further HTTPS ports (`OUTBOUND_HTTPS_PORTS`); none by default.
    pub https_ports: Ports,
    /// Loopback ports plain HTTP may reach (`LOOPBACK_HTTP_PORTS`): the local stack's receivers;
    /// none in a deployment.
    pub loopback_http_ports: Ports,
}

impl OutboundRules {
    /// Whether a connection may go to this loopback address: only where loopback HTTP is allowed.
    pub fn allows_loopback(&self) -> bool {
        !self.loopback_http_ports.is_empty()
    }
}

/// IPv4 ranges of IANA's special-purpose address registry (and multicast): none is a public
/// service. `(network, prefix length)`.
const FORBIDDEN_V4: [([u8; 4], u8); 19] = [
    ([0, 0, 0, 0], 8),          // "this network"
    ([10, 0, 0, 0], 8),         // private
    ([100, 64, 0, 0], 10),      // shared address space (CGNAT)
    ([127, 0, 0, 0], 8),        // loopback
    ([169, 254, 0, 0], 16),     // link-local (cloud metadata)
    ([172, 16, 0, 0], 12),      // private
    ([192, 0, 0, 0], 24),       // IETF protocol assignments
    ([192, 0, 2, 0], 24),       // documentation
    ([192, 31, 196, 0], 24),    // AS112
    ([192, 52, 193, 0], 24),    // AMT
    ([192, 88, 99, 0], 24),     // 6to4 relay anycast
    ([192, 168, 0, 0], 16),     // private
    ([192, 175, 48, 0], 24),    // AS112 direct delegation
    ([198, 18, 0, 0], 15),      // benchmarking
    ([198, 51, 100, 0], 24),    // documentation
    ([203, 0, 113, 0], 24),     // documentation
    ([224, 0, 0, 0], 4),        // multicast
    ([240, 0, 0, 0], 4),        // reserved
    ([255, 255, 255, 255], 32), // broadcast
];

/// IPv6 ranges refused inside global unicast (2000::/3); everything outside it (loopback,
/// unspecified, IPv4-mapped, -compatible and -translated, the discard prefix, unique-local,
/// link-local, site-local, multicast) is refused already. `(network, prefix length)`.
const FORBIDDEN_V6: [([u16; 8], u8); 6] = [
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments: Teredo, ORCHID, benchmarking…
    ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32), // documentation
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4
    ([0x2620, 0x004f, 0x8000, 0, 0, 0, 0, 0], 48), // AS112 direct delegation
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16), // segment routing
];

/// Whether `ip` starts with the first `prefix` bits of `network` (both as big-endian integers).
fn in_prefix(ip: u128, network: u128, prefix: u8, width: u8) -> bool {
    let host_bits = u32::from(width - prefix);
    ip.checked_shr(host_bits).unwrap_or(0) == network.checked_shr(host_bits).unwrap_or(0)
}

/// Addresses no outbound call may reach: every special-purpose range, whatever its spelling.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let ip = u128::from(u32::from(v4));
            FORBIDDEN_V4
                .iter()
                .any(|&(net, prefix)| in_prefix(ip, u128::from(u32::from(Ipv4Addr::from(net))), prefix, 32))
        }
        IpAddr::V6(v6) => {
            let ip = u128::from(v6);
            let global_unicast = in_prefix(ip, u128::from(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0)), 3, 128);
            !global_unicast
                || FORBIDDEN_V6.iter().any(|&(net, prefix)| in_prefix(ip, u128::from(Ipv6Addr::from(net)), prefix, 128))
        }
    }
}

fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    }
}

/// Checks a URL's form, port and, where its host is an address, the address. A host name is
/// checked again where it is resolved (`adapters::https::GuardedResolver`), on every connection.
pub fn check(text: &str, rules: &OutboundRules) -> Result<Url, String> {
    let text = text.trim();
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let url = Url::parse(text).map_err(|err| format!("is not a valid URL: {err}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".to_owned());
    }
    let host = url.host().ok_or("must name a host")?;
    let port = url.port_or_known_default().unwrap_or(0);
    match url.scheme() {
        "https" => {}
        "http" if rules.allows_loopback() && is_loopback_host(&host) => {
            return match rules.loopback_http_ports.contains(port) {
                true => Ok(url),
                false => Err(format!("may reach this machine only on the ports the deployment names, not {port}")),
            };
        }
        _ => return Err("must be an https:// URL".to_owned()),
    }
    if port != HTTPS_PORT && !rules.https_ports.contains(port) {
        return Err(format!("must use port 443, not {port}"));
    }
    let forbidden = match host {
        Host::Ipv4(ip) => is_forbidden(IpAddr::V4(ip)),
        Host::Ipv6(ip) => is_forbidden(IpAddr::V6(ip)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal") || !name.contains('.')
        }
    };
    if forbidden {
        return Err("must point at a public address, not a loopback, private, link-local or internal one".to_owned());
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
