//! A meeting's node stalls or dies; another node of the cluster takes the
//! meeting over once its lease has run out, from nothing but the database:
//! the real binaries on one PostgreSQL database, stopped with SIGSTOP and
//! SIGKILL.
//!
//! They need PostgreSQL's own binaries (Debian's `postgresql` package) to
//! start a private cluster (`common/postgres.rs`), so a plain `cargo test`
//! leaves them out and `make pg-test` runs them.

mod common;

use std::time::{Duration, Instant};

use breakout_core::{BreakoutConfig, Command, EventBody, Phase, RoomId};
use breakout_protocol::rest::{CreateMeeting, MeetingInfo, RoomsOverview};
use breakout_protocol::ws::{Reply, Request, ServerMessage};
use common::postgres::Cluster;
use common::{KEY, TestServer, Ws};

/// What a client of a meeting that moved is told.
const MOVED: &str = "the meeting moved to another server; reconnect to continue where you were";

async fn node(url: &str, name: &str) -> TestServer {
    let args = ["--database", url, "--node-id", name, "--log", "warn"];
    TestServer::start_process(&args).await
}

async fn create(server: &TestServer, config: BreakoutConfig) -> MeetingInfo {
    let response = server
        .http
        .post(server.url("/v1/meetings"))
        .bearer_auth(KEY)
        .json(&CreateMeeting {
            title: "Failover".into(),
            config: Some(config),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "creating a meeting");
    response.json().await.unwrap()
}

/// Asks `server` for the meeting's rooms until it serves them itself (it
/// answers `meeting_elsewhere` while the old owner's lease lasts); returns
/// them and how long that took.
async fn taken_over(server: &TestServer, meeting: &str) -> (RoomsOverview, Duration) {
    let started = Instant::now();
    loop {
        let response = server
            .http
            .get(server.url(&format!("/v1/meetings/{meeting}/rooms")))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            return (response.json().await.unwrap(), started.elapsed());
        }
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["code"], "meeting_elsewhere", "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no takeover within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn chat_texts(ws: &mut Ws, room: Option<RoomId>) -> Vec<String> {
    match ws.request(Request::GetChat { room }).await {
        Ok(Reply::Chat { messages }) => messages.into_iter().map(|m| m.text).collect(),
        other => panic!("expected the chat, got {other:?}"),
    }
}

/// The rooms with their members and assignments, without who is connected.
fn rooms(overview: &RoomsOverview) -> RoomsOverview {
    let mut overview = overview.clone();
    for room in &mut overview.rooms {
        for member in &mut room.members {
            member.connected = false;
        }
    }
    overview
}

fn chat(text: &str) -> Command {
    Command::Chat { text: text.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_stalled_owner_is_fenced_off_and_drops_the_meeting_when_it_wakes() {
    let url = Cluster::shared().new_database();
    let nodes = [node(&url, "a").await, node(&url, "b").await];
    let info = create(&nodes[0], common::quick_config()).await;
    let at = usize::from(info.node.as_deref() != Some("a"));
    let (owner, peer) = (&nodes[at], &nodes[1 - at]);
    let host = owner.add(&info.id, "Hana", "host").await;
    let mut stale = owner.connect(&host.token).await;
    stale.command(chat("before the stall")).await.expect("chat");

    owner.signal("STOP");
    let (_, waited) = taken_over(peer, &info.id).await;
    eprintln!("taken over {} ms after the stall", waited.as_millis());
    let mut ws = peer.connect(&host.token).await;
    ws.command(chat("on the new owner")).await.expect("chat");

    // The old owner wakes up, still holding the host's socket and the
    // meeting in memory: what it is asked to write is refused, and it
    // drops the meeting, telling its clients it moved.
    owner.signal("CONT");
    let id = stale
        .send_request(Request::Command {
            command: chat("from the stale owner"),
        })
        .await;
    let (messages, reason) = stale.until_closed().await;
    assert_eq!(reason.as_deref(), Some(MOVED), "{messages:?}");
    for message in &messages {
        if let ServerMessage::Error {
            id: Some(got),
            error,
        } = message
        {
            assert_eq!(*got, id);
            assert_eq!(error.code, "meeting_moved", "{error:?}");
        }
        assert!(
            !matches!(message, ServerMessage::Reply { id: got, .. } if *got == id),
            "the stale owner acknowledged a write: {messages:?}"
        );
    }
    // It now points at the new owner, like any other node, once it has let
    // go of the meeting; until then it answers 503: the meeting moved, or,
    // while its stopped actor is being unregistered, that it is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    let response = loop {
        let response = owner
            .http
            .get(owner.url(&format!("/v1/meetings/{}", info.id)))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        if response.status() != 503 || Instant::now() > deadline {
            break response;
        }
        let error: serde_json::Value = response.json().await.unwrap();
        let code = error["code"].as_str().unwrap_or_default();
        assert!(matches!(code, "meeting_moved" | "meeting_gone"), "{error}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(response.status(), 421);
    let error: serde_json::Value = response.json().await.unwrap();
    let peer_url = format!("http://{}", peer.addr);
    assert!(
        error["message"].as_str().unwrap().contains(&peer_url),
        "{error}"
    );

    // Every acknowledged event once, nothing of the stale owner's.
    assert_eq!(
        chat_texts(&mut ws, None).await,
        ["before the stall", "on the new owner"]
    );
    let (db, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    for (text, times) in [
        ("before the stall", 1),
        ("on the new owner", 1),
        ("from the stale owner", 0),
    ] {
        let row = db
            .query_one(
                "SELECT count(*) FROM journal WHERE meeting = $1 AND command LIKE $2",
                &[&info.id, &format!("%{text}%")],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, i64>(0), times, "{text:?} journaled");
    }
    for server in nodes {
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_killed_owner_mid_round_and_mid_countdown_is_taken_over_with_nothing_lost() {
    let url = Cluster::shared().new_database();
    let mut nodes = vec![
        node(&url, "a").await,
        node(&url, "b").await,
        node(&url, "c").await,
    ];
    let config = BreakoutConfig {
        move_countdown_secs: 0,
        closing_countdown_secs: 12,
        ..BreakoutConfig::default()
    };
    let info = create(&nodes[0], config).await;
    let owner = nodes
        .iter()
        .position(|n| Some(n.addr) == info.node_url.as_deref().map(|u| u[7..].parse().unwrap()))
        .expect("placed on one of the three");
    let host = nodes[owner].add(&info.id, "Hana", "host").await;
    let ada = nodes[owner].add(&info.id, "Ada", "participant").await;
    let bo = nodes[owner].add(&info.id, "Bo", "participant").await;
    let mut ws = nodes[owner].connect(&host.token).await;
    ws.command(Command::CreateRooms {
        count: 2,
        names: vec!["Red".into(), "Blue".into()],
    })
    .await
    .expect("rooms");
    let before_rooms: RoomsOverview = nodes[owner]
        .admin_get(&format!("/v1/meetings/{}/rooms", info.id))
        .await;
    let red = before_rooms.rooms[1].id;
    let blue = before_rooms.rooms[2].id;
    for (who, room) in [(ada.participant, red), (bo.participant, blue)] {
        ws.command(Command::Assign {
            participant: who,
            room: Some(room),
        })
        .await
        .expect("assign");
    }
    ws.command(Command::Start).await.expect("start");
    let mut ada_ws = nodes[owner].connect(&ada.token).await;
    ada_ws.command(chat("said in Red")).await.expect("chat");
    ws.command(chat("said in main")).await.expect("chat");
    let mid_round: RoomsOverview = nodes[owner]
        .admin_get(&format!("/v1/meetings/{}/rooms", info.id))
        .await;
    assert!(
        matches!(mid_round.phase, Phase::Running { .. }),
        "{mid_round:?}"
    );
    drop((ws, ada_ws));

    // kill -9 mid-round: the next node asked takes the meeting over.
    nodes.remove(owner).shutdown().await;
    let (after, waited) = taken_over(&nodes[0], &info.id).await;
    eprintln!(
        "mid-round: taken over {} ms after the kill",
        waited.as_millis()
    );
    assert_eq!(
        rooms(&after),
        rooms(&mid_round),
        "rooms and assignments kept"
    );
    let mut ws = nodes[0].connect(&host.token).await;
    assert_eq!(chat_texts(&mut ws, None).await, ["said in main"]);
    assert_eq!(chat_texts(&mut ws, Some(red)).await, ["said in Red"]);

    // kill -9 mid-countdown: the countdown ends at its original deadline.
    ws.command(Command::End).await.expect("end");
    let closing_at = match ws.event(|e| matches!(e, EventBody::Closing { .. })).await {
        EventBody::Closing { at } => at,
        _ => unreachable!(),
    };
    let closing: RoomsOverview = nodes[0]
        .admin_get(&format!("/v1/meetings/{}/rooms", info.id))
        .await;
    drop(ws);
    nodes.remove(0).shutdown().await;
    let (after, waited) = taken_over(&nodes[0], &info.id).await;
    eprintln!(
        "mid-countdown: taken over {} ms after the kill",
        waited.as_millis()
    );
    assert_eq!(
        after.phase,
        Phase::Closing {
            returns_at: closing_at
        },
        "the deadline is kept"
    );
    assert_eq!(rooms(&after), rooms(&closing));
    let mut ws = nodes[0].connect(&host.token).await;
    ws.event(|e| matches!(e, EventBody::BreakoutsEnded)).await;
    let ended = breakout_core::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    );
    let late = ended.0.saturating_sub(closing_at.0);
    assert!(
        ended.0 >= closing_at.0 && late < 1_000,
        "the countdown ended {late} ms after its deadline"
    );
    assert_eq!(chat_texts(&mut ws, Some(red)).await, ["said in Red"]);
    let end: RoomsOverview = nodes[0]
        .admin_get(&format!("/v1/meetings/{}/rooms", info.id))
        .await;
    assert_eq!(end.phase, Phase::Idle);
    assert_eq!(end.rooms[0].members.len(), 3);
    for server in nodes {
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn an_owner_stopped_with_ctrl_c_hands_its_meeting_over() {
    let url = Cluster::shared().new_database();
    let mut nodes = vec![node(&url, "a").await, node(&url, "b").await];
    let info = create(&nodes[0], BreakoutConfig::default()).await;
    let owner = nodes
        .iter()
        .position(|n| Some(n.addr) == info.node_url.as_deref().map(|u| u[7..].parse().unwrap()))
        .expect("placed on one of the two");
    let host = nodes[owner].add(&info.id, "Hana", "host").await;
    let mut ws = nodes[owner].connect(&host.token).await;
    ws.command(chat("before Ctrl-C")).await.expect("chat");

    // Ctrl-C, not a service manager's SIGTERM: the clients are still told
    // the meeting moved (not that the server restarts), because its lease
    // was handed over, not left to run out.
    nodes[owner].signal("INT");
    let (messages, reason) = ws.until_closed().await;
    assert_eq!(reason.as_deref(), Some(MOVED), "{messages:?}");
    let peer = nodes.remove(1 - owner);
    taken_over(&peer, &info.id).await;
    let mut ws = peer.connect(&host.token).await;
    assert_eq!(chat_texts(&mut ws, None).await, ["before Ctrl-C"]);
}
