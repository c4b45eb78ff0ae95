//! Reconnecting through the real server: every reconnect tells the server
//! the newest revision the client saw, so a server that restored less from
//! its journal (acknowledged events lost) reports it to its operator, and a
//! server that lost nothing reports nothing.

use std::path::Path;

use breakout_client::protocol::Command;
use breakout_client::protocol::admin::{IncidentKind, IncidentList};
use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use breakout_client::protocol::ws::{Reply, Request};
use breakout_client::{AdminApi, ConnectOptions, Connection, ResumePoint};
use breakout_server::{Server, ServerConfig};

const KEY: &str = "resume-test-admin-key";

struct Running {
    server: Server,
    url: String,
    api: AdminApi,
}

async fn start_on(dir: &Path) -> Running {
    let server = Server::start(ServerConfig {
        admin_key: Some(KEY.into()),
        ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.to_path_buf())
    })
    .await
    .expect("server starts");
    let url = format!("http://{}", server.local_addr());
    let api = AdminApi::new(&url, KEY).expect("admin client");
    Running { server, url, api }
}

/// Connects as the holder of `token`, resuming from `point`, and makes the
/// meeting move on: a command, then the view that shows it.
async fn connect_and_act(running: &Running, token: &str, point: &ResumePoint) -> u64 {
    let options = ConnectOptions::default().resume(point);
    let (conn, _messages) = Connection::connect_with(&running.url, token, options)
        .await
        .expect("connects");
    let rooms = Command::CreateRooms {
        count: 1,
        names: vec![],
    };
    conn.command(rooms).await.expect("rooms created");
    let Reply::State { view } = conn.request(Request::GetState).await.expect("state") else {
        panic!("get_state answers with the view");
    };
    assert_eq!(point.revision(), Some(view.revision), "the point saw it");
    conn.close().await;
    view.revision
}

async fn incidents(running: &Running) -> IncidentList {
    running.api.incidents().await.expect("incidents")
}

/// Every file of a stopped server's data directory.
fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("data dir") {
        let entry = entry.expect("dir entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_tells_the_server_what_it_saw() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = start_on(dir.path()).await;
    let meeting = first
        .api
        .create_meeting(&CreateMeeting {
            title: "resume".into(),
            config: None,
        })
        .await
        .expect("meeting")
        .id;
    let host = first
        .api
        .add_participant(
            &meeting,
            &AddParticipant {
                name: "Hana".into(),
                email: None,
                preset: "host".into(),
            },
        )
        .await
        .expect("host added");
    let point = ResumePoint::new();
    connect_and_act(&first, &host.token, &point).await;
    first.server.shutdown().await;
    // What a later crash will roll the meeting back to.
    let earlier = tempfile::tempdir().expect("temp dir");
    copy_dir(dir.path(), earlier.path());

    // A restart that kept everything: the reconnect is no incident.
    let second = start_on(dir.path()).await;
    let seen = connect_and_act(&second, &host.token, &point).await;
    assert_eq!(incidents(&second).await.incidents, vec![]);
    second.server.shutdown().await;

    // A restart from the earlier state: what the client saw last is gone.
    let third = start_on(earlier.path()).await;
    let options = ConnectOptions::default().resume(&point);
    let (resumed, _messages) = Connection::connect_with(&third.url, &host.token, options)
        .await
        .expect("resumes");
    let found = incidents(&third).await;
    let [incident] = found.incidents.as_slice() else {
        panic!("one incident expected, got {found:?}");
    };
    assert_eq!(incident.meeting, meeting);
    let IncidentKind::LostEvents {
        participant,
        client_revision,
        server_revision,
    } = incident.kind
    else {
        panic!("lost events expected, got {incident:?}");
    };
    assert_eq!(participant, host.participant);
    assert_eq!(client_revision, seen);
    assert!(server_revision < seen, "{incident:?}");
    resumed.close().await;
    third.server.shutdown().await;
}
