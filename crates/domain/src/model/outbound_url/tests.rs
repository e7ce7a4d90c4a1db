//! Every range, by its edges: the first and last address inside are refused and the addresses
//! just outside pass (unless a neighbouring range takes them), so that no line of the tables or
//! the arithmetic can change unnoticed (`cargo mutants` on `outbound_url.rs`).

use proptest::prelude::*;

use super::*;

fn production() -> OutboundRules {
    OutboundRules::default()
}

fn local() -> OutboundRules {
    OutboundRules { loopback_http_ports: Ports::range(8080, 8089), ..OutboundRules::default() }
}

fn v4(text: &str) -> IpAddr {
    IpAddr::V4(text.parse().expect("an IPv4 address"))
}

fn v6(text: &str) -> IpAddr {
    IpAddr::V6(text.parse().expect("an IPv6 address"))
}

const FORBIDDEN_V4_EDGES: [&str; 40] = [
    "0.0.0.0",
    "0.255.255.255",
    "10.0.0.0",
    "10.255.255.255",
    "100.64.0.0",
    "100.127.255.255",
    "127.0.0.0",
    "127.255.255.255",
    "169.254.0.0",
    "169.254.169.254",
    "169.254.255.255",
    "172.16.0.0",
    "172.31.255.255",
    "192.0.0.0",
    "192.0.0.255",
    "192.0.2.0",
    "192.0.2.255",
    "192.31.196.0",
    "192.31.196.255",
    "192.52.193.0",
    "192.52.193.255",
    "192.88.99.0",
    "192.88.99.255",
    "192.168.0.0",
    "192.168.255.255",
    "192.175.48.0",
    "192.175.48.255",
    "198.18.0.0",
    "198.19.255.255",
    "198.51.100.0",
    "198.51.100.255",
    "203.0.113.0",
    "203.0.113.255",
    "224.0.0.0",
    "239.255.255.255",
    "240.0.0.0",
    "255.255.255.254",
    "255.255.255.255",
    "127.0.0.1",
    "192.0.0.170",
];

const PUBLIC_V4_EDGES: [&str; 30] = [
    "1.0.0.0",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.0",
    "192.0.3.0",
    "192.31.195.255",
    "192.31.197.0",
    "192.52.192.255",
    "192.52.194.0",
    "192.88.98.255",
    "192.88.100.0",
    "192.167.255.255",
    "192.169.0.0",
    "192.175.47.255",
    "192.175.49.0",
    "198.17.255.255",
    "198.20.0.0",
    "198.51.99.255",
    "198.51.101.0",
    "203.0.112.255",
    "203.0.114.0",
    "223.255.255.255",
];

const FORBIDDEN_V6: [&str; 32] = [
    "::",
    "::1",
    "::ffff:7f00:1",
    "::ffff:a9fe:a9fe",
    "::ffff:0:7f00:1",
    "::ffff:0:a9fe:a9fe",
    "::7f00:1",
    "::808:808",
    "64:ff9b::7f00:1",
    "64:ff9b::808:808",
    "64:ff9b:1::1",
    "100::1",
    "100::ffff:ffff:ffff:ffff",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
    "2001:db8::1",
    "2002:7f00:1::1",
    "2002:808:808::1",
    "2620:4f:8000::1",
    "2620:4f:8000:ffff:ffff:ffff:ffff:ffff",
    "3fff::1",
    "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
    "5f00::1",
    "fc00::1",
    "fd00::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "4000::1",
    "1000::1",
];

const PUBLIC_V6: [&str; 12] = [
    "2000::1",
    "2001:200::1",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "2a00:1450:4001::1",
    "2001:db9::1",
    "2001:db7:ffff::1",
    "2003::1",
    "2620:4f:7fff::1",
    "2620:4f:8001::1",
    "3fff:1000::1",
    "3ffe::1",
];

#[test]
fn every_special_purpose_v4_range_is_refused_to_its_edges_and_its_neighbours_pass() {
    for ip in FORBIDDEN_V4_EDGES {
        assert!(is_forbidden(v4(ip)), "{ip} must be refused");
        assert!(check(&format!("https://{ip}/"), &production()).is_err(), "https://{ip}/");
    }
    for ip in PUBLIC_V4_EDGES {
        assert!(!is_forbidden(v4(ip)), "{ip} is public");
        assert!(check(&format!("https://{ip}/"), &production()).is_ok(), "https://{ip}/");
    }
}

