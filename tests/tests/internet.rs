//! A server behind a 1:1 NAT, as on a cloud VM, and clients on the other
//! side that can only reach its public address, directly or through a TURN
//! relay: real namespaces, veth pairs and nftables NAT
//! (`breakout_e2e::netlab`), and coturn. Needs root, so ignored by a plain
//! `cargo test`; `scripts/net-test.sh` runs it.

use breakout_core::{BreakoutConfig, Command, EventBody, RoomId};
use breakout_e2e::internet::{HTTP_PORT, MEDIA_PORT, pattern_frames, start_server, tone_frames};
use breakout_e2e::netlab::{NatLab, Netns};

/// The server's UDP sockets, from the socket table of its namespace.
fn server_udp_sockets(ns: &Netns) -> Vec<String> {
    ns.udp_sockets()
        .into_iter()
        .filter(|line| line.contains("\"breakout-server\""))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, ip and nft: scripts/net-test.sh runs it"]
async fn two_clients_behind_the_internet_meet_through_the_public_address_on_one_media_port() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    let data = tempfile::tempdir().unwrap();
    let server = start_server(&lab.server, data.path(), &[]).await;

    let config = serde_json::to_string(&BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    })
    .unwrap();
    let meeting = server
        .admin(
            &lab.clients,
            &["create-meeting", "--title", "NAT", "--config", &config],
        )
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let host_id = server.add(&lab.clients, &meeting, "Host", "host").await;
    let ada_id = server
        .add(&lab.clients, &meeting, "Ada", "participant")
        .await;
    let bo_id = server
        .add(&lab.clients, &meeting, "Bo", "participant")
        .await;
    let mut host = server.join(&lab.clients, "Host", &host_id, false).await;
    let mut ada = server.join(&lab.clients, "Ada", &ada_id, true).await;
    let mut bo = server.join(&lab.clients, "Bo", &bo_id, true).await;

    // In the main room each decodes the other's tone and pattern.
    let (ada_sees, bo_sees) = (bo_id.participant, ada_id.participant);
    let report = ada
        .media_report("Bo's pattern and a tone", |r| {
            pattern_frames(r, ada_sees) >= 10 && tone_frames(r) >= 10
        })
        .await;
    let ada_before = pattern_frames(&report, ada_sees);
    let report = bo
        .media_report("Ada's pattern and a tone", |r| {
            pattern_frames(r, bo_sees) >= 10 && tone_frames(r) >= 10
        })
        .await;
    let bo_before = pattern_frames(&report, bo_sees);

    // Every media connection shares the one port the NAT forwards.
    let sockets = server_udp_sockets(&lab.server);
    assert_eq!(sockets.len(), 1, "one media socket: {sockets:#?}");
    assert!(
        sockets[0].contains(&format!(":{MEDIA_PORT} ")),
        "on the media port: {sockets:#?}"
    );

    // Both move to a breakout room on the same connections and still
    // decode each other there.
    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("create rooms");
    for who in [ada_id.participant, bo_id.participant] {
        host.command(Command::Assign {
            participant: who,
            room: Some(RoomId(1)),
        })
        .await
        .expect("assign");
    }
    host.command(Command::Start).await.expect("start");
    let moved =
        |e: &EventBody| matches!(e, EventBody::MeetingChanged { room, .. } if *room == RoomId(1));
    ada.event(moved).await;
    bo.event(moved).await;
    ada.media_report("Bo's pattern after the move", |r| {
        pattern_frames(r, ada_sees) >= ada_before + 20
    })
    .await;
    bo.media_report("Ada's pattern after the move", |r| {
        pattern_frames(r, bo_sees) >= bo_before + 20
    })
    .await;
    let sockets = server_udp_sockets(&lab.server);
    assert_eq!(sockets.len(), 1, "still one media socket: {sockets:#?}");
}

const TURN_PORT: u16 = 3478;
const TURN_SECRET: &str = "lab-turn-secret";

