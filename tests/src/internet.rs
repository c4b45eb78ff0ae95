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

/// `breakout-server` running in the lab's server namespace, and how the
/// clients' side reaches it.
pub struct LabServer {
    /// `http://` or, with TLS, `https://` on the public address.
    pub url: String,
    /// The certificate fingerprint clients pin, with TLS.
    pub pin: Option<String>,
    _process: tokio::process::Child,
}

/// Starts `breakout-server` in the server namespace, announcing the public
/// address, and waits until it says it listens.
pub async fn start_server(ns: &Netns, data: &std::path::Path, args: &[&str]) -> LabServer {
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
    // "listening on <url>", then "certificate <fingerprint>" with TLS, and
    // the media port last of what matters.
    let (mut scheme, mut pin) = (None, None);
    tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("server stdout") {
            if let Some(url) = line.strip_prefix("listening on ") {
                scheme = url.split("://").next().map(str::to_owned);
            } else if let Some(fingerprint) = line.strip_prefix("certificate ") {
                pin = Some(fingerprint.to_owned());
            } else if line.starts_with("media on udp") {
                return;
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let scheme = scheme.expect("the server said where it listens");
    LabServer {
        url: format!("{scheme}://{}:{HTTP_PORT}", NatLab::PUBLIC_IP),
        pin,
        _process: child,
    }
}

impl LabServer {
    /// `breakout-bot` in `ns`, pointed at this server.
    fn bot(&self, ns: &Netns, subcommand: &str) -> tokio::process::Command {
        let mut command = ns.command(binary("breakout-bot"));
        command.args([subcommand, "--server", &self.url]);
        if let Some(pin) = &self.pin {
            command.args(["--pin", pin]);
        }
        command
    }

    /// One admin REST call from `ns`, via the bot.
    pub async fn admin(&self, ns: &Netns, args: &[&str]) -> serde_json::Value {
        let out = self
            .bot(ns, "admin")
            .args(["--admin-key", KEY])
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

    pub async fn add(
        &self,
        ns: &Netns,
        meeting: &str,
        name: &str,
        preset: &str,
    ) -> ParticipantCreated {
        let args = [
            "add-participant",
            "--meeting",
            meeting,
            "--name",
            name,
            "--preset",
            preset,
        ];
        let created = self.admin(ns, &args).await;
        serde_json::from_value(created).expect("participant created")
    }

    pub async fn join(&self, ns: &Netns, name: &str, who: &ParticipantCreated, media: bool) -> Bot {
        let args: &[&str] = if media {
            &["--media", "synthetic", "--report-ms", "200"]
        } else {
            &[]
        };
        self.join_with(ns, name, who, args).await
    }

    /// A bot started with `args` besides the server and token.
    pub async fn join_with(
        &self,
        ns: &Netns,
        name: &str,
        who: &ParticipantCreated,
        args: &[&str],
    ) -> Bot {
        let mut command = self.bot(ns, "join");
        command.args(["--token", &who.token]).args(args);
        Bot::spawn(command, name, who).await
    }
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

/// The tone `breakout-bot` sends as `participant`: `300 + 50 × (id mod
/// 50)` Hz (`breakout_client::media::synthetic::tone_frequency`).
pub fn tone_hz(participant: ParticipantId) -> u64 {
    300 + 50 * (participant.0 % 50)
}

/// Frames of `source`'s own tone: heard at its frequency, within half the
/// step between two participants' tones.
pub fn tone_frames_of(report: &serde_json::Value, source: ParticipantId) -> u64 {
    let hz = tone_hz(source);
    report["received"]["tones"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["hz"].as_u64().is_some_and(|got| got.abs_diff(hz) < 25))
        .map(|t| t["frames"].as_u64().unwrap_or(0))
        .sum()
}

/// The frame counter drawn into the last picture of `source`'s pattern.
pub fn pattern_counter(report: &serde_json::Value, source: ParticipantId) -> u64 {
    report["received"]["patterns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["participant"] == source.0)
        .filter_map(|p| p["last_counter"].as_u64())
        .max()
        .unwrap_or(0)
}
