//! Where media meets the network: one UDP port for every media connection
//! on the server, and the addresses announced for it.
//!
//! Every connection shares one socket (the ICE stack's UDP mux tells them
//! apart by the username fragment of each STUN check), so a firewall needs
//! one UDP port opened, not a range. Behind a 1:1 NAT (a cloud VM's public
//! address) the operator names the public address; it is announced
//! besides the private one, so clients on the same network need no hairpin
//! NAT. The public address is never guessed from outside.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use breakout_core::ParticipantId;
use breakout_protocol::media::IceServer;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice::udp_mux::{UDPMux, UDPMuxDefault, UDPMuxParams};
use webrtc::ice::udp_network::UDPNetwork;

use super::ice_servers::IceServersConfig;
use super::threads::MediaThreads;

/// How the operator wants media reachable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaNetworkConfig {
    /// The one UDP port for media; 0 picks a free one.
    pub port: u16,
    /// Addresses that reach this server's media port from outside (1:1 NAT),
    /// announced in addition to the local ones.
    pub public_ips: Vec<IpAddr>,
    /// STUN/TURN servers handed to clients.
    pub ice_servers: IceServersConfig,
    /// Media threads meetings are spread over, each a single-threaded
    /// runtime (0 counts as 1).
    pub threads: usize,
}

/// The server's media socket and what is announced for it.
pub struct MediaNetwork {
    bind_ip: IpAddr,
    local: SocketAddr,
    public_ips: Vec<IpAddr>,
    ice_servers: IceServersConfig,
    mux: Arc<UDPMuxDefault>,
    threads: MediaThreads,
    /// Streams forwarded right now across this server's meetings (filled
    /// downstream slots), kept by each meeting's router: the load a
    /// cluster node reports and its stream budget is checked against.
    streams: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for MediaNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaNetwork")
            .field("local", &self.local)
            .field("public_ips", &self.public_ips)
            .finish_non_exhaustive()
    }
}

