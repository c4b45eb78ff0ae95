//! The two tasks behind a [`Connection`](super::Connection), and the
//! handshake before them.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, header::AUTHORIZATION};
use tokio_tungstenite::tungstenite::{self, Message};
use tracing::{debug, warn};

use breakout_protocol::fingerprint::CertFingerprint;
use breakout_protocol::ws::ServerMessage;
use tokio_tungstenite::Connector;

use super::{CLOSE_GRACE, ResumePoint, Shared, Socket, lock};
use crate::elsewhere::Owner;
use crate::tls::Tls;
use crate::{ClientError, api};

/// Opens the socket and reads up to the welcome.
pub(super) async fn open(
    url: &str,
    token: &str,
    pin: Option<CertFingerprint>,
) -> Result<(Socket, ServerMessage), ClientError> {
    let mut socket = handshake(url, token, pin).await?;
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None => return Err(ClientError::Closed),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
        };
        let message: ServerMessage =
            serde_json::from_str(&text).map_err(|source| ClientError::Decode {
                what: "welcome",
                source,
            })?;
        return match message {
            ServerMessage::Welcome { .. } => Ok((socket, message)),
            ServerMessage::Error { error, .. } => Err(ClientError::Api {
                status: None,
                error,
            }),
            other => Err(ClientError::NoWelcome {
                got: format!("{other:?}").chars().take(80).collect(),
            }),
        };
    }
}

/// The WebSocket handshake as the participant holding `token`, over TLS
/// checked against `pin` when given.
pub(super) async fn handshake(
    url: &str,
    token: &str,
    pin: Option<CertFingerprint>,
) -> Result<Socket, ClientError> {
    let mut request = url.into_client_request()?;
    let mut bearer =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| ClientError::InvalidToken)?;
    bearer.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, bearer);
    let tls = Tls::new(pin);
    let connector = Connector::Rustls(tls.config.clone());
    let (socket, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector))
            .await
            .map_err(|e| match e {
                tungstenite::Error::Http(response) => {
                    let status = response.status().as_u16();
                    if let Some(owner) = Owner::from_answer(status, response.headers()) {
                        return ClientError::MeetingElsewhere {
                            url: owner.url,
                            lease_ends_in: owner.lease_ends_in,
                        };
                    }
                    let body = response.body().as_deref().unwrap_or_default();
                    api::error_from_body(response.status().as_u16(), &String::from_utf8_lossy(body))
                }
                e => tls.explain(ClientError::WebSocket(e)),
            })?;
    Ok(socket)
}

pub(super) async fn read_loop(
    mut stream: SplitStream<Socket>,
    shared: Arc<Shared>,
    resume: ResumePoint,
    events: mpsc::Sender<ServerMessage>,
    mut closing: watch::Receiver<bool>,
) {
    let mut grace = pin!(tokio::time::sleep_until(far_future()));
    let mut closing_started = false;
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            // Changed or sender dropped: either way we are closing.
            _ = closing.changed(), if !closing_started => {
                closing_started = true;
                grace.as_mut().reset(Instant::now() + CLOSE_GRACE);
                continue;
            }
            () = &mut grace => {
                debug!("server did not answer our close in time");
                break;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                let reason = frame.as_ref().map(|f| f.reason.as_str()).unwrap_or("");
                if closing_started || *closing.borrow() {
                    debug!(reason, "server answered our close");
                } else {
                    warn!(reason, "server closed the socket");
                }
                continue; // tungstenite answers it; the stream ends next
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                // Both branches may be ready at once; a reset while we are
                // closing is the server hanging up after our close frame.
                if !closing_started && !*closing.borrow() {
                    warn!(error = %e, "signaling socket failed");
                }
                break;
            }
            None => break,
        };
        let message: ServerMessage = match serde_json::from_str(&text) {
            Ok(message) => message,
            Err(e) => {
                warn!(error = %e, "ignoring a server message this client cannot decode");
                continue;
            }
        };
        // Before the answer, so a requester finds the point up to date; and
        // even what the caller is too slow to take was seen.
        resume.observe(&message);
        answer(&shared, &message);
        deliver(&shared, &events, message);
    }
    let mut waiting = lock(&shared);
    waiting.closed = true;
    // Dropping the senders answers every waiting request with `Closed`.
    waiting.replies.clear();
}

/// Resolves the request this message answers, if someone awaits it.
fn answer(shared: &Shared, message: &ServerMessage) {
    let (id, answer) = match message {
        ServerMessage::Reply { id, result } => (*id, Ok(result.clone())),
        ServerMessage::Error {
            id: Some(id),
            error,
        } => (*id, Err(error.clone())),
        _ => return,
    };
    if let Some(tx) = lock(shared).replies.remove(&id) {
        let _ = tx.send(answer);
    }
}

fn deliver(shared: &Shared, events: &mpsc::Sender<ServerMessage>, message: ServerMessage) {
    match events.try_send(message) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            let dropped = shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                warn!(dropped, "caller is not reading server messages; dropping");
            }
        }
        // The caller let go of the receiver on purpose.
        Err(mpsc::error::TrySendError::Closed(_)) => {}
    }
}

pub(super) async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    mut outgoing: mpsc::UnboundedReceiver<Message>,
) {
    while let Some(message) = outgoing.recv().await {
        let close = matches!(message, Message::Close(_));
        if let Err(e) = sink.send(message).await {
            debug!(error = %e, "signaling socket refused a write");
            return;
        }
        if close {
            break;
        }
    }
    // Sends the close frame if it was not sent yet (the Connection was dropped).
    let _ = sink.close().await;
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 3600)
}
