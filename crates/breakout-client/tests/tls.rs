//! HTTPS and WSS against a real server with a self-signed certificate: the
//! client library and breakout-bot join with the pinned fingerprint, and a
//! wrong pin is refused in the TLS handshake, with a clear sentence, before
//! any request or token reaches the server.

use std::path::Path;
use std::process::Command;

use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::link::JoinLink;
use breakout_client::protocol::rest::{
    AddParticipant, CreateInvite, CreateMeeting, JoinWithInvite,
};
use breakout_client::protocol::ws::ServerMessage;
use breakout_client::{
    AdminApi, CERTIFICATE_MISMATCH, ClientError, ConnectOptions, Connection, UNTRUSTED_CERTIFICATE,
    join_with_invite_pinned,
};
use breakout_server::{Server, ServerConfig, TlsFiles};

const KEY: &str = "tls-test-admin-key";
const WRONG: CertFingerprint = CertFingerprint([0x5a; 32]);

struct Running {
    server: Server,
    url: String,
    pin: CertFingerprint,
}

/// A server on loopback with a fresh self-signed certificate in `dir`.
async fn start_tls(dir: &Path) -> Running {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let server = Server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        admin_key: Some(KEY.into()),
        public_url: None,
        tls: Some(TlsFiles {
            cert,
            key,
            pin_in_links: true,
        }),
        media: Default::default(),
        database: None,
        cluster: Default::default(),
    })
    .await
    .expect("server starts with TLS");
    let pin = breakout_client::fingerprint(made.cert.der());
    assert_eq!(server.fingerprint(), Some(pin));
    let url = format!("https://{}", server.local_addr());
    Running { server, url, pin }
}

async fn meeting(api: &AdminApi) -> String {
    let body = CreateMeeting {
        title: "Encrypted".into(),
        config: None,
    };
    api.create_meeting(&body).await.expect("meeting").id
}

async fn participant(api: &AdminApi, meeting: &str, name: &str) -> (String, String) {
    let body = AddParticipant {
        name: name.into(),
        email: None,
        preset: "participant".into(),
    };
    let created = api.add_participant(meeting, &body).await.expect("added");
    (created.token, created.join_link)
}

fn assert_mismatch(error: &ClientError, pin: CertFingerprint) {
    let ClientError::CertificateMismatch { expected, got } = error else {
        panic!("expected a certificate mismatch, got {error:?}");
    };
    assert_eq!((*expected, *got), (WRONG, pin));
    assert_eq!(error.code(), Some(CERTIFICATE_MISMATCH));
    let sentence = error.to_string();
    assert!(
        sentence.starts_with(&format!(
            "the server's certificate does not match the one in your invite (expected {WRONG}, got {pin})"
        )),
        "{sentence}"
    );
}

#[tokio::test]
async fn the_pinned_certificate_is_accepted_over_https_and_wss() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_tls(dir.path()).await;
    let api = AdminApi::pinned(&running.url, KEY, Some(running.pin)).unwrap();
    let meeting = meeting(&api).await;
    let (token, join_link) = participant(&api, &meeting, "Ada").await;

    // The server's links name https and the certificate to pin.
    let link = JoinLink::parse(&join_link).unwrap();
    assert_eq!(link.server.as_deref(), Some(running.url.as_str()));
    assert_eq!(link.pin, Some(running.pin));

    let options = ConnectOptions::default().pin(link.pin);
    let (conn, mut messages) = Connection::connect_with(&running.url, &token, options)
        .await
        .expect("joins over wss");
    assert!(matches!(
        messages.recv().await,
        Some(ServerMessage::Welcome { .. })
    ));
    conn.close().await;
    running.server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_pin_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_tls(dir.path()).await;
    let api = AdminApi::pinned(&running.url, KEY, Some(running.pin)).unwrap();
    let meeting = meeting(&api).await;
    let (token, _) = participant(&api, &meeting, "Ada").await;
    let invite = api
        .create_invite(
            &meeting,
            &CreateInvite {
                preset: "participant".into(),
                max_uses: Some(1),
                expires_in_secs: None,
            },
        )
        .await
        .unwrap();

    let wrong_admin = AdminApi::pinned(&running.url, KEY, Some(WRONG)).unwrap();
    assert_mismatch(&wrong_admin.list_meetings().await.unwrap_err(), running.pin);

    // A one-use invite tried with the wrong pin is still unused afterwards:
    // the request never reached the server.
    let join = JoinWithInvite {
        code: invite.code.clone(),
        name: "Bob".into(),
        email: None,
    };
    let error = join_with_invite_pinned(&running.url, &join, Some(WRONG))
        .await
        .unwrap_err();
    assert_mismatch(&error, running.pin);
    join_with_invite_pinned(&running.url, &join, Some(running.pin))
        .await
        .expect("the invite was not used up");

    let options = ConnectOptions::default().pin(Some(WRONG));
    let error = Connection::connect_with(&running.url, &token, options)
        .await
        .unwrap_err();
    assert_mismatch(&error, running.pin);
    let rooms = api.rooms(&meeting).await.unwrap();
    let ada = rooms
        .rooms
        .iter()
        .flat_map(|r| &r.members)
        .find(|m| m.name == "Ada");
    assert!(ada.is_none_or(|ada| !ada.connected), "{rooms:?}");

    // Without a pin the self-signed certificate is not trusted at all, and
    // the sentence says what to do.
    let unpinned = AdminApi::new(&running.url, KEY).unwrap();
    let error = unpinned.list_meetings().await.unwrap_err();
    assert_eq!(error.code(), Some(UNTRUSTED_CERTIFICATE), "{error:?}");
    assert!(
        error.to_string().contains("join with the whole link"),
        "{error}"
    );
    running.server.shutdown().await;
}

#[tokio::test]
async fn breakout_bot_joins_with_the_pin_and_refuses_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_tls(dir.path()).await;
    let api = AdminApi::pinned(&running.url, KEY, Some(running.pin)).unwrap();
    let meeting = meeting(&api).await;
    let (token, _) = participant(&api, &meeting, "Ada").await;
    let bot = |pin: CertFingerprint| {
        let (url, token) = (running.url.clone(), token.clone());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_breakout-bot"))
                .args(["do", "--server", &url, "--pin", &pin.to_string()])
                .args(["--token", &token, r#"{"type":"get_state"}"#])
                .output()
                .expect("breakout-bot runs")
        })
    };

    let right = bot(running.pin).await.unwrap();
    assert!(right.status.success(), "{right:?}");
    let reply = String::from_utf8_lossy(&right.stdout);
    assert!(reply.contains("\"state\""), "{reply}");

    let wrong = bot(WRONG).await.unwrap();
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("does not match the one in your invite"),
        "{stderr}"
    );
    running.server.shutdown().await;
}

#[tokio::test]
async fn breakout_bot_load_runs_against_a_pinned_server() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_tls(dir.path()).await;
    let (url, pin) = (running.url.clone(), running.pin.to_string());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_breakout-bot"))
            .args(["load", "--server", &url, "--pin", &pin, "--admin-key", KEY])
            .args(["--participants", "4", "--rooms", "2"])
            .output()
            .expect("breakout-bot runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("received=4\n"),
        "every participant learnt its room: {stdout}"
    );
    running.server.shutdown().await;
}
