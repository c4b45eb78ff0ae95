//! The actor's loop: reduce messages into the session, push its view,
//! serve it, reconnect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::ws::{Reply, Request, ServerMessage};
use breakout_client::protocol::{ChatMessage, RoomId, Timestamp};
use breakout_client::{ClientError, ClientView, Connection, ResumePoint, Session, SessionUpdate};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::{Change, Op, connect_options};
use crate::IpcError;
use crate::ipc::ConnectionState;
use crate::media::{AppMedia, MediaRun};
use crate::sink::Sink;

const BACKOFF_FIRST: Duration = Duration::from_millis(100);
/// Retries stay a second apart at most: in a cluster a dead node's meetings
/// are taken over 4 s after its last lease renewal, and a client that
/// waited 3.2 s then 5 s more came back 6-9 s after the kill.
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Messages already queued are reduced together before one push.
const BURST: usize = 64;

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
    /// The view last pushed, so an unchanged one is not pushed again.
    pushed: Option<ClientView>,
    /// Chat histories fetched after a welcome or a move.
    history_tx: mpsc::UnboundedSender<(RoomId, Vec<ChatMessage>)>,
    history: mpsc::UnboundedReceiver<(RoomId, Vec<ChatMessage>)>,
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
        let (history_tx, history) = mpsc::unbounded_channel();
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
            pushed: None,
            history_tx,
            history,
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
                    Some(Op::ClientView(reply)) => {
                        let _ = reply.send(self.session.client_view());
                    }
                    Some(Op::Change(change, reply)) => {
                        let changed = match change {
                            Change::DismissToast(id) => self.session.dismiss_toast(id),
                            Change::DismissBanner(id) => self.session.dismiss_banner(id),
                            Change::DeferInvitation => self.session.defer_invitation(),
                        };
                        self.push();
                        let _ = reply.send(changed);
                    }
                    Some(Op::Reconnect) => {
                        if let Some(dropped) = link.take() {
                            self.current.send_replace(None);
                            self.stop_media().await;
                            self.session.disconnected();
                            close_connection(dropped).await;
                            info!("reconnecting on request (devices changed)");
                            self.connection(
                                ConnectionState::Reconnecting,
                                Some("Switching devices: reconnecting to the meeting.".into()),
                            );
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
                Some((room, messages)) = self.history.recv() => {
                    self.session.chat_history(room, messages);
                    self.push();
                }
                message = next_message(&mut link) => match message {
                    Some(message) => {
                        self.deliver(message, &link);
                        // A burst already queued is reduced before one push.
                        for _ in 0..BURST {
                            let Some((_, messages)) = &mut link else { break };
                            let Ok(message) = messages.try_recv() else { break };
                            self.deliver(message, &link);
                        }
                        self.push();
                    }
                    None => {
                        link = None;
                        self.current.send_replace(None);
                        self.stop_media().await;
                        self.session.disconnected();
                        warn!("signaling socket lost; reconnecting");
                        self.connection(
                            ConnectionState::Reconnecting,
                            Some("The connection to the meeting server was lost.".into()),
                        );
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
                            self.connection(ConnectionState::Connected, None);
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
                            self.connection(ConnectionState::Closed, Some(reason));
                        }
                    }
                }
            }
        }
    }

    fn deliver(&mut self, message: ServerMessage, link: &Option<Link>) {
        if let Some(run) = &self.media_run {
            run.forward(&message);
        }
        for update in self.session.handle_at(message, local_now()) {
            match update {
                SessionUpdate::Welcomed {
                    participant,
                    resumed,
                } => {
                    debug!(%participant, resumed, "welcomed");
                    self.fetch_chat(link);
                }
                SessionUpdate::RoomChanged { from, to } => {
                    debug!(?from, ?to, "moved");
                    self.fetch_chat(link);
                }
                _ => {}
            }
        }
    }

    /// The socket's state, kept in the session's view.
    fn connection(&mut self, state: ConnectionState, reason: Option<String>) {
        self.session.set_connection(state, reason);
        self.push();
    }

    /// Pushes the session's view if it changed since the last push.
    fn push(&mut self) {
        let view = self.session.client_view();
        if self.pushed.as_ref() != Some(&view) {
            self.sink.view(&view);
            self.pushed = Some(view);
        }
    }

    /// Fetches the history of the room you are in now: lines sent before
    /// you came, or while the socket was down.
    fn fetch_chat(&self, link: &Option<Link>) {
        let (Some((connection, _)), Some(room)) = (link, self.session.room()) else {
            return;
        };
        let (connection, tx) = (connection.clone(), self.history_tx.clone());
        tokio::spawn(async move {
            let request = Request::GetChat { room: Some(room) };
            match connection.request(request).await {
                Ok(Reply::Chat { messages }) => {
                    let _ = tx.send((room, messages));
                }
                Ok(_) => warn!("unexpected answer to a chat history request"),
                Err(error) => debug!(%error, "chat history not fetched"),
            }
        });
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

/// This computer's clock, for the server clock's offset.
fn local_now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}
