//! One address for a cluster, from the client's side: two servers on one
//! PostgreSQL database, the meeting on one of them, and every call (admin
//! REST and the participant's WebSocket) made to the other one, which
//! answers `421 meeting_elsewhere` with the owner's URL; the client follows
//! it. `make pg-test` runs it (it needs PostgreSQL's binaries).

use breakout_client::protocol::Command;
use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use breakout_client::{AdminApi, Connection};
use breakout_server::{ClusterConfig, Server, ServerConfig};

#[path = "../../breakout-server/tests/common/postgres.rs"]
mod postgres;

const KEY: &str = "cluster-test-admin-key";

async fn node(database: &str, name: &str, dir: &tempfile::TempDir) -> (Server, String) {
    let server = Server::start(ServerConfig {
        admin_key: Some(KEY.into()),
        database: Some(database.into()),
        cluster: ClusterConfig {
            node_id: Some(name.into()),
            ..ClusterConfig::default()
        },
        ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf())
    })
    .await
    .expect("server starts");
    let url = format!("http://{}", server.local_addr());
    (server, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn every_call_made_to_another_node_reaches_the_meeting() {
    let database = postgres::Cluster::shared().new_database();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (a, a_url) = node(&database, "a", &dirs[0]).await;
    let (b, b_url) = node(&database, "b", &dirs[1]).await;
    let api = AdminApi::new(&a_url, KEY).expect("admin client");
    // Placement alternates between the two: one of the first two is b's.
    let meeting = loop {
        let info = api
            .create_meeting(&CreateMeeting {
                title: "Elsewhere".into(),
                config: None,
            })
            .await
            .expect("create");
        if info.node.as_deref() == Some("b") {
            assert_eq!(info.node_url.as_deref(), Some(b_url.as_str()));
            break info.id;
        }
    };
    let host = api
        .add_participant(
            &meeting,
            &AddParticipant {
                name: "Hana".into(),
                email: None,
                preset: "host".into(),
            },
        )
        .await
        .expect("added through a, on b");
    let (conn, _messages) = Connection::connect(&a_url, &host.token)
        .await
        .expect("connected through a, to b");
    assert_eq!(conn.meeting(), meeting);
    conn.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("a command on b");
    let rooms = api.rooms(&meeting).await.expect("rooms through a");
    assert_eq!(rooms.rooms.len(), 3);
    assert_eq!(
        api.meeting(&meeting).await.unwrap().node.as_deref(),
        Some("b")
    );
    conn.close().await;
    a.shutdown().await;
    b.shutdown().await;
}
