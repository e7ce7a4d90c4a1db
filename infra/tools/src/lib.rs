//! The local stack: the table and queues of `infra/template.yaml` on moto, and every API route
//! on one port through the same handlers the Lambdas run.

pub mod anthropic_standin;
pub mod chaos;
pub mod dev;
pub mod event_source;
pub mod graph_standin;
pub mod llm_standin;
pub mod load;
pub mod moto;
pub mod say_args;
pub mod server;
pub mod stack;
pub mod template;

use colloquy_domain::model::outbound_url::Ports;

/// The ports this machine hands out to listeners that ask for any (wiremock's stand-ins in the
/// tests and the benchmarks): the only loopback ports their tools and webhooks may be on.
pub fn ephemeral_ports() -> Ports {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let mut bounds = range.split_whitespace().filter_map(|n| n.parse::<u16>().ok());
    match (bounds.next(), bounds.next()) {
        (Some(first), Some(last)) if first > 0 && first <= last => Ports::range(first, last),
        _ => Ports::range(32768, 60999),
    }
}

/// Where a developer's own tool and webhook receivers listen while the local stack runs
/// (`LOCAL_RECEIVER_PORTS`, default 8000-8999): tenants' URLs may reach this machine only there
/// (and the local API's own `/sample-tool`), not moto or anything else on it.
pub fn local_receiver_ports() -> Result<Ports, String> {
    let text = std::env::var("LOCAL_RECEIVER_PORTS").unwrap_or_else(|_| "8000-8999".to_owned());
    Ports::parse(&text).map_err(|why| format!("LOCAL_RECEIVER_PORTS: {why}"))
}
