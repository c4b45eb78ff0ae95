//! A stand-alone `breakout-server` process with one meeting and an invite
//! code: the meeting the app joins as a participant, so the app's figures
//! leave out the work of hosting (the bench measures hosting separately).

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use breakout_client::AdminApi;
use breakout_client::protocol::rest::{CreateInvite, CreateMeeting};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::PATIENCE;

pub struct RoomServer {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    _data: tempfile::TempDir,
    _child: Child,
}

impl RoomServer {
    /// Starts `binary` on a free loopback port with fresh data.
    pub async fn start(binary: &Path) -> anyhow::Result<RoomServer> {
        let data = tempfile::tempdir()?;
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--media-port", "0", "--data-dir"])
            .arg(data.path())
            .args(["--admin-key", ADMIN_KEY, "--log", "warn"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting breakout-server")?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let url = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return Ok(url.to_string());
                }
            }
            bail!("breakout-server exited before listening")
        })
        .await
        .context("breakout-server did not say where it listens")??;
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(RoomServer {
            url,
            _data: data,
            _child: child,
        })
    }

    /// Creates a meeting titled `title`; returns an invite code for it.
    pub async fn meeting_with_invite(&self, title: &str) -> anyhow::Result<String> {
        let admin = AdminApi::new(&self.url, ADMIN_KEY)?;
        let meeting = admin
            .create_meeting(&CreateMeeting {
                title: title.to_string(),
                config: None,
            })
            .await?;
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
            .context("the server refused an invite")?;
        Ok(invite.code)
    }
}

/// The process lives only as long as the bench; a fixed key is enough.
const ADMIN_KEY: &str = "app-bench-admin-key-not-secret";
