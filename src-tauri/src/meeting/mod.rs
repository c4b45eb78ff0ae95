//! One meeting connection behind a small actor.
//!
//! The actor task owns the [`Session`](breakout_client::Session) and the
//! socket's message stream: it reduces every server message into the
//! session for the [`Sink`] (the windows, in the app), keeps the session current for `get_state`
//! while the socket is down, and re-opens the socket with the same token
//! when it drops (the server then resumes us with a fresh welcome).
//! After each burst of messages the actor pushes the session's whole
//! [`ClientView`] to the sink, and window-side changes to it (dismissing a
//! toast or banner, putting off an invitation) go through the actor too,
//! so that state lives in one place.
//! Requests do not queue behind the actor: [`MeetingLink::request`] uses the
//! current connection directly, so a slow reply never holds up events.
//! No breakout rules here: the server decides, the UI shows.

mod actor;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use breakout_client::media::{ScreenSource, ScreenTarget};
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::ws::{Reply, Request};
use breakout_client::protocol::{Command, MeetingView, ParticipantId};
use breakout_client::{ClientError, ClientView, ConnectOptions, Connection};
use tokio::sync::{mpsc, oneshot, watch};

use crate::IpcError;
use crate::media::AppMedia;
use crate::sink::Sink;

/// A handle to the actor of one joined meeting. Dropping it ends the actor
/// (and closes the socket); [`MeetingLink::close`] does so and waits.
pub struct MeetingLink {
    ops: mpsc::Sender<Op>,
    current: watch::Receiver<Option<Arc<Connection>>>,
    meeting: String,
    participant: ParticipantId,
    media: Option<Arc<AppMedia>>,
}

impl std::fmt::Debug for MeetingLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingLink")
            .field("meeting", &self.meeting)
            .field("participant", &self.participant)
            .field("connected", &self.is_connected())
            .finish()
    }
}

enum Op {
    View(oneshot::Sender<Option<MeetingView>>),
    ClientView(oneshot::Sender<ClientView>),
    /// A window changed what it shows; answers whether anything changed.
    Change(Change, oneshot::Sender<bool>),
    /// Re-open the socket now (and so media, with the devices chosen since).
    Reconnect,
    Close(oneshot::Sender<()>),
}

/// What a window may change in the [`ClientView`]: only what it shows,
/// never the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    DismissToast(u64),
    DismissBanner(u64),
    DeferInvitation,
}

impl MeetingLink {
    /// Connects as the holder of `token` and starts the actor. The first
    /// connection must succeed (a wrong address or token fails here, at
    /// once); later drops are retried. With `media`, every connection
    /// also carries a media session (see [`crate::media`]).
    pub async fn connect(
        server: &str,
        token: &str,
        sink: Arc<dyn Sink>,
        media: Option<Arc<AppMedia>>,
    ) -> Result<MeetingLink, ClientError> {
        Self::connect_pinned(server, None, token, sink, media).await
    }

    /// [`MeetingLink::connect`] accepting over `wss://` only the certificate
    /// with fingerprint `pin` (an invite's `fp=`), on every reconnect too.
    pub async fn connect_pinned(
        server: &str,
        pin: Option<CertFingerprint>,
        token: &str,
        sink: Arc<dyn Sink>,
        media: Option<Arc<AppMedia>>,
    ) -> Result<MeetingLink, ClientError> {
        let (connection, messages) =
            Connection::connect_with(server, token, connect_options(pin)).await?;
        let (meeting, participant) = (connection.meeting().to_string(), connection.participant());
        let connection = Arc::new(connection);
        let (current_tx, current) = watch::channel(Some(connection.clone()));
        let (ops_tx, ops) = mpsc::channel(16);
        let actor = actor::Actor::new(
            server.to_string(),
            pin,
            token.to_string(),
            sink,
            current_tx,
            media.clone(),
        );
        tokio::spawn(actor.run(connection, messages, ops));
        Ok(MeetingLink {
            ops: ops_tx,
            current,
            meeting,
            participant,
            media,
        })
    }

    /// The meeting's media, when this link carries it.
    pub fn media(&self) -> Option<&Arc<AppMedia>> {
        self.media.as_ref()
    }

