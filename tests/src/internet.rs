//! A meeting whose server and bots run in a network lab
//! ([`crate::netlab`]): the server announces the lab's public address and
//! everything a client does goes through the lab's network, REST included.

use breakout_core::ParticipantId;
use breakout_protocol::rest::ParticipantCreated;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::netlab::{NatLab, Netns};
use crate::{Bot, KEY, WAIT, binary};

pub const HTTP_PORT: u16 = 7800;
pub const MEDIA_PORT: u16 = 7801;

pub fn public_url() -> String {
    format!("http://{}:{HTTP_PORT}", NatLab::PUBLIC_IP)
}

/// Starts `breakout-server` in the server namespace, announcing the public
/// address, and waits until it says it listens.
pub async fn start_server(
    ns: &Netns,
    data: &std::path::Path,
    args: &[&str],
) -> tokio::process::Child {
    let mut child = ns
        .command(binary("breakout-server"))
        .args(["--listen", &format!("0.0.0.0:{HTTP_PORT}")])
        .args(["--media-port", &MEDIA_PORT.to_string()])
        .args(["--public-ip", &NatLab::PUBLIC_IP.to_string()])
        .args(args)
        .args(["--admin-key", KEY, "--log", "warn", "--data-dir"])
        .arg(data)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("server stdout") {
            if line.starts_with("listening on") {
                return;
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

/// One admin REST call from the clients' side of the NAT, via the bot.
pub async fn admin(ns: &Netns, args: &[&str]) -> serde_json::Value {
    let out = ns
        .command(binary("breakout-bot"))
        .args(["admin", "--server", &public_url(), "--admin-key", KEY])
        .args(args)
        .output()
        .await
        .expect("breakout-bot admin runs");
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON answer")
}

pub async fn add(ns: &Netns, meeting: &str, name: &str, preset: &str) -> ParticipantCreated {
    let created = admin(
        ns,
        &[
            "add-participant",
            "--meeting",
            meeting,
            "--name",
            name,
            "--preset",
            preset,
        ],
    )
    .await;
    serde_json::from_value(created).expect("participant created")
}

pub async fn join(ns: &Netns, name: &str, who: &ParticipantCreated, media: bool) -> Bot {
    join_reporting(ns, name, who, media.then_some(200)).await
}

/// A bot that carries synthetic media when `report_ms` is given, with a
/// media report that often.
pub async fn join_reporting(
    ns: &Netns,
    name: &str,
    who: &ParticipantCreated,
    report_ms: Option<u64>,
) -> Bot {
    let mut command = ns.command(binary("breakout-bot"));
    command.args(["join", "--server", &public_url(), "--token", &who.token]);
    if let Some(ms) = report_ms {
        command.args(["--media", "synthetic", "--report-ms", &ms.to_string()]);
    }
    Bot::spawn(command, name, who).await
}

/// Frames of `source`'s test pattern a media report counts.
pub fn pattern_frames(report: &serde_json::Value, source: ParticipantId) -> u64 {
    report["received"]["patterns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["participant"] == source.0)
        .map(|p| p["frames"].as_u64().unwrap_or(0))
        .sum()
}

pub fn tone_frames(report: &serde_json::Value) -> u64 {
    report["received"]["tones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["frames"].as_u64().unwrap_or(0))
        .sum()
}
