//! The meeting the shell joins carries a REST client for the same server
//! and participant as its socket: the CSV commands' preview and import reach
//! the real server as the one who joined.

use std::sync::Arc;

use breakout_client::protocol::rest::{AddParticipant, CreateMeeting, CsvChange, CsvPreview};
use breakout_client::{AdminApi, ClientView};
use breakout_server::{Server, ServerConfig};

use super::Shell;
use crate::media::MediaOptions;
use crate::sink::Sink;

const KEY: &str = "shell-test-admin-key";

struct Quiet;

impl Sink for Quiet {
    fn view(&self, _: &ClientView) {}
}

#[tokio::test]
async fn a_joined_meeting_previews_and_imports_csv_as_its_participant() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig {
        admin_key: Some(KEY.into()),
        ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf())
    })
    .await
    .expect("server starts");
    let url = format!("http://{}", server.local_addr());
    let admin = AdminApi::new(&url, KEY).unwrap();
    let meeting = admin
        .create_meeting(&CreateMeeting {
            title: "Workshop".into(),
            config: None,
        })
        .await
        .unwrap();
    let add = |name: &str, preset: &str| AddParticipant {
        name: name.into(),
        email: None,
        preset: preset.into(),
    };
    let host = admin
        .add_participant(&meeting.id, &add("Ada", "host"))
        .await
        .unwrap();
    let bob = admin
        .add_participant(&meeting.id, &add("Bob", "participant"))
        .await
        .unwrap();

    let shell = Shell::new(MediaOptions {
        synthetic: true,
        ..MediaOptions::default()
    });
    let link = format!("breakout://join?server={url}&token={}", host.token);
    shell.join("", &link, "Ada", Arc::new(Quiet)).await.unwrap();
    let active = shell.active().await.unwrap();

    let csv = "name,email,room\nBob,,Design\n";
    let expected = CsvPreview {
        rooms_created: vec!["Design".into()],
        changes: vec![CsvChange {
            participant: bob.participant,
            name: "Bob".into(),
            room: Some("Design".into()),
        }],
        unchanged: 0,
    };
    assert_eq!(
        active.rest.preview_assignments_csv(csv).await.unwrap(),
        expected
    );
    assert_eq!(
        active.rest.import_assignments_csv(csv).await.unwrap(),
        expected
    );
    let rooms = admin.rooms(&meeting.id).await.unwrap().rooms;
    assert!(rooms.iter().any(|r| r.title == "Design"), "{rooms:?}");
    shell.leave().await;
}
