//! The server on PostgreSQL (`--database postgres://...`): the real binary
//! over the real WebSocket, killed and started again with nothing but the
//! database to restore from, and a database server that goes away
//! mid-meeting and comes back.
//!
//! They need PostgreSQL's own binaries (Debian's `postgresql` package) to
//! start a private cluster (`common/postgres.rs`), so a plain `cargo test`
//! leaves them out and `make pg-test` runs them.

mod common;

use breakout_core::{Command, MeetingView, RoomId};
use breakout_protocol::admin::QuarantineList;
use breakout_protocol::rest::MeetingInfo;
use breakout_protocol::ws::{Reply, Request};
use common::postgres::Cluster;
use common::{KEY, TestServer, Ws, quick_config};

fn chat(text: &str) -> Command {
    Command::Chat { text: text.into() }
}

async fn view(ws: &mut Ws) -> MeetingView {
    match ws.request(Request::GetState).await {
        Ok(Reply::State { view }) => *view,
        other => panic!("expected a state, got {other:?}"),
    }
}

async fn chat_texts(ws: &mut Ws) -> Vec<String> {
    match ws.request(Request::GetChat { room: None }).await {
        Ok(Reply::Chat { messages }) => messages.into_iter().map(|m| m.text).collect(),
        other => panic!("expected the chat, got {other:?}"),
    }
}

/// Each room with who is assigned to it, as the host sees it.
fn assignments(
    view: &MeetingView,
) -> Vec<(RoomId, String, Option<Vec<breakout_core::ParticipantId>>)> {
    view.rooms
        .iter()
        .map(|room| (room.id, room.title.clone(), room.assigned.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_meeting_kept_in_postgres_comes_back_after_the_server_is_killed() {
    let url = Cluster::shared().new_database();
    let args = [
        "--database",
        url.as_str(),
        "--node-id",
        "restarted",
        "--log",
        "warn",
    ];
    let first = TestServer::start_process(&args).await;
    let meeting = first.create_meeting(quick_config()).await;
    let host = first.add(&meeting, "Hana", "host").await;
    let ada = first.add(&meeting, "Ada", "participant").await;
    let mut ws = first.connect(&host.token).await;
    ws.command(Command::CreateRooms {
        count: 2,
        names: vec!["Red".into(), "Blue".into()],
    })
    .await
    .expect("rooms");
    ws.command(Command::Assign {
        participant: ada.participant,
        room: Some(RoomId(2)),
    })
    .await
    .expect("assign");
    ws.command(chat("acknowledged before the kill"))
        .await
        .expect("chat");
    let before = view(&mut ws).await;
    drop(ws);
    // SIGKILL: no final snapshot, only what each reply waited for.
    first.shutdown().await;

    // A fresh data directory: all the new process knows is the database.
    let second = TestServer::start_process(&args).await;
    let listed: Vec<MeetingInfo> = second.admin_get("/v1/meetings").await;
    let ids: Vec<&str> = listed.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [meeting.as_str()]);
    let mut ws = second.connect(&host.token).await;
    let after = view(&mut ws).await;
    assert_eq!(assignments(&after), assignments(&before));
    assert!(
        after
            .rooms
            .iter()
            .any(|room| room.title == "Blue"
                && room.assigned.as_deref() == Some(&[ada.participant][..])),
        "{after:?}"
    );
    assert_eq!(chat_texts(&mut ws).await, ["acknowledged before the kill"]);

    // The meeting goes on where it was: commands work, ids keep counting.
    ws.command(chat("after the restart")).await.expect("chat");
    let bo = second.add(&meeting, "Bo", "participant").await;
    assert!(bo.participant > ada.participant, "{bo:?}");
    assert_eq!(
        chat_texts(&mut ws).await,
        ["acknowledged before the kill", "after the restart"]
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn while_postgres_is_down_changes_are_refused_and_nothing_acknowledged_is_lost() {
    // A cluster of its own: this test stops it.
    let cluster = Cluster::start();
    let url = cluster.new_database();
    let args = [
        "--database",
        url.as_str(),
        "--node-id",
        "restarted",
        "--log",
        "warn",
    ];
    let server = TestServer::start_process(&args).await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Hana", "host").await;
    let mut ws = server.connect(&host.token).await;
    ws.command(chat("before")).await.expect("chat before");

    cluster.stop_server();
    let refused = ws
        .command(chat("while the database is down"))
        .await
        .expect_err("no change without the database");
    assert_eq!(refused.code, "storage_unavailable", "{refused:?}");
    assert!(
        refused.message.contains("storage unavailable"),
        "{}",
        refused.message
    );
    // Reads too: the meeting's memory may hold what was just refused.
    let read = ws.request(Request::GetState).await;
    assert_eq!(common::code(read), "storage_unavailable");
    // REST answers the same way, and readiness turns off.
    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/participants")))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"name": "Bo", "preset": "participant"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "storage_unavailable", "{error}");
    let ready = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let error: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(error["code"], "storage_unavailable", "{error}");

    cluster.start_server();
    ws.command(chat("after"))
        .await
        .expect("chat once it is back");
    let ready: serde_json::Value = server.get("/readyz").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(chat_texts(&mut ws).await, ["before", "after"]);
    server.add(&meeting, "Bo", "participant").await;
    drop(ws);

    // What the database holds is exactly what was acknowledged.
    server.shutdown().await;
    let again = TestServer::start_process(&args).await;
    let mut ws = again.connect(&host.token).await;
    assert_eq!(chat_texts(&mut ws).await, ["before", "after"]);
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_corrupt_meeting_in_postgres_is_quarantined_and_the_others_are_served() {
    let url = Cluster::shared().new_database();
    let args = [
        "--database",
        url.as_str(),
        "--node-id",
        "restarted",
        "--log",
        "warn",
    ];
    let first = TestServer::start_process(&args).await;
    let healthy = first.create_meeting(quick_config()).await;
    let broken = first.create_meeting(quick_config()).await;
    first.add(&healthy, "Hana", "host").await;
    first.add(&broken, "Bert", "host").await;
    first.shutdown().await;

    let (db, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    // Killed before any snapshot: the journal is all there is to damage.
    let damaged = db
        .execute(
            "UPDATE journal SET command = '{\"not\": \"a command\"}' WHERE meeting = $1",
            &[&broken],
        )
        .await
        .expect("damage");
    assert!(damaged > 0, "the broken meeting had journal entries");

    let second = TestServer::start_process(&args).await;
    let listed: Vec<MeetingInfo> = second.admin_get("/v1/meetings").await;
    let ids: Vec<&str> = listed.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [healthy.as_str()]);
    let quarantine: QuarantineList = second.admin_get("/v1/admin/quarantine").await;
    let [bad] = quarantine.meetings.as_slice() else {
        panic!("one quarantined meeting expected: {quarantine:?}");
    };
    assert_eq!(bad.id, broken);
    assert!(bad.reason.contains("corrupt"), "{}", bad.reason);
    second.shutdown().await;
    // Left as it was, for the operator to look at.
    let kept = db
        .query_one(
            "SELECT COUNT(*) FROM journal WHERE meeting = $1 AND command LIKE '%not%'",
            &[&broken],
        )
        .await
        .expect("count");
    assert_eq!(kept.get::<_, i64>(0), damaged as i64);
}
