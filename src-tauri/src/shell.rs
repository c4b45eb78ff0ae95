//! The managed state: at most one meeting at a time, and how one is hosted,
//! joined and left. Commands call these; they hold no rules of their own.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use tokio::sync::Mutex;
use tracing::info;

use crate::host::Hosted;
use crate::ipc::{DeviceKind, Joined};
use crate::link::{self, JoinTarget};
use crate::meeting::{MeetingLink, Sink};
use crate::{IpcError, rest};

/// The meeting this app is in, if any.
pub struct Active {
    pub link: MeetingLink,
    pub joined: Joined,
    /// Set when this app hosts the meeting; taken when it ends.
    hosted: Mutex<Option<Hosted>>,
}

#[derive(Default)]
pub struct Shell {
    active: Mutex<Option<Arc<Active>>>,
    http: reqwest::Client,
    /// Devices picked in the UI, kept for the media engine.
    chosen: std::sync::Mutex<HashMap<DeviceKind, String>>,
}

impl Shell {
    /// The current meeting; commands clone it and release the lock at once,
    /// so a slow request never blocks another command.
    pub async fn active(&self) -> Result<Arc<Active>, IpcError> {
        self.active
            .lock()
            .await
            .clone()
            .ok_or_else(IpcError::not_in_meeting)
    }

    /// Starts the embedded server in `data_dir`, creates a meeting with an
    /// invite, and joins it as its host.
    pub async fn host(
        &self,
        data_dir: PathBuf,
        title: &str,
        name: &str,
        sink: Arc<dyn Sink>,
    ) -> Result<Joined, IpcError> {
        let mut active = self.active.lock().await;
        leave(active.take()).await;
        let hosted = Hosted::start(data_dir).await?;
        match self.create_and_join(&hosted, title, name, sink).await {
            Ok((link, joined)) => {
                info!(meeting = %joined.meeting, "hosting a meeting");
                *active = Some(Arc::new(Active {
                    link,
                    joined: joined.clone(),
                    hosted: Mutex::new(Some(hosted)),
                }));
                Ok(joined)
            }
            Err(error) => {
                hosted.stop(None).await;
                Err(error)
            }
        }
    }

    async fn create_and_join(
        &self,
        hosted: &Hosted,
        title: &str,
        name: &str,
        sink: Arc<dyn Sink>,
    ) -> Result<(MeetingLink, Joined), IpcError> {
        let meeting = hosted
            .admin
            .create_meeting(&CreateMeeting {
                title: title.trim().to_string(),
                config: None,
            })
            .await?;
        let host = hosted
            .admin
            .add_participant(
                &meeting.id,
                &AddParticipant {
                    name: name.trim().to_string(),
                    email: None,
                    preset: "host".into(),
                },
            )
            .await?;
        let invite = rest::create_invite(
            &self.http,
            &hosted.local_url,
            &hosted.admin_key,
            &meeting.id,
        )
        .await?;
        let link = MeetingLink::connect(&hosted.local_url, &host.token, sink).await?;
        let joined = Joined {
            meeting: meeting.id,
            participant: host.participant.0,
            server_url: hosted.public_url.clone(),
            invite_code: invite.code,
            invite_link: invite.link,
        };
        Ok((link, joined))
    }

    /// Joins with an invite code or a `breakout://` link.
    pub async fn join(
        &self,
        server_field: &str,
        invite_field: &str,
        name: &str,
        sink: Arc<dyn Sink>,
    ) -> Result<Joined, IpcError> {
        let target = link::parse(server_field, invite_field)?;
        let mut active = self.active.lock().await;
        leave(active.take()).await;
        let (server, token, invite_code, invite_link) = match target {
            JoinTarget::Invite { server, code } => {
                let name = name.trim();
                let created = rest::join(&self.http, &server, &code, name).await?;
                // Whoever holds the code may pass it on, as in the room.
                let invite_link = format!("{}://join?server={server}&code={code}", link::SCHEME);
                (server, created.token, code, invite_link)
            }
            JoinTarget::Token { server, token } => (server, token, String::new(), String::new()),
        };
        let link = MeetingLink::connect(&server, &token, sink).await?;
        let joined = Joined {
            meeting: link.meeting().to_string(),
            participant: link.participant().0,
            server_url: server,
            invite_code,
            invite_link,
        };
        *active = Some(Arc::new(Active {
            link,
            joined: joined.clone(),
            hosted: Mutex::new(None),
        }));
        Ok(joined)
    }

    /// Leaves the meeting (a host's leaving also stops its server).
    pub async fn leave(&self) {
        leave(self.active.lock().await.take()).await;
    }

    pub fn choose_device(&self, kind: DeviceKind, id: String) {
        self.chosen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(kind, id);
    }

    pub fn chosen_device(&self, kind: DeviceKind) -> Option<String> {
        self.chosen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&kind)
            .cloned()
    }
}

async fn leave(active: Option<Arc<Active>>) {
    let Some(active) = active else { return };
    active.link.close().await;
    let hosted = active.hosted.lock().await.take();
    if let Some(hosted) = hosted {
        hosted.stop(Some(&active.joined.meeting)).await;
    }
}
