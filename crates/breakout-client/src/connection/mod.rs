//! The signaling WebSocket: a thin driver that moves JSON frames between the
//! server and the caller. It keeps no meeting state (that is
//! [`Session`](crate::Session)'s job); it only matches replies to requests.
//!
//! Two tasks per connection: a reader that never blocks (messages go to a
//! bounded channel; when the caller falls behind they are dropped, counted
//! and logged, never queued without limit) and a writer that owns the sink.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::elsewhere::{Owner, Route};
use tracing::info;

use breakout_protocol::fingerprint::CertFingerprint;
use breakout_protocol::media::IceServer;
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_protocol::{ApiError, Command, MAX_FRAME_BYTES, ParticipantId};

use crate::{ClientError, server_url};

mod resume;
mod tasks;

pub use resume::ResumePoint;
use tasks::{handshake, open, read_loop, write_loop};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// An open media tunnel (see [`Connection::open_media_tunnel`]).
pub type TunnelSocket = Socket;
type Answer = Result<Reply, ApiError>;

/// How long [`Connection::close`] waits for the server to answer our close.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Tunables for [`Connection::connect_with`].
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    request_timeout: Duration,
    connect_timeout: Duration,
    channel_capacity: usize,
    resume: Option<ResumePoint>,
    pin: Option<CertFingerprint>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            channel_capacity: 4096,
            resume: None,
            pin: None,
        }
    }
}

impl ConnectOptions {
    /// How long [`Connection::request`] waits for its reply (10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long opening the socket and receiving the welcome may take (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Messages buffered for the caller before new ones are dropped (4096).
    pub fn channel_capacity(mut self, capacity: usize) -> Self {
        self.channel_capacity = capacity.max(1);
        self
    }

    /// Resumes a participant: tells the server the newest revision `point`
    /// holds (nothing while it holds none), and keeps it current with what
    /// this connection sees. Without it a connection starts a point of its
    /// own.
    pub fn resume(mut self, point: &ResumePoint) -> Self {
        self.resume = Some(point.clone());
        self
    }

    /// Over `wss://`, accepts only the certificate with fingerprint `pin`
    /// (a join link's `fp=`) instead of one a web PKI root vouches for.
    pub fn pin(mut self, pin: Option<CertFingerprint>) -> Self {
        self.pin = pin;
        self
    }
}

/// One participant's open signaling socket.
///
/// Every message from the server, the welcome first, goes to the receiver
/// returned by [`Connection::connect`], replies included: a reply also
/// resolves the [`Connection::request`] that awaits it, so a
/// [`Session`](crate::Session) fed from the receiver sees the whole story.
/// The receiver ends when the socket closes. Dropping the `Connection`
/// closes the socket.
pub struct Connection {
    outgoing: mpsc::UnboundedSender<Message>,
    shared: Arc<Shared>,
    closing: watch::Sender<bool>,
    next_id: AtomicU64,
    request_timeout: Duration,
    participant: ParticipantId,
    meeting: String,
    ice_servers: Vec<IceServer>,
    resume: ResumePoint,
    tunnel: TunnelTarget,
    tasks: Vec<JoinHandle<()>>,
}

/// Where and as whom [`Connection::open_media_tunnel`] connects.
struct TunnelTarget {
    url: String,
    token: String,
    pin: Option<CertFingerprint>,
}

/// What the reader task and the requesters share.
struct Shared {
    waiting: Mutex<Waiting>,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Waiting {
    replies: HashMap<u64, oneshot::Sender<Answer>>,
    /// Set by the reader as it stops, so no one waits for what cannot come.
    closed: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("participant", &self.participant)
            .field("meeting", &self.meeting)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens the socket to `server` (`http://host:port` or `ws://…`) as the
    /// participant holding `token`, and waits for the welcome. The token
    /// travels in the `Authorization` header, never in the URL or the logs.
    pub async fn connect(
        server: &str,
        token: &str,
    ) -> Result<(Connection, mpsc::Receiver<ServerMessage>), ClientError> {
        Self::connect_with(server, token, ConnectOptions::default()).await
    }

    /// [`Connection::connect`] with other timeouts or buffer size.
    ///
    /// In a cluster, `server` may be any node: when another node serves the
    /// meeting (`421`, [`ClientError::MeetingElsewhere`]) the connection is
    /// opened there instead. Reconnect through the same `server` after a
    /// loss: it leads to whichever node serves the meeting by then.
    pub async fn connect_with(
        server: &str,
        token: &str,
        options: ConnectOptions,
    ) -> Result<(Connection, mpsc::Receiver<ServerMessage>), ClientError> {
        let mut route = Route::new(server);
        loop {
            match Self::connect_to(route.current(), token, options.clone()).await {
                Err(ClientError::MeetingElsewhere { url, lease_ends_in })
                    if route.follow(Owner {
                        url: url.clone(),
                        lease_ends_in,
                    }) =>
                {
                    info!(to = %url, "the meeting is on another node");
                }
                Err(error)
                    if error.is_unreachable() && route.wait_out_unreachable_owner().await => {}
                other => return other,
            }
        }
    }

    async fn connect_to(
        server: &str,
        token: &str,
        options: ConnectOptions,
    ) -> Result<(Connection, mpsc::Receiver<ServerMessage>), ClientError> {
        let mut url = server_url::ws_url(server)?;
        let tunnel = TunnelTarget {
            url: server_url::media_tunnel_url(server)?.into(),
            token: token.to_owned(),
            pin: options.pin,
        };
        let resume = options.resume.unwrap_or_default();
        resume.add_to(&mut url);
        let limit = options.connect_timeout;
        let (socket, welcome) = tokio::time::timeout(limit, open(url.as_str(), token, options.pin))
            .await
            .map_err(|_| ClientError::ConnectTimeout {
                timeout_ms: limit.as_millis() as u64,
            })??;
        let ServerMessage::Welcome {
            ref meeting,
            participant,
            ref ice_servers,
            ..
        } = welcome
        else {
            unreachable!("open() returns only welcomes");
        };
        info!(server = %url, %participant, meeting = %meeting, "connected");
        let meeting = meeting.clone();
        let ice_servers = ice_servers.clone();
        resume.observe(&welcome);

        let (sink, stream) = socket.split();
        let (events_tx, events) = mpsc::channel(options.channel_capacity);
        let _ = events_tx.try_send(welcome);
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (closing, closing_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            waiting: Mutex::new(Waiting::default()),
            dropped: AtomicU64::new(0),
        });
        let tasks = vec![
            tokio::spawn(read_loop(
                stream,
                shared.clone(),
                resume.clone(),
                events_tx,
                closing_rx,
            )),
            tokio::spawn(write_loop(sink, outgoing_rx)),
        ];
        let connection = Connection {
            outgoing,
            shared,
            closing,
            next_id: AtomicU64::new(1),
            request_timeout: options.request_timeout,
            participant,
            meeting,
            ice_servers,
            resume,
            tunnel,
            tasks,
        };
        Ok((connection, events))
    }

