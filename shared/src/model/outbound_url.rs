//! Where Colloquy may send a tenant's data: the one rule for every URL a tenant gives us
//! (workspace webhooks, tools). HTTPS to a public address only; plain HTTP to this machine's
//! loopback only when the deployment allows it (the local stack and tests), never in production.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

pub const MAX_URL_CHARS: usize = 2000;

/// Whether loopback `http://` URLs are allowed: only a deployment that says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundRules {
    pub allow_loopback_http: bool,
}

/// Addresses no outbound call may reach: loopback, private (RFC 1918), link-local (cloud
/// metadata), unique-local, CGNAT, unspecified, multicast, broadcast and reserved ranges, and
/// IPv6 forms that embed such an IPv4 address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_forbidden_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 =
        || Ipv4Addr::new((segments[6] >> 8) as u8, segments[6] as u8, (segments[7] >> 8) as u8, segments[7] as u8);
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique-local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::a.b.c.d
        || (segments[0] == 0x64 && segments[1] == 0xff9b && is_forbidden_v4(embedded_v4())) // NAT64
        || (segments[0] == 0x2002 && is_forbidden_v4(Ipv4Addr::new((segments[1] >> 8) as u8, segments[1] as u8, (segments[2] >> 8) as u8, segments[2] as u8))) // 6to4
        || segments[0] == 0x2001 && segments[1] == 0x0db8 // documentation
}

fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    }
}

/// Checks a URL's form and, where its host is an address, the address. A host name is checked
/// again where it is resolved (`adapters::https::GuardedResolver`), on every connection.
pub fn check(text: &str, rules: OutboundRules) -> Result<Url, String> {
    let text = text.trim();
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let url = Url::parse(text).map_err(|err| format!("is not a valid URL: {err}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".to_owned());
    }
    let host = url.host().ok_or("must name a host")?;
    match url.scheme() {
        "https" => {}
        "http" if rules.allow_loopback_http && is_loopback_host(&host) => return Ok(url),
        _ => return Err("must be an https:// URL".to_owned()),
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
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PRODUCTION: OutboundRules = OutboundRules { allow_loopback_http: false };
    const LOCAL: OutboundRules = OutboundRules { allow_loopback_http: true };

    #[test]
    fn the_reported_doors_are_shut() {
        for url in [
            "http://localhost@evil.example/",
            "http://localhost.evil.example/",
            "https://10.0.0.5/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fd00::1]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://127.1/",
            "https://2130706433/",
            "https://localhost/",
            "https://metadata.google.internal/",
            "https://user:pass@hooks.example.com/",
            "http://127.0.0.1:8080/hooks",
            "ftp://example.com/",
            "https://[fe80::1]/",
            "https://224.0.0.1/",
        ] {
            assert!(check(url, PRODUCTION).is_err(), "{url} must be refused");
        }
        assert!(check("http://localhost@evil.example/", LOCAL).is_err(), "userinfo is never allowed");
        assert!(check("http://evil.example/", LOCAL).is_err(), "plain http only to loopback");
    }

    #[test]
    fn public_https_urls_and_the_local_stack_s_loopback_pass() {
        assert!(check("https://hooks.example.com/colloquy", PRODUCTION).is_ok());
        assert!(check("https://93.184.215.14/x", PRODUCTION).is_ok());
        assert!(check("http://127.0.0.1:8080/hooks", LOCAL).is_ok());
        assert!(check("http://localhost:9/", LOCAL).is_ok());
    }

    proptest! {
        #[test]
        fn checking_any_text_never_panics(text in "\\PC{0,200}") {
            let _ = check(&text, PRODUCTION);
            let _ = check(&text, LOCAL);
        }

        #[test]
        fn no_private_v4_address_passes(a in any::<u8>(), b in any::<u8>(), c in any::<u8>(), d in any::<u8>()) {
            let ip = Ipv4Addr::new(a, b, c, d);
            let url = format!("https://{ip}/");
            if ip.is_private() || ip.is_loopback() || ip.is_link_local() {
                prop_assert!(check(&url, PRODUCTION).is_err());
                let mapped = format!("https://[{}]/", ip.to_ipv6_mapped());
                prop_assert!(check(&mapped, PRODUCTION).is_err());
            }
        }
    }
}
