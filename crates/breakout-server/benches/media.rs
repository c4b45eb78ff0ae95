//! Media figures as `name=value` lines (run by `scripts/bench-media.sh`):
//! room-switch latency on one connection vs. a new connection per room,
//! join time to first RTP, and the SFU's forwarding cost.
//!
//! The server runs as its own process when `BENCH_SERVER` (address),
//! `BENCH_ADMIN_KEY` and `BENCH_SERVER_PID` are set, so its CPU and memory
//! are measured apart from the load generators in this process; otherwise it
//! starts in-process (CPU and RSS then include the peers).

mod common;
#[path = "../tests/media_peer/mod.rs"]
mod media_peer;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use breakout_core::{Command, RoomId};
use breakout_protocol::ParticipantId;
use breakout_protocol::rest::{CreateMeeting, MeetingInfo, ParticipantCreated};
use media_peer::{MediaPeer, Signal};
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

struct Target {
    addr: SocketAddr,
    key: String,
    pid: Option<u32>,
    http: reqwest::Client,
    _local: Option<(breakout_server::Server, std::path::PathBuf)>,
}

impl Target {
    async fn new() -> Target {
        let http = reqwest::Client::new();
        if let (Ok(addr), Ok(key)) = (
            std::env::var("BENCH_SERVER"),
            std::env::var("BENCH_ADMIN_KEY"),
        ) {
            let pid = std::env::var("BENCH_SERVER_PID")
                .ok()
                .and_then(|p| p.parse().ok());
            return Target {
                addr: addr.parse().expect("BENCH_SERVER address"),
                key,
                pid,
                http,
                _local: None,
            };
        }
        let dir = std::env::temp_dir().join(format!("breakout-media-bench-{}", std::process::id()));
        let server = breakout_server::Server::start(breakout_server::ServerConfig {
            admin_key: Some("bench-key".into()),
            ..breakout_server::ServerConfig::new(
                "127.0.0.1:0".parse().expect("address"),
                dir.clone(),
            )
        })
        .await
        .expect("server starts");
        Target {
            addr: server.local_addr(),
            key: "bench-key".into(),
            pid: None,
            http,
            _local: Some((server, dir)),
        }
    }

    async fn meeting(&self) -> String {
        let config = breakout_protocol::BreakoutConfig {
            move_countdown_secs: 0,
            closing_countdown_secs: 0,
            ..Default::default()
        };
        let info: MeetingInfo = self
            .http
            .post(format!("http://{}/v1/meetings", self.addr))
            .bearer_auth(&self.key)
            .json(&CreateMeeting {
                title: "Bench".into(),
                config: Some(config),
            })
            .send()
            .await
            .expect("create meeting")
            .json()
            .await
            .expect("meeting info");
        info.id
    }

    async fn add(&self, meeting: &str, name: &str, preset: &str) -> ParticipantCreated {
        self.http
            .post(format!(
                "http://{}/v1/meetings/{meeting}/participants",
                self.addr
            ))
            .bearer_auth(&self.key)
            .json(&serde_json::json!({"name": name, "preset": preset}))
            .send()
            .await
            .expect("add participant")
            .json()
            .await
            .expect("participant")
    }

    /// A participant with media on, joined with a test peer.
    async fn peer(&self, meeting: &str, name: &str, video_pps: u32) -> MediaPeer {
        let created = self.add(meeting, name, "participant").await;
        let signal = Signal::connect(self.addr, &created.token).await;
        let on = video_pps > 0;
        signal
            .command(Command::SetMedia {
                mic: Some(on),
                camera: Some(on),
            })
            .await
            .expect("media state");
        MediaPeer::join(signal, video_pps).await
    }

    /// CPU seconds and peak RSS of the server process, if it is separate.
    fn usage(&self) -> Option<(f64, f64)> {
        common::process_usage(self.pid?)
    }

