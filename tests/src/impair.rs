//! Real links for the lab ([`crate::netlab::NatLab`]): loss, delay and
//! jitter on the office network's way to the server, and rate caps on its
//! veth. Tests and benchmarks share this one place.
//!
//! The kernel here has no netem qdisc and no nftables `queue` statement,
//! so delay and jitter come from a userspace relay ([`relay`], the
//! `impair-relay` binary) in the router namespace: nftables redirects what
//! the office sends to the public address's forwarded ports to the relay,
//! which passes it to the server's private address through a seeded
//! [`Shaper`] per direction. UDP datagrams get loss, delay and jitter; TCP
//! (signalling, REST, the media tunnel) gets the delay, as a real path's
//! round trip applies to it too. The server sees the relay's address as
//! the office client's (for ICE, a peer-reflexive candidate); the client
//! still sees only the public address. Rate caps are tc `tbf` qdiscs:
//! the office's downlink on the router's `wan1`, its uplink on the
//! office's `eth0`.

pub mod relay;
pub mod shaper;

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

pub use relay::{Impairment, RelayConfig, RelayStats};
pub use shaper::{Direction, DirectionStats, SeededRng, Shaper};

use crate::netlab::{NatLab, Netns};
use crate::{WAIT, binary};

/// A symmetric link: each direction loses `loss_pct` of the datagrams,
/// holds them half the round trip and spreads that by `± jitter_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkImpairment {
    pub loss_pct: f64,
    pub rtt_ms: u32,
    pub jitter_ms: u32,
    /// The same seed gives the same loss and jitter decisions.
    pub seed: u64,
}

impl LinkImpairment {
    pub fn both_ways(&self) -> Impairment {
        let one_way = Direction {
            loss_pct: self.loss_pct,
            delay_ms: self.rtt_ms / 2,
            jitter_ms: self.jitter_ms,
        };
        Impairment {
            up: one_way,
            down: one_way,
        }
    }
}

/// The relay port for a forwarded port (on the router, office side).
fn relay_port(port: u16) -> u16 {
    port.wrapping_add(10_000)
}

/// How long a capped link may queue before tbf drops: about what a home
/// router buffers, so a sender that overshoots sees delay grow first.
pub const CAP_QUEUE_MS: u32 = 200;

/// The office's link while impaired: its relay process and redirection.
/// Dropping it removes the redirection (the office then reaches the server
/// directly again) and stops the relay.
pub struct ImpairedLink {
    router: Netns,
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl ImpairedLink {
    /// The relay's counters now.
    pub async fn stats(&mut self) -> RelayStats {
        let answer = self.ask("stats").await;
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("relay stats {answer}: {e}"))
    }

    /// New settings for both directions, from now on.
    pub async fn set(&mut self, impairment: Impairment) {
        let line = serde_json::to_string(&impairment).expect("encodable");
        let answer = self.ask(&line).await;
        assert_eq!(answer, "ok", "the relay took {line}");
    }

    async fn ask(&mut self, line: &str) -> String {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("the relay reads its stdin");
        tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("the relay answers")
            .expect("relay stdout")
            .expect("the relay is running")
    }
}

impl Drop for ImpairedLink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        quietly(&self.router, &["nft", "delete", "table", "ip", "impair"]);
    }
}

/// Runs a command in `ns`, ignoring failure (removing what may be gone).
fn quietly(ns: &Netns, args: &[&str]) {
    let _ = std::process::Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn tbf(ns: &Netns, dev: &str, kbit: u32) {
    // A burst of at least 10 ms at the rate (and two full packets), so
    // the cap shapes a flow rather than chopping every frame.
    let burst = (u64::from(kbit) * 1_000 / 8 / 100).max(3_000);
    ns.exec(
        "tc",
        &[
            "qdisc",
            "replace",
            "dev",
            dev,
            "root",
            "tbf",
            "rate",
            &format!("{kbit}kbit"),
            "burst",
            &burst.to_string(),
            "latency",
            &format!("{CAP_QUEUE_MS}ms"),
        ],
    );
}

impl NatLab {
    /// Sends the office's traffic to the server's forwarded ports through
    /// an impairment relay; returns its handle once it listens. Call it
    /// before office clients connect: flows the router already tracks
    /// keep their direct path.
    pub async fn impair_office(&self, link: LinkImpairment) -> ImpairedLink {
        let upstream = |port| std::net::SocketAddr::from((NatLab::PRIVATE_IP, port));
        let listen = |port| std::net::SocketAddr::from(([0, 0, 0, 0], relay_port(port)));
        let config = RelayConfig {
            udp: (self.udp_ports.iter())
                .map(|&p| (listen(p), upstream(p)))
                .collect(),
            tcp: (self.tcp_ports.iter())
                .map(|&p| (listen(p), upstream(p)))
                .collect(),
            impairment: link.both_ways(),
            seed: link.seed,
        };
        let mut child = self
            .router
            .command(binary("impair-relay"))
            .arg(serde_json::to_string(&config).expect("encodable"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("impair-relay starts");
        let stdin = child.stdin.take().expect("relay stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("relay stdout")).lines();
        let ready = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("the relay starts in time")
            .expect("relay stdout");
        assert_eq!(
            ready.as_deref(),
            Some("ready"),
            "impair-relay did not start"
        );
        let redirects: String = [("udp", &self.udp_ports), ("tcp", &self.tcp_ports)]
            .into_iter()
            .flat_map(|(proto, ports)| ports.iter().map(move |&p| (proto, p)))
            .map(|(proto, port)| {
                format!(
                    "iifname \"wan1\" ip daddr {public} {proto} dport {port} redirect to :{relay}\n",
                    public = NatLab::PUBLIC_IP,
                    relay = relay_port(port),
                )
            })
            .collect();
        // Before the lab's own port forwards: the first NAT decision wins.
        self.router.nft(&format!(
            "table ip impair {{
                chain prerouting {{
                    type nat hook prerouting priority dstnat - 10;
                    {redirects}
                }}
            }}"
        ));
        ImpairedLink {
            router: self.router.clone(),
            child,
            stdin,
            lines,
        }
    }

    /// Caps what reaches the office (the router's `wan1` egress).
    pub fn cap_office_downlink_kbit(&self, kbit: u32) {
        tbf(&self.router, "wan1", kbit);
    }

    /// Caps what the office sends (its `eth0` egress).
    pub fn cap_office_uplink_kbit(&self, kbit: u32) {
        tbf(&self.office, "eth0", kbit);
    }

    /// Removes both caps (either may be absent).
    pub fn lift_caps(&self) {
        quietly(&self.router, &["tc", "qdisc", "del", "dev", "wan1", "root"]);
        quietly(&self.office, &["tc", "qdisc", "del", "dev", "eth0", "root"]);
    }
}
