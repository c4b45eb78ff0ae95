//! The forwarding load of `media.rs`'s last phase carried by Janus (VideoRoom
//! plugin) instead of our SFU, for `forward_cpu_ratio_vs_janus`. Run by
//! `scripts/bench-janus.sh`, which starts Janus and sets `JANUS_URL` (its
//! HTTP API, e.g. `http://127.0.0.1:8088/janus`), `JANUS_PID` and
//! `JANUS_ICE_IP`, the one address Janus gathers ICE candidates on (never a
//! loopback one): the peers here gather on it too.
//!
//! Same load and the same accounting: P publishers send the synthetic test
//! peer's packets (Opus-like audio at 50 pps, VP8 at 300 pps); each of the
//! P + L participants receives every other publisher's audio and video on
//! one subscriber PeerConnection (a Janus 1.x multistream subscription, as
//! our one connection per participant); Janus's CPU over `BENCH_SECONDS`
//! per stream-second, and its peak RSS. Janus publishes on a PeerConnection
//! of its own, so a publisher has two connections there and one with us.

mod common;
#[path = "../tests/media_peer/mod.rs"]
mod media_peer;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use breakout_protocol::ParticipantId;
use media_peer::{Inbound, Upstream, new_pc_on};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

const PATIENCE: Duration = Duration::from_secs(30);

/// Events of one handle; the receiver is taken once by its `Handle`.
type Mailbox = (
    mpsc::UnboundedSender<Value>,
    Option<mpsc::UnboundedReceiver<Value>>,
);
type Mailboxes = Arc<Mutex<HashMap<u64, Mailbox>>>;

/// One Janus session with its long poll, which sorts events by handle.
struct Janus {
    http: reqwest::Client,
    session_url: String,
    mailboxes: Mailboxes,
    poll: JoinHandle<()>,
}

/// One attached `janus.plugin.videoroom` handle.
struct Handle {
    http: reqwest::Client,
    url: String,
    events: mpsc::UnboundedReceiver<Value>,
}

/// Sends a Janus API request; a refusal ends the bench with Janus's reason.
async fn post(http: &reqwest::Client, url: &str, mut body: Value) -> Value {
    static TRANSACTIONS: AtomicU64 = AtomicU64::new(0);
    body["transaction"] = json!(format!("t{}", TRANSACTIONS.fetch_add(1, Relaxed)));
    let reply: Value = http
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("Janus answers")
        .json()
        .await
        .expect("Janus replies JSON");
    assert_ne!(reply["janus"], "error", "Janus refused {body}: {reply}");
    reply
}

/// The mailboxes, with one made for `handle` if it had none: an event may
/// come before its handle asks for it.
fn mailbox(mailboxes: &Mailboxes, handle: u64) -> std::sync::MutexGuard<'_, HashMap<u64, Mailbox>> {
    let mut boxes = mailboxes.lock().expect("mailboxes");
    boxes.entry(handle).or_insert_with(|| {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, Some(rx))
    });
    boxes
}

impl Janus {
    async fn connect(url: &str) -> Janus {
        let http = reqwest::Client::new();
        let created = post(&http, url, json!({"janus": "create"})).await;
        let session = created["data"]["id"].as_u64().expect("session id");
        let session_url = format!("{url}/{session}");
        let mailboxes = Mailboxes::default();
        let poll = tokio::spawn(long_poll(
            http.clone(),
            session_url.clone(),
            mailboxes.clone(),
        ));
        Janus {
            http,
            session_url,
            mailboxes,
            poll,
        }
    }

    async fn attach(&self) -> Handle {
        let attached = post(
            &self.http,
            &self.session_url,
            json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
        )
        .await;
        let id = attached["data"]["id"].as_u64().expect("handle id");
        let events = mailbox(&self.mailboxes, id)
            .get_mut(&id)
            .and_then(|(_, rx)| rx.take())
            .expect("a new handle's events");
        Handle {
            http: self.http.clone(),
            url: format!("{}/{id}", self.session_url),
            events,
        }
    }

    async fn close(self) {
        post(&self.http, &self.session_url, json!({"janus": "destroy"})).await;
        self.poll.abort();
    }
}

/// Janus's HTTP transport holds each GET until events come (or 30 s pass,
/// answered with a keepalive); a poll also keeps the session alive.
async fn long_poll(http: reqwest::Client, session_url: String, mailboxes: Mailboxes) {
    let url = format!("{session_url}?maxev=16");
    loop {
        let Ok(reply) = http.get(&url).send().await else {
            return; // Janus went away; waiting handles time out with a reason.
        };
        let Ok(events) = reply.json::<Vec<Value>>().await else {
            return;
        };
        for event in events {
            if let Some(sender) = event["sender"].as_u64() {
                let boxes = mailbox(&mailboxes, sender);
                let _ = boxes[&sender].0.send(event);
            }
        }
    }
}

impl Handle {
    /// A synchronous plugin request (e.g. `create`): the reply's data.
    async fn request(&self, body: Value) -> Value {
        let reply = post(
            &self.http,
            &self.url,
            json!({"janus": "message", "body": body}),
        )
        .await;
        let data = reply["plugindata"]["data"].clone();
        assert!(
            data.get("error").is_none(),
            "VideoRoom refused {body}: {data}"
        );
        data
    }