    /// RTP packets the server has written to subscribers so far, from its
    /// own counter (`/metrics`).
    async fn forwarded_packets(&self) -> Option<f64> {
        let text = self
            .http
            .get(format!("http://{}/metrics", self.addr))
            .bearer_auth(&self.key)
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("breakout_rtp_forwarded_packets_total "))
            .and_then(|value| value.trim().parse().ok())
    }
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index.min(samples.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Moves `moved` between room 1 (with `x`) and room 2 (with `y`) `moves`
/// times on one connection; returns (first packet, first video) latencies.
async fn switches(
    host: &Signal,
    moved: &mut MediaPeer,
    x: ParticipantId,
    y: ParticipantId,
    moves: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (mut first, mut video) = (Vec::new(), Vec::new());
    for i in 0..moves {
        let (room, source) = if i % 2 == 0 {
            (RoomId(2), y)
        } else {
            (RoomId(1), x)
        };
        moved.drain();
        let start = Instant::now();
        host.command(Command::Assign {
            participant: moved.participant,
            room: Some(room),
        })
        .await
        .expect("move");
        let got = moved
            .wait_for("new room's media", |r| r.source == source)
            .await;
        first.push(ms(got.at - start));
        let got = if got.kind == RTPCodecType::Video {
            got
        } else {
            moved
                .wait_for("new room's video", |r| {
                    r.source == source && r.kind == RTPCodecType::Video
                })
                .await
        };
        video.push(ms(got.at - start));
    }
    (first, video)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench` probes harness-less benches this way.
    }
    let target = Target::new().await;
    let moves: usize = std::env::var("BENCH_MOVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);

    // Room switch on one connection.
    let meeting = target.meeting().await;
    let host = target.add(&meeting, "Host", "host").await;
    let host = Signal::connect(target.addr, &host.token).await;
    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("rooms");
    let x = target.peer(&meeting, "X", 30).await;
    let y = target.peer(&meeting, "Y", 30).await;
    for (who, room) in [(x.participant, 1), (y.participant, 2)] {
        host.command(Command::Assign {
            participant: who,
            room: Some(RoomId(room)),
        })
        .await
        .expect("assign");
    }
    host.command(Command::Start).await.expect("start");
    let mut moved = target.peer(&meeting, "Moved", 30).await;
    let (mut first, mut video) =
        switches(&host, &mut moved, x.participant, y.participant, moves).await;
    let media_p50 = percentile(&mut first, 0.5);
    let media_p95 = percentile(&mut first, 0.95);
    println!("switch_media_p50_ms={media_p50:.1}");
    println!("switch_media_p95_ms={media_p95:.1}");
    println!(
        "switch_video_first_packet_p50_ms={:.1}",
        percentile(&mut video, 0.5)
    );
    println!(
        "switch_video_first_packet_p95_ms={:.1}",
        percentile(&mut video, 0.95)
    );

    // The naive way: a new signaling connection and PeerConnection per room.
    let token = target.add(&meeting, "Rejoiner", "participant").await;
    moved.close().await;
    let mut rejoin = Vec::new();
    let mut current: Option<MediaPeer> = None;
    let rejoins = moves.min(50);
    for i in 0..rejoins {
        let (room, source) = if i % 2 == 0 {
            (RoomId(2), y.participant)
        } else {
            (RoomId(1), x.participant)
        };
        if let Some(old) = current.take() {
            old.close().await;
        }
        let start = Instant::now();
        host.command(Command::Assign {
            participant: token.participant,
            room: Some(room),
        })
        .await
        .expect("move");
        let signal = Signal::connect(target.addr, &token.token).await;
        let mut peer = MediaPeer::join(signal, 0).await;
        let got = peer
            .wait_for("new room's media", |r| r.source == source)
            .await;
        rejoin.push(ms(got.at - start));
        current = Some(peer);
    }
    let rejoin_p95 = percentile(&mut rejoin, 0.95);
    println!("switch_rejoin_p50_ms={:.1}", percentile(&mut rejoin, 0.5));
    println!("switch_rejoin_p95_ms={rejoin_p95:.1}");
    println!("switch_ratio_vs_rejoin={:.3}", media_p95 / rejoin_p95);
    if let Some(peer) = current {
        peer.close().await;
    }

    // Join: token in hand → first RTP from the room.
    let mut joins = Vec::new();
    for i in 0..20 {
        let created = target
            .add(&meeting, &format!("Joiner {i}"), "participant")
            .await;
        host.command(Command::Assign {
            participant: created.participant,
            room: Some(RoomId(1)),
        })
        .await
        .expect("assign joiner");
        let start = Instant::now();
        let signal = Signal::connect(target.addr, &created.token).await;
        let mut peer = MediaPeer::join(signal, 0).await;
        let got = peer.wait_for("first RTP", |_| true).await;
        joins.push(ms(got.at - start));
        peer.close().await;
    }
    println!("join_first_rtp_ms={:.1}", percentile(&mut joins, 0.5));
    drop((x, y, host));

    // Forwarding cost: N publishers × M listeners in one room.
    let publishers: usize = std::env::var("BENCH_PUBLISHERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let listeners: usize = std::env::var("BENCH_LISTENERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let load = target.meeting().await;
    let mut peers = Vec::new();
    for i in 0..publishers {
        peers.push(target.peer(&load, &format!("Pub {i}"), 300).await);
    }
    for i in 0..listeners {
        peers.push(target.peer(&load, &format!("Sub {i}"), 0).await);
    }
    let last = peers.last_mut().expect("a peer");
    for _ in 0..publishers {
        last.wait_for("load media", |r| r.kind == RTPCodecType::Video)
            .await;
    }
    for peer in &peers {
        peer.record
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }
    // Streams: each publisher's audio and video to everyone else in the room.
    let streams = publishers * 2 * (publishers - 1 + listeners);
    let sent_before = target.forwarded_packets().await;
    let before = target.usage();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let after = target.usage();
    let sent_after = target.forwarded_packets().await;
    match (before, after) {
        (Some((cpu0, _)), Some((cpu1, rss))) => {
            let per_stream_s = (cpu1 - cpu0) * 1e6 / (streams as f64 * elapsed);
            println!("forward_streams={streams}");
            println!(
                "forward_pps={}",
                publishers * 350 * (publishers - 1 + listeners)
            );
            println!("forward_cpu_us_per_stream_s={per_stream_s:.1}");
            // Egress packets as counted by the server, per CPU-second of
            // it (the load's nominal rate is `forward_pps`).
            match (sent_before, sent_after) {
                (Some(sent0), Some(sent1)) if cpu1 > cpu0 => {
                    let sent = sent1 - sent0;
                    println!("# forward: {:.0} packets/s out", sent / elapsed);
                    println!("forward_pkt_per_core_s={:.0}", sent / (cpu1 - cpu0));
                }
                _ => println!("# forward_pkt_per_core_s needs the server's /metrics"),
            }
            println!("sfu_rss_mb={rss:.1}");
        }
        _ => println!("# forwarding cost needs BENCH_SERVER_PID (a separate server process)"),
    }
    for peer in peers {
        peer.close().await;
    }
}