    /// The meeting's id, from the first welcome.
    pub fn meeting(&self) -> &str {
        &self.meeting
    }

    /// Who the server welcomed us as.
    pub fn participant(&self) -> ParticipantId {
        self.participant
    }

    /// Sends `request` on the current connection and waits for its reply.
    pub async fn request(&self, request: Request) -> Result<Reply, IpcError> {
        let connection = self
            .current
            .borrow()
            .clone()
            .ok_or_else(IpcError::reconnecting)?;
        Ok(connection.request(request).await?)
    }

    /// Switches the mic and/or camera (`None`: leave as is). With media the
    /// engine stops or resumes sending and tells the meeting, so what is
    /// sent and what the meeting shows stay the same; without, only the
    /// meeting is told.
    pub async fn set_media(&self, mic: Option<bool>, camera: Option<bool>) -> Result<(), IpcError> {
        match &self.media {
            Some(media) => {
                let connection = self.current.borrow().clone();
                media.set(connection, mic, camera).await
            }
            None => {
                let command = Command::SetMedia { mic, camera };
                self.request(Request::Command { command }).await?;
                Ok(())
            }
        }
    }

    /// Hold-to-talk to every room, through the media engine when it runs
    /// (which sends the mic while held); see [`AppMedia::speak_to_all`].
    pub async fn speak_to_all(&self, active: bool) -> Result<(), IpcError> {
        match &self.media {
            Some(media) => {
                let connection = self.current.borrow().clone();
                media.speak_to_all(connection, active).await
            }
            None => {
                let command = Command::SpeakToAll { active };
                self.request(Request::Command { command }).await?;
                Ok(())
            }
        }
    }

    /// Shares a screen or window through the media engine.
    pub async fn share_screen(&self, source: &ScreenSource) -> Result<(), IpcError> {
        match &self.media {
            Some(media) => media.share_screen(source).await,
            None => Err(IpcError::new(
                "media_unavailable",
                "This meeting runs without media, so there is no screen to share.",
            )),
        }
    }

    /// Stops sharing; see [`AppMedia::stop_sharing`].
    pub async fn stop_sharing(&self) -> Result<(), IpcError> {
        match &self.media {
            Some(media) => {
                let connection = self.current.borrow().clone();
                media.stop_sharing(connection).await
            }
            None => {
                let command = Command::ShareScreen { active: false };
                self.request(Request::Command { command }).await?;
                Ok(())
            }
        }
    }

    /// What this desktop can share.
    pub fn screens(&self) -> Result<Vec<ScreenTarget>, IpcError> {
        match &self.media {
            Some(media) => media.screens(),
            None => Ok(Vec::new()),
        }
    }

    /// Whether the socket is open right now.
    pub fn is_connected(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// The session's view: the last authoritative one with the events since.
    pub async fn view(&self) -> Option<MeetingView> {
        let (tx, rx) = oneshot::channel();
        self.ops.send(Op::View(tx)).await.ok()?;
        rx.await.ok().flatten()
    }

    /// Everything the windows show, as last pushed.
    pub async fn client_view(&self) -> Option<ClientView> {
        let (tx, rx) = oneshot::channel();
        self.ops.send(Op::ClientView(tx)).await.ok()?;
        rx.await.ok()
    }

    /// Applies `change` to the session (and pushes the view when it
    /// changed); false when there was nothing to change.
    pub async fn change(&self, change: Change) -> bool {
        let (tx, rx) = oneshot::channel();
        if self.ops.send(Op::Change(change, tx)).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// Re-opens the connection at once, as after a drop: the server resumes
    /// us, and a new media session starts with the devices chosen since
    /// (media is negotiated once per connection).
    pub async fn reconnect(&self) {
        let _ = self.ops.send(Op::Reconnect).await;
    }

    /// Closes the socket politely and waits for the actor to finish.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.ops.send(Op::Close(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// Shorter than the client's defaults: a person is waiting on the answer.
fn connect_options(pin: Option<CertFingerprint>) -> ConnectOptions {
    ConnectOptions::default()
        .pin(pin)
        .connect_timeout(Duration::from_secs(5))
        .request_timeout(Duration::from_secs(8))
}
