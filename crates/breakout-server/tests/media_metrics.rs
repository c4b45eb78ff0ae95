//! `/metrics` counts what the SFU really forwards: two test peers in one
//! room over loopback, real RTP, the counter scraped over HTTP.

mod common;
mod media_peer;

use breakout_core::Command;
use common::{KEY, TestServer, quick_config};
use media_peer::{MediaPeer, Signal};
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

async fn forwarded(server: &TestServer) -> f64 {
    let text = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("breakout_rtp_forwarded_packets_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no forwarded counter in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_packets_are_counted() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    assert_eq!(forwarded(&server).await, 0.0, "nothing forwarded yet");
    let mut peers = Vec::new();
    for (name, preset) in [("Host", "host"), ("Ann", "participant")] {
        let created = server.add(&meeting, name, preset).await;
        let signal = Signal::connect(server.addr, &created.token).await;
        signal
            .command(Command::SetMedia {
                mic: Some(true),
                camera: Some(true),
            })
            .await
            .expect("media on");
        peers.push(MediaPeer::join(signal, 30).await);
    }
    let host = peers[0].participant;
    let ann = &mut peers[1];
    ann.wait_for("the host's audio", |r| {
        r.source == host && r.kind == RTPCodecType::Audio
    })
    .await;
    // Every packet Ann got was written by the SFU before she read it.
    let received = ann.log.lock().expect("log").len() as f64;
    let counted = forwarded(&server).await;
    assert!(
        counted >= received && received >= 1.0,
        "forwarded {counted}, received {received}"
    );
    for peer in peers {
        peer.close().await;
    }
    server.shutdown().await;
}