    /// Opens the media tunnel to the same server, as the same participant
    /// and with the same certificate check: a WebSocket for media
    /// datagrams when UDP cannot get through (`breakout_protocol::media`).
    pub async fn open_media_tunnel(&self) -> Result<TunnelSocket, ClientError> {
        let TunnelTarget { url, token, pin } = &self.tunnel;
        handshake(url, token, *pin).await
    }

    /// Who the server welcomed us as.
    pub fn participant(&self) -> ParticipantId {
        self.participant
    }

    /// The STUN/TURN servers the server handed out at join.
    pub fn ice_servers(&self) -> &[IceServer] {
        &self.ice_servers
    }

    /// The meeting's id, from the welcome.
    pub fn meeting(&self) -> &str {
        &self.meeting
    }

    /// The newest meeting revision this connection (and those before it
    /// that shared the point) saw: pass it to [`ConnectOptions::resume`]
    /// when reconnecting as the same participant.
    pub fn resume_point(&self) -> ResumePoint {
        self.resume.clone()
    }

    /// Messages dropped because the receiver was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Whether the socket has closed (the receiver is ending or has ended).
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).closed
    }

    /// A fresh request id; ids of [`Connection::request`] come from the same
    /// counter, so ids used with [`Connection::send`] should too.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends `request` and waits for its reply. A refusal is
    /// [`ClientError::Api`]; no answer within the request timeout is
    /// [`ClientError::Timeout`].
    pub async fn request(&self, request: Request) -> Result<Reply, ClientError> {
        let message = ClientMessage {
            id: self.next_id(),
            request,
        };
        let id = message.id;
        let (tx, rx) = oneshot::channel();
        {
            let mut waiting = lock(&self.shared);
            if waiting.closed {
                return Err(ClientError::Closed);
            }
            waiting.replies.insert(id, tx);
        }
        // Forget the id however this future ends: answered, timed out or dropped.
        let _forget = Forget {
            shared: &self.shared,
            id,
        };
        self.send(&message)?;
        match tokio::time::timeout(self.request_timeout, rx).await {
            Ok(Ok(Ok(reply))) => Ok(reply),
            Ok(Ok(Err(error))) => Err(ClientError::Api {
                status: None,
                error,
            }),
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => Err(ClientError::Timeout {
                id,
                timeout_ms: self.request_timeout.as_millis() as u64,
            }),
        }
    }

    /// [`Connection::request`] for a meeting command.
    pub async fn command(&self, command: Command) -> Result<Reply, ClientError> {
        self.request(Request::Command { command }).await
    }

    /// Sends a message without waiting: its reply or error arrives only on
    /// the receiver. Take the id from [`Connection::next_id`].
    pub fn send(&self, message: &ClientMessage) -> Result<(), ClientError> {
        let text = serde_json::to_string(message).expect("wire types always serialize");
        if text.len() > MAX_FRAME_BYTES {
            return Err(ClientError::TooLarge {
                size: text.len(),
                limit: MAX_FRAME_BYTES,
            });
        }
        self.outgoing
            .send(Message::text(text))
            .map_err(|_| ClientError::Closed)
    }

    /// Closes the socket politely and waits (briefly) for both sides to finish.
    pub async fn close(mut self) {
        self.begin_close();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }

    fn begin_close(&self) {
        let _ = self.outgoing.send(Message::Close(None));
        let _ = self.closing.send(true);
    }
}

impl Drop for Connection {
    /// The tasks finish on their own: the writer sends the close frame, the
    /// reader waits for the server's answer at most [`CLOSE_GRACE`].
    fn drop(&mut self) {
        self.begin_close();
    }
}

struct Forget<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        lock(self.shared).replies.remove(&self.id);
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Waiting> {
    // Nothing panics while holding the lock; recover rather than cascade.
    shared.waiting.lock().unwrap_or_else(|e| e.into_inner())
}
