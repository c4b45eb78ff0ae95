//! `ParticipantApi`'s assignments CSV calls against a real server in this
//! process: a preview says what an import would do and changes nothing, the
//! import then does it, and refusals keep the server's code and sentence.

use breakout_client::protocol::rest::{AddParticipant, CreateMeeting, CsvChange, CsvPreview};
use breakout_client::protocol::{ApiError, ParticipantId};
use breakout_client::{AdminApi, ClientError, ParticipantApi};
use breakout_server::{Server, ServerConfig};

const KEY: &str = "csv-test-admin-key";

struct Meeting {
    _server: Server,
    _dir: tempfile::TempDir,
    url: String,
    admin: AdminApi,
    id: String,
}

impl Meeting {
    async fn start() -> Meeting {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Server::start(ServerConfig {
            admin_key: Some(KEY.into()),
            ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf())
        })
        .await
        .expect("server starts");
        let url = format!("http://{}", server.local_addr());
        let admin = AdminApi::new(&url, KEY).expect("admin client");
        let body = CreateMeeting {
            title: "Workshop".into(),
            config: None,
        };
        let id = admin.create_meeting(&body).await.expect("meeting").id;
        Meeting {
            _server: server,
            _dir: dir,
            url,
            admin,
            id,
        }
    }

    async fn add(&self, name: &str, preset: &str) -> (ParticipantId, ParticipantApi) {
        let body = AddParticipant {
            name: name.into(),
            email: None,
            preset: preset.into(),
        };
        let created = self.admin.add_participant(&self.id, &body).await.unwrap();
        let api = ParticipantApi::new(&self.url, &self.id, created.token).unwrap();
        (created.participant, api)
    }

    /// Titles of the breakout rooms, as the server reports them.
    async fn rooms(&self) -> Vec<String> {
        let overview = self.admin.rooms(&self.id).await.unwrap();
        overview
            .rooms
            .into_iter()
            .filter(|r| r.id.0 != 0)
            .map(|r| r.title)
            .collect()
    }
}

fn refusal(result: Result<CsvPreview, ClientError>) -> (Option<u16>, ApiError) {
    match result {
        Err(ClientError::Api { status, error }) => (status, error),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_preview_changes_nothing_and_the_import_does_what_it_said() {
    let meeting = Meeting::start().await;
    let (_, host) = meeting.add("Ada Lovelace", "host").await;
    let (bob, _) = meeting.add("Bob Okafor", "participant").await;
    let (cara, _) = meeting.add("Cara Jensen", "participant").await;
    let csv = "name,email,room\nBob Okafor,,Design\n\nCara Jensen,,Main room\n";

    let preview = host.preview_assignments_csv(csv).await.expect("a preview");
    let expected = CsvPreview {
        rooms_created: vec!["Design".into()],
        changes: vec![CsvChange {
            participant: bob,
            name: "Bob Okafor".into(),
            room: Some("Design".into()),
        }],
        unchanged: 1,
    };
    assert_eq!(preview, expected);
    assert!(
        meeting.rooms().await.is_empty(),
        "a preview creates no room"
    );

    let done = host.import_assignments_csv(csv).await.expect("imported");
    assert_eq!(done, expected);
    assert_eq!(meeting.rooms().await, vec!["Design".to_string()]);
    // Done once, the same file has nothing left to change.
    let again = host.preview_assignments_csv(csv).await.expect("a preview");
    assert_eq!(
        again,
        CsvPreview {
            unchanged: 2,
            ..CsvPreview::default()
        }
    );
    assert_ne!(bob, cara);
}

#[tokio::test]
async fn refusals_keep_the_servers_code_and_line() {
    let meeting = Meeting::start().await;
    let (_, host) = meeting.add("Ada Lovelace", "host").await;
    let (_, bob) = meeting.add("Bob Okafor", "participant").await;

    let bad = "name,email,room\nBob Okafor,,Design\nZoe Nobody,,Design\n";
    let (status, error) = refusal(host.preview_assignments_csv(bad).await);
    assert_eq!((status, error.code.as_str()), (Some(400), "invalid_csv"));
    assert!(error.message.contains("line 3"), "{}", error.message);
    let (_, error) = refusal(host.import_assignments_csv(bad).await);
    assert_eq!(error.code, "invalid_csv");
    assert!(meeting.rooms().await.is_empty(), "nothing was imported");

    let fine = "name,email,room\nBob Okafor,,Design\n";
    let (status, error) = refusal(bob.preview_assignments_csv(fine).await);
    assert_eq!(
        (status, error.code.as_str()),
        (Some(403), "permission_denied")
    );
}

/// What was previewed is not promised: the import is judged against the
/// meeting as it is when the file arrives.
#[tokio::test]
async fn the_import_is_judged_against_the_meeting_as_it_is_then() {
    let meeting = Meeting::start().await;
    let (_, host) = meeting.add("Ada Lovelace", "host").await;
    let (bob, _) = meeting.add("Bob Okafor", "participant").await;
    let csv = "name,email,room\nBob Okafor,,Design\n";
    host.preview_assignments_csv(csv).await.expect("a preview");
    meeting
        .admin
        .remove_participant(&meeting.id, bob)
        .await
        .unwrap();

    let (_, error) = refusal(host.import_assignments_csv(csv).await);
    assert_eq!(error.code, "invalid_csv");
    assert!(error.message.contains("Bob Okafor"), "{}", error.message);
    assert!(meeting.rooms().await.is_empty());
}