    /// An asynchronous plugin request, optionally with an SDP: the outcome
    /// comes as an event.
    async fn send(&self, body: Value, jsep: Option<(&str, String)>) {
        let mut message = json!({"janus": "message", "body": body});
        if let Some((kind, sdp)) = jsep {
            // Candidates are in the SDP: no trickle to wait for.
            message["jsep"] = json!({"type": kind, "sdp": sdp, "trickle": false});
        }
        post(&self.http, &self.url, message).await;
    }

    /// Waits for the event `wanted` picks, skipping others; a plugin error
    /// or a hangup ends the bench with its reason.
    async fn wait(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} from Janus within 30 s"))
                .unwrap_or_else(|| panic!("Janus's events ended before {what}"));
            let data = &event["plugindata"]["data"];
            assert!(
                data.get("error").is_none(),
                "VideoRoom error before {what}: {data}"
            );
            assert_ne!(
                event["janus"], "hangup",
                "Janus hung up before {what}: {event}"
            );
            if wanted(&event) {
                return event;
            }
        }
    }

    /// Waits for the VideoRoom event named `name` (`"videoroom": name` or a
    /// `name` field, as in `"configured": "ok"`); returns it with its SDP.
    async fn plugin_event(&mut self, name: &str) -> (Value, Option<String>) {
        let event = self
            .wait(name, |e| {
                let data = &e["plugindata"]["data"];
                data["videoroom"] == name || data.get(name).is_some()
            })
            .await;
        let sdp = event["jsep"]["sdp"].as_str().map(str::to_owned);
        (event["plugindata"]["data"].clone(), sdp)
    }
}

/// Resolves once `pc` is connected.
fn on_connected(pc: &RTCPeerConnection) -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    pc.on_peer_connection_state_change(Box::new(move |state| {
        if state == RTCPeerConnectionState::Connected {
            let _ = tx.send(());
        }
        Box::pin(async {})
    }));
    rx
}

async fn connected(mut rx: mpsc::UnboundedReceiver<()>, who: &str) {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("{who}: not connected to Janus within 30 s"));
}

/// Sets `description` as local and returns the SDP once every candidate is
/// in it (Janus gets no trickled candidates from us).
async fn gathered(pc: &RTCPeerConnection, description: RTCSessionDescription) -> String {
    let mut done = pc.gathering_complete_promise().await;
    pc.set_local_description(description)
        .await
        .expect("local description");
    let _ = done.recv().await;
    pc.local_description().await.expect("local SDP").sdp
}

struct Publisher {
    pc: Arc<RTCPeerConnection>,
    senders: Vec<JoinHandle<()>>,
    _handle: Handle,
}

/// Joins `room` as feed `id` and publishes the test peer's audio and video.
async fn publisher(janus: &Janus, room: u64, ip: IpAddr, id: u64, video_pps: u32) -> Publisher {
    let mut handle = janus.attach().await;
    handle
        .send(
            json!({"request": "join", "ptype": "publisher", "room": room, "id": id,
                   "display": format!("Pub {id}")}),
            None,
        )
        .await;
    handle.plugin_event("joined").await;
    let pc = new_pc_on(move |a| a == ip).await;
    let up = on_connected(&pc);
    let upstream = Upstream::add(&pc, ParticipantId(id)).await;
    let offer = pc.create_offer(None).await.expect("offer");
    let sdp = gathered(&pc, offer).await;
    handle
        .send(
            json!({"request": "publish", "audiocodec": "opus", "videocodec": "vp8"}),
            Some(("offer", sdp)),
        )
        .await;
    let (_, answer) = handle.plugin_event("configured").await;
    let answer = RTCSessionDescription::answer(answer.expect("Janus's answer")).expect("answer");
    pc.set_remote_description(answer)
        .await
        .expect("remote answer");
    connected(up, &format!("publisher {id}")).await;
    // Janus only lets subscribers join a feed whose connection is up on its side.
    handle.wait("webrtcup", |e| e["janus"] == "webrtcup").await;
    let (_plis, senders) = upstream.start(ParticipantId(id), video_pps).await;
    Publisher {
        pc,
        senders,
        _handle: handle,
    }
}

struct Subscriber {
    pc: Arc<RTCPeerConnection>,
    inbound: Inbound,
    _handle: Handle,
}

/// One PeerConnection receiving every stream of `feeds`.
async fn subscriber(janus: &Janus, room: u64, ip: IpAddr, feeds: &[u64], who: &str) -> Subscriber {
    let mut handle = janus.attach().await;
    let streams: Vec<Value> = feeds.iter().map(|feed| json!({"feed": feed})).collect();
    handle
        .send(
            json!({"request": "join", "ptype": "subscriber", "room": room, "streams": streams}),
            None,
        )
        .await;
    let (attached, offer) = handle.plugin_event("attached").await;
    let offered = attached["streams"].as_array().map_or(0, Vec::len);
    assert_eq!(offered, 2 * feeds.len(), "{who}: Janus offered {attached}");
    let pc = new_pc_on(move |a| a == ip).await;
    let up = on_connected(&pc);
    let inbound = Inbound::record(&pc);
    let offer = RTCSessionDescription::offer(offer.expect("Janus's offer")).expect("offer");
    pc.set_remote_description(offer)
        .await
        .expect("remote offer");
    let answer = pc.create_answer(None).await.expect("answer");
    let sdp = gathered(&pc, answer).await;
    handle
        .send(json!({"request": "start"}), Some(("answer", sdp)))
        .await;
    handle.plugin_event("started").await;
    connected(up, who).await;
    Subscriber {
        pc,
        inbound,
        _handle: handle,
    }
}

