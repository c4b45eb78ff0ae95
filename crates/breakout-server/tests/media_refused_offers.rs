//! Refused media offers through the real server leave nothing behind: the
//! half-built connection of each is closed before the refusal is sent.
//! Alone in its test binary, because the count of open media connections is
//! process-wide.

mod common;

use breakout_protocol::ws::Request;
use common::{TestServer, code, quick_config};

/// Well-formed SDP the stack parses, shaped like a client's (4 audio and 9
/// video slots), but without ICE credentials: refused only once the
/// connection and its slots exist.
fn no_ice_credentials() -> String {
    let mut sdp = String::from("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    for mid in 0..13 {
        let (kind, codec) = if mid < 4 {
            ("audio", "111 opus/48000/2")
        } else {
            ("video", "96 VP8/90000")
        };
        let pt = &codec[..codec.find(' ').unwrap_or(0)];
        sdp += &format!(
            "m={kind} 9 UDP/TLS/RTP/SAVPF {pt}\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n\
             a=recvonly\r\na=rtpmap:{codec}\r\n"
        );
    }
    sdp
}

const REFUSED_OFFERS: usize = 1_000;
const OFFERS_PER_MEETING: usize = 50;
/// What the 1,000 offers may add to the resident set: a leak of even a
/// third of a connection's ~116 kB each would exceed it.
const RSS_ALLOWANCE_BYTES: u64 = 40 << 20;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("resident pages");
    pages * 4096
}

/// Refuses `count` offers from one new participant of a new meeting (each
/// connection stays within its request rate and its allowance of refusals).
async fn refuse_offers(server: &TestServer, count: usize) {
    let meeting = server.create_meeting(quick_config()).await;
    let person = server.add(&meeting, "Ann", "participant").await;
    let mut ws = server.connect(&person.token).await;
    // Unparsable SDP is refused before anything is built.
    assert_eq!(code(ws.request(offer("v=0")).await), "bad_offer");
    for i in 0..count {
        assert_eq!(
            code(ws.request(offer(&no_ice_credentials())).await),
            "bad_offer"
        );
        assert_eq!(
            breakout_server::live_media_connections(),
            0,
            "refused offer {i} left its connection open"
        );
    }
    let deleted = server
        .http
        .delete(server.url(&format!("/v1/meetings/{meeting}")))
        .bearer_auth(common::KEY)
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success(), "{}", deleted.status());
}

fn offer(sdp: &str) -> Request {
    Request::MediaOffer {
        sdp: sdp.into(),
        restart: false,
        listen_slots: 0,
        all_rooms_slot: false,
        screen_track: None,
        screen_slot: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_refused_offers_leave_no_connection_and_no_memory_behind() {
    let server = TestServer::start().await;
    // The first refusals load what the process keeps anyway (code pages,
    // the allocator's arenas, the stack's lazy statics).
    refuse_offers(&server, OFFERS_PER_MEETING).await;
    let before = resident_bytes();
    for _ in 0..REFUSED_OFFERS / OFFERS_PER_MEETING {
        refuse_offers(&server, OFFERS_PER_MEETING).await;
    }
    let grown = resident_bytes().saturating_sub(before);
    eprintln!("resident set grew by {} kB", grown >> 10);
    assert!(
        grown < RSS_ALLOWANCE_BYTES,
        "{REFUSED_OFFERS} refused offers grew the resident set by {} kB",
        grown >> 10
    );
    assert_eq!(breakout_server::live_media_connections(), 0);
    drop(server);
}
