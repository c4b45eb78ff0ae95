//! One instance, for real: the app runs on an X display with a runtime
//! directory of its own; launching it again with a join link hands the link
//! to the running app and exits with success, and the running app joins that
//! meeting on a real server (seen in the server's member list).

use std::process::Stdio;
use std::time::Duration;

use breakout_app::incoming::{JOINED_LOG, READY_LOG};
use breakout_client::AdminApi;
use breakout_client::protocol::link::JoinLink;
use breakout_client::protocol::rest::{CreateInvite, CreateMeeting};
use breakout_server::{Server, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader, Lines};
use tokio::process::Command;

/// Overall patience for each awaited event (a cold start under load).
const PATIENCE: Duration = Duration::from_secs(120);
const APP: &str = env!("CARGO_BIN_EXE_breakout-app");

/// Waits until a line of `lines` contains `needle`; panics on end of output.
async fn line_with<T: AsyncRead + Unpin>(lines: &mut Lines<BufReader<T>>, needle: &str) {
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await.expect("read the app's log") {
            eprintln!("app: {line}");
            if line.contains(needle) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or_else(|_| panic!("the app did not log {needle:?} in time"));
    assert!(found, "the app exited before logging {needle:?}");
}

fn app(home: &std::path::Path) -> Command {
    let mut command = Command::new(APP);
    command
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("BREAKOUT_SYNTHETIC_MEDIA", "1")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs an X display: run by scripts/app-test.sh (under xvfb-run)"]
async fn a_second_launch_with_a_link_joins_in_the_running_app() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no X display: run this test under xvfb-run (scripts/app-test.sh)"
    );
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        data.path().join("server"),
    ))
    .await
    .expect("start a server");
    let url = format!("http://{}", server.local_addr());
    let admin = AdminApi::new(&url, server.admin_key()).unwrap();
    let meeting = admin
        .create_meeting(&CreateMeeting {
            title: "Linked".into(),
            config: None,
        })
        .await
        .unwrap();
    let invite = admin
        .create_invite(
            &meeting.id,
            &CreateInvite {
                preset: "participant".into(),
                max_uses: None,
                expires_in_secs: None,
            },
        )
        .await
        .unwrap();
    let link = JoinLink::invite(&url, &invite.code).to_string();

    let home = data.path().join("home");
    let mut first = app(&home).spawn().expect("start the app");
    let mut log = BufReader::new(first.stderr.take().expect("piped")).lines();
    line_with(&mut log, READY_LOG).await;

    let second = app(&home)
        .args([link.as_str(), "--name", "Robin from a link"])
        .stderr(Stdio::inherit())
        .status();
    let status = tokio::time::timeout(PATIENCE, second)
        .await
        .expect("the second launch did not exit")
        .expect("run the second launch");
    assert!(status.success(), "the second launch exited with {status}");

    line_with(&mut log, JOINED_LOG).await;
    let rooms = admin.rooms(&meeting.id).await.unwrap();
    let members: Vec<_> = rooms
        .rooms
        .iter()
        .flat_map(|room| &room.members)
        .filter(|member| member.connected)
        .map(|member| member.name.as_str())
        .collect();
    assert_eq!(members, ["Robin from a link"]);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first app must still run"
    );
    first.kill().await.unwrap();
    server.shutdown().await;
}
