//! The managed state: at most one meeting at a time, and how one is hosted,
//! joined and left. Commands call these; they hold no rules of their own.

use std::path::PathBuf;
use std::sync::Arc;

use breakout_client::ParticipantApi;
use breakout_client::join_with_invite_pinned;
use breakout_client::protocol::link::JoinPass;
use breakout_client::protocol::rest::{
    AddParticipant, CreateInvite, CreateMeeting, JoinWithInvite,
};
use tokio::sync::Mutex;
use tracing::info;

use crate::IpcError;
use crate::host::Hosted;
use crate::ipc::{DeviceKind, Joined};
use crate::link::{self, JoinTarget};
use crate::media::{AppMedia, FrameStore, MediaOptions};
use crate::meeting::MeetingLink;
use crate::sink::Sink;

/// The meeting this app is in, if any.
pub struct Active {
    pub link: MeetingLink,
    pub joined: Joined,
    /// REST calls as this participant (bodies too large for the socket).
    pub rest: ParticipantApi,
    /// Set when this app hosts the meeting; taken when it ends.
    hosted: Mutex<Option<Hosted>>,
}

pub struct Shell {
    active: Mutex<Option<Arc<Active>>>,
    /// Sources for the media engine: synthetic or devices, and the devices
    /// picked in the UI.
    media: std::sync::Mutex<MediaOptions>,
    /// Decoded video for the `breakout-media` scheme, whichever meeting.
    frames: Arc<FrameStore>,
}

impl Default for Shell {
    fn default() -> Self {
        Shell::new(MediaOptions::default())
    }
}

impl Shell {
    pub fn new(media: MediaOptions) -> Self {
        Shell {
            active: Mutex::default(),
            media: std::sync::Mutex::new(media),
            frames: Arc::default(),
        }
    }

    pub fn frames(&self) -> Arc<FrameStore> {
        self.frames.clone()
    }

    /// Media for a meeting about to be joined.
    fn new_media(&self, sink: &Arc<dyn Sink>) -> Arc<AppMedia> {
        let options = self.media.lock().unwrap_or_else(|e| e.into_inner()).clone();
        AppMedia::new(options, self.frames.clone(), sink.clone())
    }

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
            Ok((link, rest, joined)) => {
                info!(meeting = %joined.meeting, "hosting a meeting");
                *active = Some(Arc::new(Active {
                    link,
                    joined: joined.clone(),
                    rest,
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
    ) -> Result<(MeetingLink, ParticipantApi, Joined), IpcError> {
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
        let invite = hosted
            .admin
            .create_invite(
                &meeting.id,
                &CreateInvite {
                    preset: "participant".into(),
                    max_uses: None,
                    expires_in_secs: None,
                },
            )
            .await?;
        let media = self.new_media(&sink);
        let link = MeetingLink::connect_pinned(
            &hosted.local_url,
            hosted.pin,
            &host.token,
            sink,
            Some(media),
        )
        .await?;
        let rest = ParticipantApi::pinned(&hosted.local_url, hosted.pin, &meeting.id, &host.token)?;
        let joined = Joined {
            meeting: meeting.id,
            participant: host.participant.0,
            server_url: hosted.public_url.clone(),
            invite_code: invite.code,
            invite_link: invite.link,
        };
        Ok((link, rest, joined))
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
        let (token, invite_code, invite_link) = match &target.pass {
            JoinPass::Invite(code) => {
                let body = JoinWithInvite {
                    code: code.clone(),
                    name: name.trim().to_string(),
                    email: None,
                };
                let created = join_with_invite_pinned(&target.server, &body, target.pin).await?;
                // Whoever holds the code may pass it on, as in the room.
                (created.token, code.clone(), target.link().to_string())
            }
            JoinPass::Token(token) => (token.clone(), String::new(), String::new()),
        };
        let JoinTarget { server, pin, .. } = target;
        let media = self.new_media(&sink);
        let link = MeetingLink::connect_pinned(&server, pin, &token, sink, Some(media)).await?;
        let rest = ParticipantApi::pinned(&server, pin, link.meeting(), &token)?;
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
            rest,
            hosted: Mutex::new(None),
        }));
        Ok(joined)
    }

    /// Leaves the meeting (a host's leaving also stops its server).
    pub async fn leave(&self) {
        leave(self.active.lock().await.take()).await;
    }

    /// Uses `id` for `kind`: in the current meeting at once (see
    /// [`AppMedia::use_device`](crate::media::AppMedia::use_device)), and
    /// in the next ones.
    pub async fn choose_device(&self, kind: DeviceKind, id: &str) -> Result<(), IpcError> {
        self.media
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .choose(kind, id);
        if let Some(active) = self.active.lock().await.as_ref()
            && let Some(media) = active.link.media()
        {
            media.use_device(kind, id)?;
        }
        Ok(())
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

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