impl Subscriber {
    /// Waits until video from every one of `feeds` has arrived.
    async fn wait_video(&mut self, feeds: &[u64], who: &str) {
        let mut missing: HashSet<u64> = feeds.iter().copied().collect();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !missing.is_empty() {
            let got = tokio::time::timeout_at(deadline, self.inbound.received.recv())
                .await
                .unwrap_or_else(|_| panic!("{who}: no video from feeds {missing:?} within 30 s"))
                .expect("media reader");
            if got.kind == RTPCodecType::Video {
                missing.remove(&got.source.0);
            }
        }
    }
}

/// Packets per second all `receivers` get over one second, to check that
/// Janus carried the whole load (after the measurement: decoding costs the
/// load generator CPU).
async fn delivered_pps(receivers: &mut [Subscriber]) -> f64 {
    for sub in receivers.iter_mut() {
        while sub.inbound.received.try_recv().is_ok() {}
        sub.inbound.record.store(true, Relaxed);
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut packets = 0;
    for sub in receivers.iter_mut() {
        sub.inbound.record.store(false, Relaxed);
        while sub.inbound.received.try_recv().is_ok() {
            packets += 1;
        }
    }
    packets as f64 / started.elapsed().as_secs_f64()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench` probes harness-less benches this way.
    }
    // RUST_LOG=webrtc_ice=debug and the like, when a connection fails.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let (Ok(url), Some(pid), Some(ip)) = (
        std::env::var("JANUS_URL"),
        std::env::var("JANUS_PID").ok().and_then(|p| p.parse().ok()),
        std::env::var("JANUS_ICE_IP")
            .ok()
            .and_then(|a| a.parse().ok()),
    ) else {
        println!(
            "# the Janus bench needs JANUS_URL, JANUS_PID and JANUS_ICE_IP: run scripts/bench-janus.sh"
        );
        return;
    };
    let publishers: u64 = env_or("BENCH_PUBLISHERS", 4);
    let listeners: u64 = env_or("BENCH_LISTENERS", 4);
    let seconds: u64 = env_or("BENCH_SECONDS", 10);

    let janus = Janus::connect(&url).await;
    let control = janus.attach().await;
    // No bitrate cap and no periodic keyframe requests, like our SFU.
    let created = control
        .request(json!({"request": "create", "publishers": publishers,
                        "audiocodec": "opus", "videocodec": "vp8",
                        "bitrate": 0, "fir_freq": 0}))
        .await;
    let room = created["room"].as_u64().expect("room id");

    let feeds: Vec<u64> = (1..=publishers).collect();
    let mut senders = Vec::new();
    for &id in &feeds {
        senders.push(publisher(&janus, room, ip, id, 300).await);
    }
    let mut receivers = Vec::new();
    for i in 0..publishers + listeners {
        let (who, expected): (String, Vec<u64>) = match feeds.get(i as usize) {
            Some(&me) => (
                format!("Pub {me}"),
                feeds.iter().copied().filter(|&f| f != me).collect(),
            ),
            None => (format!("Sub {}", i - publishers), feeds.clone()),
        };
        let mut sub = subscriber(&janus, room, ip, &expected, &who).await;
        sub.wait_video(&expected, &who).await;
        receivers.push(sub);
    }
    for sub in &receivers {
        sub.inbound.record.store(false, Relaxed);
    }

    // Streams: each publisher's audio and video to everyone else in the room.
    let streams = publishers * 2 * (publishers - 1 + listeners);
    let before = common::process_usage(pid);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    match (before, common::process_usage(pid)) {
        (Some((cpu0, _)), Some((cpu1, rss))) => {
            let per_stream_s = (cpu1 - cpu0) * 1e6 / (streams as f64 * elapsed);
            println!(
                "# janus: {streams} streams, {publishers} publish + {} subscribe connections",
                publishers + listeners
            );
            println!("janus_cpu_us_per_stream_s={per_stream_s:.1}");
            println!("janus_rss_mb={rss:.1}");
        }
        _ => println!("# janus: process {pid} not readable in /proc"),
    }
    let sent = publishers * 350 * (publishers - 1 + listeners);
    let delivered = delivered_pps(&mut receivers).await;
    println!("# janus: delivered {delivered:.0} packets/s for {sent} sent");

    for sub in receivers {
        let _ = sub.pc.close().await;
    }
    for publisher in senders {
        for task in &publisher.senders {
            task.abort();
        }
        let _ = publisher.pc.close().await;
    }
    janus.close().await;
}