/// coturn on the server's host, checking credentials against the secret
/// the room server mints them with, relaying from the private address.
fn start_turn(ns: &Netns) -> tokio::process::Child {
    let ip = NatLab::PRIVATE_IP.to_string();
    ns.command("turnserver")
        .args(["-n", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint"])
        .arg(format!("--listening-ip={ip}"))
        .arg(format!("--relay-ip={ip}"))
        .arg(format!("--listening-port={TURN_PORT}"))
        .args([
            "--min-port=49160",
            "--max-port=49200",
            "--realm=breakout.test",
        ])
        .args([
            "--use-auth-secret",
            &format!("--static-auth-secret={TURN_SECRET}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("turnserver (coturn) starts: scripts/net-test.sh installs it")
}

/// Packets an nftables rule with a counter matched, from `nft list`.
fn dropped_packets(ns: &Netns) -> u64 {
    let listing = ns.exec("nft", &["list", "table", "inet", "blocked"]);
    listing
        .split_whitespace()
        .skip_while(|word| *word != "packets")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no counter in {listing}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, ip, nft and coturn: scripts/net-test.sh runs it"]
async fn a_client_whose_udp_to_the_media_port_is_blocked_meets_through_turn() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT, TURN_PORT]);
    // The clients' network lets UDP reach the TURN port only.
    lab.clients.nft(&format!(
        "table inet blocked {{
            chain out {{
                type filter hook output priority filter;
                ip daddr {public} udp dport {MEDIA_PORT} counter drop
            }}
        }}",
        public = NatLab::PUBLIC_IP,
    ));
    let _turn = start_turn(&lab.server);
    let data = tempfile::tempdir().unwrap();
    let turn_url = format!("turn:{}:{TURN_PORT}?transport=udp", NatLab::PUBLIC_IP);
    let server = start_server(
        &lab.server,
        data.path(),
        &["--turn-url", &turn_url, "--turn-secret", TURN_SECRET],
    )
    .await;

    let meeting = server
        .admin(&lab.clients, &["create-meeting", "--title", "TURN"])
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let ada_id = server
        .add(&lab.clients, &meeting, "Ada", "participant")
        .await;
    let bo_id = server
        .add(&lab.clients, &meeting, "Bo", "participant")
        .await;
    let mut ada = server.join(&lab.clients, "Ada", &ada_id, true).await;
    let mut bo = server.join(&lab.clients, "Bo", &bo_id, true).await;
    let report = ada
        .media_report("Bo's pattern and a tone through the relay", |r| {
            pattern_frames(r, bo_id.participant) >= 10 && tone_frames(r) >= 10
        })
        .await;
    assert_eq!(report["transport"], "udp", "TURN, not the tunnel: {report}");
    bo.media_report("Ada's pattern and a tone through the relay", |r| {
        pattern_frames(r, ada_id.participant) >= 10 && tone_frames(r) >= 10
    })
    .await;
    // The direct path was tried and blocked, so what arrived was relayed.
    assert!(
        dropped_packets(&lab.clients) > 0,
        "the direct path was never tried"
    );
}

/// A self-signed certificate for the public address, as an operator
/// without a domain name would make.
fn self_signed_for_public_ip(dir: &std::path::Path) -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec![NatLab::PUBLIC_IP.to_string()])
        .expect("certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let path = |p: std::path::PathBuf| p.to_str().expect("UTF-8 path").to_owned();
    (path(cert), path(key))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, ip and nft: scripts/net-test.sh runs it"]
async fn a_client_on_a_network_that_blocks_udp_meets_through_the_media_tunnel_over_tls() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    // The office lets no UDP out at all (TURN would not help either).
    lab.office.nft(
        "table inet blocked {
            chain out {
                type filter hook output priority filter;
                oifname \"eth0\" meta l4proto udp counter drop
            }
        }",
    );
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_for_public_ip(certs.path());
    let data = tempfile::tempdir().unwrap();
    let server = start_server(
        &lab.server,
        data.path(),
        &["--tls-cert", &cert, "--tls-key", &key],
    )
    .await;
    assert!(server.url.starts_with("https://"), "{}", server.url);
    assert!(server.pin.is_some(), "the server names its certificate");

    let config = serde_json::to_string(&BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    })
    .unwrap();
    let meeting = server
        .admin(
            &lab.clients,
            &["create-meeting", "--title", "Office", "--config", &config],
        )
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let host_id = server.add(&lab.clients, &meeting, "Host", "host").await;
    let ada_id = server
        .add(&lab.office, &meeting, "Ada", "participant")
        .await;
    let bo_id = server
        .add(&lab.clients, &meeting, "Bo", "participant")
        .await;
    let mut host = server.join(&lab.clients, "Host", &host_id, false).await;
    let mut ada = server.join(&lab.office, "Ada", &ada_id, true).await;
    let mut bo = server.join(&lab.clients, "Bo", &bo_id, true).await;

    let report = ada
        .media_report("Bo's pattern and a tone in the office", |r| {
            pattern_frames(r, bo_id.participant) >= 10 && tone_frames(r) >= 10
        })
        .await;
    assert_eq!(report["transport"], "tunnel", "{report}");
    let ada_before = pattern_frames(&report, bo_id.participant);
    let report = bo
        .media_report("Ada's pattern and a tone from the office", |r| {
            pattern_frames(r, ada_id.participant) >= 10 && tone_frames(r) >= 10
        })
        .await;
    assert_eq!(report["transport"], "udp", "{report}");
    let bo_before = pattern_frames(&report, ada_id.participant);
    assert!(
        dropped_packets(&lab.office) > 0,
        "UDP was tried from the office and dropped"
    );

    // A move to a breakout room on the same connections.
    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("create rooms");
    for who in [ada_id.participant, bo_id.participant] {
        host.command(Command::Assign {
            participant: who,
            room: Some(RoomId(2)),
        })
        .await
        .expect("assign");
    }
    host.command(Command::Start).await.expect("start");
    let moved =
        |e: &EventBody| matches!(e, EventBody::MeetingChanged { room, .. } if *room == RoomId(2));
    ada.event(moved).await;
    bo.event(moved).await;
    let report = ada
        .media_report("Bo's pattern in room 2", |r| {
            pattern_frames(r, bo_id.participant) >= ada_before + 20
        })
        .await;
    assert_eq!(report["transport"], "tunnel", "still the tunnel: {report}");
    bo.media_report("Ada's pattern in room 2", |r| {
        pattern_frames(r, ada_id.participant) >= bo_before + 20
    })
    .await;
}
