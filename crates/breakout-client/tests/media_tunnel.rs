//! Media through the tunnel (a WebSocket on the HTTP port standing in for
//! UDP), through the real server and SFU on loopback: a participant whose
//! media runs through it hears and sees one on UDP and is heard and seen,
//! in the main room and after both move to a breakout room on the same
//! connections; and a client whose UDP attempt is given up restarts onto
//! the tunnel on the same signaling socket with its mic and camera state
//! as they were. (That a blocked network leads there by itself is shown
//! with real firewalls in `tests/tests/internet.rs`.)

mod media_support;

use std::time::Duration;

use breakout_client::media::{MediaConfig, MediaTransport, Transport};
use media_support::{Bot, TestServer, media_state, start_breakouts, view};

const HEARD: u64 = 25;
const SEEN: u64 = 15;

fn through(transport: MediaTransport) -> MediaConfig {
    let mut config = MediaConfig::synthetic();
    config.transport = transport;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_participant_on_the_tunnel_meets_one_on_udp_across_a_move() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let tunnelled = Bot::join(&server, &meeting, "t", through(MediaTransport::Tunnel)).await;
    let direct = Bot::join(&server, &meeting, "u", through(MediaTransport::Udp)).await;
    assert_eq!(tunnelled.media.transport(), Transport::Tunnel);
    assert_eq!(direct.media.transport(), Transport::Udp);

    tunnelled
        .wait_for("t hears and sees u", |r| {
            r.tone_frames(direct.tone()) >= HEARD && r.pattern_frames(direct.id) >= SEEN
        })
        .await;
    direct
        .wait_for("u hears and sees t", |r| {
            r.tone_frames(tunnelled.tone()) >= HEARD && r.pattern_frames(tunnelled.id) >= SEEN
        })
        .await;

    start_breakouts(&host, 2, &[(tunnelled.id, 2), (direct.id, 2)]).await;
    tunnelled.wait_for_room(2).await;
    direct.wait_for_room(2).await;
    let (t_before, u_before) = (
        tunnelled.snapshot().pattern_frames(direct.id),
        direct.snapshot().pattern_frames(tunnelled.id),
    );
    tunnelled
        .wait_for("t sees u in room 2", |r| {
            r.pattern_frames(direct.id) >= t_before + SEEN
        })
        .await;
    direct
        .wait_for("u sees t in room 2", |r| {
            r.pattern_frames(tunnelled.id) >= u_before + SEEN
        })
        .await;
    assert_eq!(tunnelled.media.connection_state(), "connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_given_up_on_restarts_onto_the_tunnel_with_its_state() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let listener = Bot::join(&server, &meeting, "l", through(MediaTransport::Udp)).await;
    // UDP that reaches nothing: the client's only address is IPv6 loopback
    // and the server's media is IPv4, so ICE finds no pair, as when a
    // network drops UDP.
    let mut config = through(MediaTransport::Auto {
        udp_wait: Duration::from_millis(300),
    });
    config.bind_ip = Some(std::net::Ipv6Addr::LOCALHOST.into());
    config.camera_on = false;
    let restarted = Bot::join(&server, &meeting, "r", config).await;
    assert_eq!(restarted.media.transport(), Transport::Tunnel);

    listener
        .wait_for("l hears r through the tunnel", |r| {
            r.tone_frames(restarted.tone()) >= HEARD
        })
        .await;
    restarted
        .wait_for("r hears and sees l", |r| {
            r.tone_frames(listener.tone()) >= HEARD && r.pattern_frames(listener.id) >= SEEN
        })
        .await;
    assert_eq!(
        media_state(&view(&host).await, restarted.id),
        (true, false),
        "mic on and camera off, as the participant chose"
    );
    assert_eq!(
        listener.snapshot().pattern_frames(restarted.id),
        0,
        "a camera that is off is never seen"
    );
}
