//! The actor's loop: forward messages, serve the view, reconnect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::ws::ServerMessage;
use breakout_client::{ClientError, Connection, ResumePoint, Session, SessionUpdate};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::{Op, connect_options};
use crate::IpcError;
use crate::ipc::{ConnectionEvent, ConnectionState};
use crate::media::{AppMedia, MediaRun};
use crate::sink::Sink;

const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

type Messages = mpsc::Receiver<ServerMessage>;
type Link = (Arc<Connection>, Messages);
type Attempt = Pin<Box<dyn Future<Output = Result<(Connection, Messages), ClientError>> + Send>>;

pub(super) struct Actor {
    server: String,
    pin: Option<CertFingerprint>,
    token: String,
    sink: Arc<dyn Sink>,
    session: Session,
    /// Published for [`super::MeetingLink::request`]; `None` while down.
    current: watch::Sender<Option<Arc<Connection>>>,
    media: Option<Arc<AppMedia>>,
    /// The media session of the current connection.
    media_run: Option<MediaRun>,
    /// The newest revision seen, told to the server on every reconnect.
    resume: ResumePoint,
}

impl Actor {
    pub(super) fn new(
        server: String,
        pin: Option<CertFingerprint>,
        token: String,
        sink: Arc<dyn Sink>,
        current: watch::Sender<Option<Arc<Connection>>>,
        media: Option<Arc<AppMedia>>,
    ) -> Self {
        Actor {
            server,
            pin,
            token,
            sink,
            session: Session::new(),
            current,
            media,
            media_run: None,
            resume: ResumePoint::new(),
        }
    }

    /// A media session for this connection (the server negotiates media
    /// once per connection, so a new socket needs a new one).
    fn start_media(&mut self, connection: &Arc<Connection>) {
        if let Some(media) = &self.media {
            self.media_run = Some(MediaRun::start(
                media.clone(),
                &self.server,
                connection.clone(),
            ));
        }
    }

    async fn stop_media(&mut self) {
        if let Some(run) = self.media_run.take() {
            run.stop().await;
        }
    }

    pub(super) async fn run(
        mut self,
        connection: Arc<Connection>,
        messages: Messages,
        mut ops: mpsc::Receiver<Op>,
    ) {
        self.resume = connection.resume_point();
        self.start_media(&connection);
        let mut link: Option<Link> = Some((connection, messages));
        let mut attempt: Option<Attempt> = None;
        let mut backoff = BACKOFF_FIRST;
        loop {
            tokio::select! {
                op = ops.recv() => match op {
                    Some(Op::View(reply)) => {
                        let _ = reply.send(self.session.view().cloned());
                    }
                    Some(Op::Reconnect) => {
                        if let Some(dropped) = link.take() {
                            self.current.send_replace(None);
                            self.stop_media().await;
                            self.session.disconnected();
                            close_connection(dropped).await;
                            info!("reconnecting on request (devices changed)");
                            self.sink.connection(&ConnectionEvent::new(
                                ConnectionState::Reconnecting,
                                Some("Switching devices: reconnecting to the meeting.".into()),
                            ));
                            backoff = BACKOFF_FIRST;
                            attempt = Some(self.reconnect_after(Duration::ZERO));
                        }
                    }
                    Some(Op::Close(done)) => {
                        self.close(link).await;
                        let _ = done.send(());
                        return;
                    }
                    // Every handle is gone: nobody can use this meeting any more.
                    None => {
                        self.close(link).await;
                        return;
                    }
                },
                message = next_message(&mut link) => match message {
                    Some(message) => self.deliver(message),
                    None => {
                        link = None;
                        self.current.send_replace(None);
                        self.stop_media().await;
                        self.session.disconnected();
                        warn!("signaling socket lost; reconnecting");
                        self.sink.connection(&ConnectionEvent::new(
                            ConnectionState::Reconnecting,
                            Some("The connection to the meeting server was lost.".into()),
                        ));
                        backoff = BACKOFF_FIRST;
                        attempt = Some(self.reconnect_after(backoff));
                    }
                },
                result = finish(&mut attempt) => {
                    attempt = None;
                    match result {
                        Ok((connection, messages)) => {
                            info!("signaling socket re-opened");
                            let connection = Arc::new(connection);
                            self.current.send_replace(Some(connection.clone()));
                            self.start_media(&connection);
                            link = Some((connection, messages));
                            self.sink.connection(&ConnectionEvent::new(ConnectionState::Connected, None));
                        }
                        Err(error) if resumable(&error) => {
                            debug!(%error, ?backoff, "reconnect failed; retrying");
                            backoff = (backoff * 2).min(BACKOFF_MAX);
                            attempt = Some(self.reconnect_after(backoff));
                        }
                        // The server refused the token (removed, meeting deleted):
                        // retrying cannot help. Stay to answer `get_state` until closed.
                        Err(error) => {
                            warn!(%error, "the server refused to resume this participant");
                            let reason = IpcError::from(error).message;
                            self.sink.connection(&ConnectionEvent::new(ConnectionState::Closed, Some(reason)));
                        }
                    }
                }
            }
        }
    }

    fn deliver(&mut self, message: ServerMessage) {
        if let Some(run) = &self.media_run {
            run.forward(&message);
        }
        for update in self.session.handle(message.clone()) {
            match update {
                SessionUpdate::Welcomed {
                    participant,
                    resumed,
                } => {
                    debug!(%participant, resumed, "welcomed");
                }
                SessionUpdate::RoomChanged { from, to } => debug!(?from, ?to, "moved"),
                _ => {}
            }
        }
        self.sink.server_message(&message);
    }

    fn reconnect_after(&self, delay: Duration) -> Attempt {
        let (server, token) = (self.server.clone(), self.token.clone());
        let options = connect_options(self.pin).resume(&self.resume);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            Connection::connect_with(&server, &token, options).await
        })
    }

    async fn close(&mut self, link: Option<Link>) {
        self.current.send_replace(None);
        self.stop_media().await;
        if let Some(link) = link {
            close_connection(link).await;
        }
    }
}

/// Requests still in flight hold clones; dropping ours starts the close,
/// and the last clone's drop completes it.
async fn close_connection((connection, _messages): Link) {
    match Arc::try_unwrap(connection) {
        Ok(connection) => connection.close().await,
        Err(shared) => drop(shared),
    }
}

/// The next message, or never while there is no socket.
async fn next_message(link: &mut Option<Link>) -> Option<ServerMessage> {
    match link {
        Some((_, messages)) => messages.recv().await,
        None => std::future::pending().await,
    }
}

/// The reconnect attempt's outcome, or never while none is under way.
async fn finish(attempt: &mut Option<Attempt>) -> Result<(Connection, Messages), ClientError> {
    match attempt {
        Some(attempt) => attempt.await,
        None => std::future::pending().await,
    }
}

/// Refusals of the token end the retries; everything else is worth another try.
fn resumable(error: &ClientError) -> bool {
    error.is_transient()
}
