//! A participant played by `breakout-bot join`: it redeems the invite code
//! like a person would (`POST /v1/join`), then the bot process prints every
//! server message as a JSON line and sends each line we write to its stdin.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use breakout_client::join_with_invite_pinned;
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::rest::JoinWithInvite;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::PATIENCE;

/// What a participant joins with: the server, an invite code, and the
/// certificate to pin when the server's is self-signed (the app hosting).
#[derive(Debug, Clone)]
pub struct Invite {
    pub server: String,
    pub code: String,
    pub pin: Option<CertFingerprint>,
}

pub struct Bot {
    pub name: String,
    pub id: u64,
    heard: mpsc::UnboundedReceiver<Value>,
    stdin: ChildStdin,
    _child: Child,
}

impl Bot {
    /// Joins with `invite` as `name` and starts the bot process.
    pub async fn join(bot: &Path, invite: &Invite, name: &str) -> anyhow::Result<Bot> {
        Self::join_with(bot, invite, name, &[]).await
    }

    /// As [`Bot::join`], carrying synthetic media: its moving test pattern
    /// and its tone, camera and mic on.
    pub async fn join_with_media(bot: &Path, invite: &Invite, name: &str) -> anyhow::Result<Bot> {
        let media = ["--media", "synthetic", "--report-ms", "60000"];
        Self::join_with(bot, invite, name, &media).await
    }

    /// As [`Bot::join`], replaying its pre-encoded test pattern (15 fps) and
    /// tone and receiving nothing: a remote participant that costs this
    /// machine only the packets it sends.
    pub async fn join_replaying(bot: &Path, invite: &Invite, name: &str) -> anyhow::Result<Bot> {
        let media = ["--media", "replay", "--report-ms", "60000"];
        Self::join_with(bot, invite, name, &media).await
    }

    async fn join_with(
        bot: &Path,
        invite: &Invite,
        name: &str,
        extra: &[&str],
    ) -> anyhow::Result<Bot> {
        let server = &invite.server;
        let body = JoinWithInvite {
            code: invite.code.clone(),
            name: name.to_string(),
            email: None,
        };
        let created = join_with_invite_pinned(server, &body, invite.pin)
            .await
            .with_context(|| format!("{server} refused {name}"))?;
        let mut child = Command::new(bot)
            .args(["join", "--server", server])
            .args(
                invite
                    .pin
                    .iter()
                    .flat_map(|pin| ["--pin".to_string(), pin.to_string()]),
            )
            .args(extra)
            .env("BREAKOUT_TOKEN", &created.token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting breakout-bot")?;
        let stdin = child.stdin.take().expect("piped");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let (tx, heard) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(value);
                }
            }
        });
        Ok(Bot {
            name: name.to_string(),
            id: created.participant.0,
            heard,
            stdin,
            _child: child,
        })
    }

    /// The bot process's id (gone once it exited).
    pub fn pid(&self) -> Option<u32> {
        self._child.id()
    }

    /// Waits for the first printed message `wanted` accepts; the ones
    /// before it are passed over.
    pub async fn wait_for(
        &mut self,
        what: &str,
        wanted: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(message) = self.heard.recv().await {
                if wanted(&message) {
                    return Some(message);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(message)) => Ok(message),
            Ok(None) => bail!("{} exited before {what}", self.name),
            Err(_) => bail!("{} never saw {what}", self.name),
        }
    }

    /// Sends one line: a Command or Request as JSON.
    pub async fn send(&mut self, json: &str) -> anyhow::Result<()> {
        self.stdin.write_all(json.as_bytes()).await?;
        self.stdin.write_all(b"\n").await?;
        self.stdin.flush().await?;
        Ok(())
    }
}

/// `{"type":"event","event":{"type": kind, ...}}` → the event.
pub fn event<'a>(message: &'a Value, kind: &str) -> Option<&'a Value> {
    let event = message.get("event")?;
    (message["type"] == "event" && event["type"] == kind).then_some(event)
}