impl MediaNetwork {
    /// Binds the media port on `bind_ip` (the HTTP listener's address: a
    /// specific IP gathers only that IP, unspecified every interface).
    /// Starts the media threads; the socket is read on the first.
    pub fn bind(bind_ip: IpAddr, config: &MediaNetworkConfig) -> std::io::Result<MediaNetwork> {
        let threads = MediaThreads::start(config.threads)?;
        let _socket_thread = threads.first().enter();
        let socket = std::net::UdpSocket::bind(SocketAddr::new(bind_ip, config.port))?;
        socket.set_nonblocking(true)?;
        let socket = tokio::net::UdpSocket::from_std(socket)?;
        let local = socket.local_addr()?;
        Ok(MediaNetwork {
            bind_ip,
            local,
            public_ips: config.public_ips.clone(),
            ice_servers: config.ice_servers.clone(),
            mux: UDPMuxDefault::new(UDPMuxParams::new(socket)),
            threads,
            streams: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// Runs a meeting's media task on one of the media threads.
    pub fn spawn_meeting(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.threads.spawn_meeting(task);
    }

    /// Streams forwarded right now by every meeting of this server.
    pub fn streams(&self) -> u64 {
        let streams = self.streams.load(std::sync::atomic::Ordering::Relaxed);
        u64::try_from(streams).unwrap_or(0)
    }

    /// A router's count of forwarded streams changed by `delta`.
    pub(super) fn add_streams(&self, delta: i64) {
        self.streams
            .fetch_add(delta, std::sync::atomic::Ordering::Relaxed);
    }

    /// The address the media socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Where a relay on this machine sends datagrams to reach the media
    /// socket: its own address, or loopback when it listens on every one.
    pub fn relay_target(&self) -> SocketAddr {
        let ip = match self.local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.local.port())
    }

    pub fn public_ips(&self) -> &[IpAddr] {
        &self.public_ips
    }

    /// The STUN/TURN servers for one participant, with fresh credentials.
    pub fn ice_servers_for(&self, participant: ParticipantId, now_unix: u64) -> Vec<IceServer> {
        self.ice_servers.for_participant(participant, now_unix)
    }

    /// Candidate gathering for one connection: host candidates on the
    /// shared port, from the bound address only when it is a specific one.
    pub fn setting_engine(&self) -> SettingEngine {
        let mut settings = SettingEngine::default();
        settings.set_udp_network(UDPNetwork::Muxed(self.mux.clone()));
        // Querying would open a multicast socket per connection. A client
        // that hides its address behind an mDNS name is still reached: its
        // connectivity checks arrive from its real address.
        settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
        let family = if self.bind_ip.is_ipv4() {
            NetworkType::Udp4
        } else {
            NetworkType::Udp6
        };
        settings.set_network_types(vec![family]);
        let ip = self.bind_ip;
        if !ip.is_unspecified() {
            settings.set_ip_filter(Box::new(move |candidate| candidate == ip));
            settings.set_include_loopback_candidate(ip.is_loopback());
        }
        settings
    }

    /// Adds the public addresses to an answer's candidates: one
    /// server-reflexive candidate per public address on the media port,
    /// below the host candidates in priority so a client on the same network
    /// still pairs with the private address first.
    pub fn announce(&self, sdp: &str) -> String {
        if self.public_ips.is_empty() {
            return sdp.to_owned();
        }
        let mut out = String::with_capacity(sdp.len() + 128 * self.public_ips.len());
        for line in sdp.split_inclusive('\n') {
            out.push_str(line);
            let Some(host) = HostCandidate::parse(line.trim_end()) else {
                continue;
            };
            if host.port != self.local.port() {
                continue;
            }
            for (i, public) in self.public_ips.iter().enumerate() {
                if *public == host.address || public.is_ipv4() != host.address.is_ipv4() {
                    continue;
                }
                out.push_str(&format!(
                    "a=candidate:public{i} {} udp {} {public} {port} typ srflx raddr {} rport {port}\r\n",
                    host.component,
                    srflx_priority(host.component, i),
                    host.address,
                    port = host.port,
                ));
            }
        }
        out
    }

    /// Stops the shared socket (every connection on it is closed first).
    pub async fn close(&self) {
        if let Err(error) = self.mux.close().await {
            tracing::debug!(%error, "closing the media socket");
        }
    }
}

/// RFC 8445 §5.1.2.1 with the recommended server-reflexive type preference.
fn srflx_priority(component: u16, index: usize) -> u32 {
    const SRFLX_TYPE_PREFERENCE: u32 = 100;
    let local_preference = 65_535u32.saturating_sub(index as u32);
    (SRFLX_TYPE_PREFERENCE << 24) | (local_preference << 8) | (256 - u32::from(component))
}

/// The parts of an `a=candidate:... typ host` line the announcement needs.
struct HostCandidate {
    component: u16,
    address: IpAddr,
    port: u16,
}

impl HostCandidate {
    /// `a=candidate:<foundation> <component> udp <priority> <address> <port> typ host ...`
    fn parse(line: &str) -> Option<HostCandidate> {
        let fields: Vec<&str> = line.strip_prefix("a=candidate:")?.split(' ').collect();
        let [_, component, transport, _, address, port, "typ", "host", ..] = fields.as_slice()
        else {
            return None;
        };
        if !transport.eq_ignore_ascii_case("udp") {
            return None;
        }
        Some(HostCandidate {
            component: component.parse().ok()?,
            address: address.parse().ok()?,
            port: port.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "v=0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
        a=candidate:1 1 udp 2130706431 10.1.0.2 7801 typ host\r\n\
        a=candidate:2 1 udp 2130706431 10.9.0.2 40000 typ host\r\n\
        a=end-of-candidates\r\n";

    fn network(public_ips: Vec<IpAddr>) -> MediaNetwork {
        let config = MediaNetworkConfig {
            public_ips,
            ..MediaNetworkConfig::default()
        };
        let mut network = MediaNetwork::bind([127, 0, 0, 1].into(), &config).expect("bind");
        network.local = "10.1.0.2:7801".parse().unwrap();
        network
    }

    #[tokio::test]
    async fn public_addresses_join_the_host_candidates_of_the_media_port() {
        let announced = network(vec!["203.0.113.7".parse().unwrap()]).announce(ANSWER);
        let candidates: Vec<&str> = announced
            .lines()
            .filter(|l| l.starts_with("a=candidate"))
            .collect();
        assert_eq!(
            candidates,
            [
                "a=candidate:1 1 udp 2130706431 10.1.0.2 7801 typ host",
                "a=candidate:public0 1 udp 1694498815 203.0.113.7 7801 typ srflx raddr 10.1.0.2 rport 7801",
                "a=candidate:2 1 udp 2130706431 10.9.0.2 40000 typ host",
            ]
        );
        assert!(announced.ends_with("a=end-of-candidates\r\n"));
    }

    #[tokio::test]
    async fn nothing_is_announced_without_a_public_address() {
        assert_eq!(network(vec![]).announce(ANSWER), ANSWER);
    }

    #[tokio::test]
    async fn a_public_address_of_the_other_family_is_not_paired() {
        let announced = network(vec!["2001:db8::7".parse().unwrap()]).announce(ANSWER);
        assert_eq!(announced, ANSWER);
    }

    #[test]
    fn priority_follows_rfc_8445_below_host_candidates() {
        assert_eq!(srflx_priority(1, 0), 1_694_498_815);
        assert!(srflx_priority(1, 0) < 2_130_706_431);
        assert!(srflx_priority(1, 1) < srflx_priority(1, 0));
    }
}