#[test]
fn only_global_unicast_v6_outside_the_special_ranges_passes() {
    for ip in FORBIDDEN_V6 {
        assert!(is_forbidden(v6(ip)), "{ip} must be refused");
        assert!(check(&format!("https://[{ip}]/"), &production()).is_err(), "https://[{ip}]/");
    }
    for ip in PUBLIC_V6 {
        assert!(!is_forbidden(v6(ip)), "{ip} is public");
        assert!(check(&format!("https://[{ip}]/"), &production()).is_ok(), "https://[{ip}]/");
    }
}

#[test]
fn the_reported_doors_are_shut() {
    for url in [
        "http://localhost@evil.example/",
        "http://localhost.evil.example/",
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://localhost/",
        "https://app.localhost/",
        "https://metadata.google.internal/",
        "https://metadata/",
        "https://user:pass@hooks.example.com/",
        "https://user@hooks.example.com/",
        "http://127.0.0.1:8080/hooks",
        "ftp://example.com/",
        "https:///nohost",
        "not a url",
    ] {
        assert!(check(url, &production()).is_err(), "{url} must be refused");
    }
    assert!(check("http://localhost@evil.example/", &local()).is_err(), "userinfo is never allowed");
    assert!(check("http://evil.example:8080/", &local()).is_err(), "plain http only to loopback");
    assert!(check("http://10.0.0.1:8080/", &local()).is_err(), "plain http only to loopback");
    assert!(check(&format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_CHARS)), &production()).is_err());
    let base = "https://hooks.example.com/";
    let exactly = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
    assert!(check(&exactly, &production()).is_ok(), "exactly the limit passes");
}

#[test]
fn https_uses_port_443_unless_the_deployment_adds_ports() {
    for url in ["https://hooks.example.com:22/", "https://hooks.example.com:6379/", "https://hooks.example.com:0/"] {
        assert!(check(url, &production()).is_err(), "{url}");
    }
    assert!(check("https://hooks.example.com:443/x", &production()).is_ok());
    assert!(check("https://hooks.example.com/x", &production()).is_ok());
    let more = OutboundRules { https_ports: Ports::range(8443, 8443), ..OutboundRules::default() };
    assert!(check("https://hooks.example.com:8443/", &more).is_ok());
    assert!(check("https://hooks.example.com:8444/", &more).is_err());
    assert!(check("https://10.0.0.1:8443/", &more).is_err(), "a port adds no address");
}

#[test]
fn loopback_http_reaches_only_the_named_ports() {
    assert!(check("http://127.0.0.1:8080/hooks", &local()).is_ok());
    assert!(check("http://localhost:8089/", &local()).is_ok());
    assert!(check("http://[::1]:8085/", &local()).is_ok());
    for url in [
        "http://127.0.0.1:8079/",
        "http://127.0.0.1:8090/",
        "http://127.0.0.1:5000/moto-api/data.json",
        "http://127.0.0.1/",
        "http://127.0.0.1:0/",
    ] {
        assert!(check(url, &local()).is_err(), "{url}");
    }
    assert!(!production().allows_loopback() && local().allows_loopback());
}

#[test]
fn port_lists_parse_and_refuse_what_is_not_a_port() {
    let ports = Ports::parse("8080, 9000-9010").expect("ports");
    for port in [8080, 9000, 9005, 9010] {
        assert!(ports.contains(port), "{port}");
    }
    for port in [0, 8079, 8081, 8999, 9011] {
        assert!(!ports.contains(port), "{port}");
    }
    assert!(Ports::parse("").expect("none").is_empty());
    assert!(!Ports::parse("1").expect("one").is_empty());
    for bad in ["0", "9010-9000", "x", "70000", "80-", "-80", "0-10"] {
        assert!(Ports::parse(bad).is_err(), "{bad}");
    }
    assert!(Ports::default().is_empty());
    let more = ports.with(3000);
    assert!(more.contains(3000) && more.contains(8080) && !more.contains(3001) && !ports.contains(3000));
}

proptest! {
    #[test]
    fn checking_any_text_never_panics(text in "\\PC{0,200}") {
        let _ = check(&text, &production());
        let _ = check(&text, &local());
    }

    #[test]
    fn no_private_v4_address_passes_in_any_spelling(a in any::<u8>(), b in any::<u8>(), c in any::<u8>(), d in any::<u8>()) {
        let ip = Ipv4Addr::new(a, b, c, d);
        if ip.is_private() || ip.is_loopback() || ip.is_link_local() {
            let spellings = [format!("https://{ip}/"), format!("https://[{}]/", ip.to_ipv6_mapped()), format!("https://{}/", u32::from(ip))];
            for url in spellings {
                prop_assert!(check(&url, &production()).is_err(), "{}", url);
            }
        }
    }

    #[test]
    fn parsing_any_port_list_never_panics(text in "[0-9,\\- ]{0,40}") {
        let _ = Ports::parse(&text);
    }
}
