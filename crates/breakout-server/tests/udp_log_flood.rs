//! Garbage datagrams at a media port cannot flood the server's log.

mod common;
mod media_peer;

use std::net::SocketAddr;

use common::{TestServer, quick_config};
use media_peer::{MediaPeer, Signal};

/// The server's UDP port from an SDP answer's host candidate.
fn media_port(sdp: &str) -> u16 {
    sdp.lines()
        .filter_map(|line| line.strip_prefix("a=candidate:"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.len() > 5 && fields[2].eq_ignore_ascii_case("udp"))
        .and_then(|fields| fields[5].parse().ok())
        .unwrap_or_else(|| panic!("no UDP candidate in the answer:\n{sdp}"))
}

/// A STUN binding request with no attributes: no USERNAME says which
/// connection it is for.
fn stun_request_without_username(i: u32) -> Vec<u8> {
    let mut packet = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
    packet.extend_from_slice(&[0; 8]);
    packet.extend_from_slice(&i.to_be_bytes());
    packet
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_garbage_datagrams_write_a_bounded_log() {
    let mut server = TestServer::start_process(&["--log", "info"]).await;
    let meeting = server.create_meeting(quick_config()).await;
    let person = server.add(&meeting, "Pat", "participant").await;
    let addr = server.addr;
    let peer = MediaPeer::join(Signal::connect(addr, &person.token).await, 0).await;
    let answer = peer.pc.remote_description().await.expect("answer").sdp;
    let target = SocketAddr::new(addr.ip(), media_port(&answer));

    // Half plain garbage (dropped unread: the shared media port only reads
    // what comes from an address a connection uses), half STUN binding
    // requests that name no connection, which the stack warns about.
    let flood = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..20_000u32 {
        let packet = if i % 2 == 0 {
            let mut garbage = b"garbage, not STUN, RTP or DTLS ".to_vec();
            garbage.extend_from_slice(&i.to_be_bytes());
            garbage
        } else {
            stun_request_without_username(i)
        };
        flood.send_to(&packet, target).await.unwrap();
    }
    // The throttle says how many lines it held back, once per interval.
    let summary = server
        .read_until("more lines like this were not logged")
        .await;
    peer.close().await;
    let log = server.stop_and_read_log().await;

    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    // A few sites, 10 lines each per 5 s, over a test of well under a minute;
    // unthrottled, the same flood wrote 17,171 lines.
    assert!(
        warnings < 1_000,
        "{warnings} warning lines for one flood; summary: {summary}"
    );
}
