//! Refused media offers through the real server leave nothing behind: the
//! half-built connection of each is closed before the refusal is sent.
//! Alone in its test binary, because the count of open media connections is
//! process-wide.

mod common;

use breakout_protocol::ws::Request;
use common::{TestServer, code, quick_config};

/// Well-formed SDP the stack parses, with a slot m-line, but without ICE
/// credentials: refused only once the connection and its slot exist.
const NO_ICE_CREDENTIALS: &str = "v=0\r\n\
o=- 1 1 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
c=IN IP4 0.0.0.0\r\n\
a=mid:0\r\n\
a=recvonly\r\n\
a=rtpmap:111 opus/48000/2\r\n";

const REFUSED_OFFERS: usize = 1_000;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_refused_offers_leave_no_connection_and_no_memory_behind() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let person = server.add(&meeting, "Ann", "participant").await;
    let mut ws = server.connect(&person.token).await;
    let offer = |sdp: &str| Request::MediaOffer { sdp: sdp.into() };

    // Unparsable SDP is refused before anything is built.
    assert_eq!(code(ws.request(offer("v=0")).await), "bad_offer");
    assert_eq!(breakout_server::live_media_connections(), 0);

    // The first refusals load what the process keeps anyway (code pages,
    // the allocator's arenas, the stack's lazy statics).
    for _ in 0..50 {
        assert_eq!(
            code(ws.request(offer(NO_ICE_CREDENTIALS)).await),
            "bad_offer"
        );
    }
    let before = resident_bytes();
    for i in 0..REFUSED_OFFERS {
        let refused = ws.request(offer(NO_ICE_CREDENTIALS)).await;
        assert_eq!(code(refused), "bad_offer");
        assert_eq!(
            breakout_server::live_media_connections(),
            0,
            "refused offer {i} left its connection open"
        );
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < RSS_ALLOWANCE_BYTES,
        "{REFUSED_OFFERS} refused offers grew the resident set by {} kB",
        grown >> 10
    );
    drop(server);
}
