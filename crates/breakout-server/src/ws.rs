//! `/v1/ws`: one socket per participant, authenticated by its token.
//!
//! The handler only decodes, rate-limits and forwards to the meeting actor;
//! every rule lives in `breakout-core`. Bad input gets an error frame with a
//! code and a sentence and the connection stays up; only abuse (sustained
//! flooding, frames past the hard limit) closes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use breakout_core::{Actor, Command, ParticipantId};
use breakout_protocol::ws::{ClientMessage, Request, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tracing::{debug, info};

use crate::actor::{ActorMessage, MeetingHandle};
use crate::connections::{ConnectionHandle, Outgoing, QUEUE_CAPACITY, encode};
use crate::error::ServerError;
use crate::http::AppState;
use crate::listener::ConnectionPermit;
use crate::media::MediaRequest;
use crate::registry::blocking;
use crate::store::hash_token;

/// Frames above this are cut off by the transport and close the socket.
const HARD_FRAME_LIMIT: usize = 1024 * 1024;
/// Requests are small; the buffer grows for the rare large one. The
/// default (128 KiB per connection) was half the server's memory with
/// 1,000 people connected.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// After this many refused frames in a row the sender is cut off.
const MAX_STRIKES: u32 = 200;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

#[derive(Deserialize)]
pub struct TokenQuery {
    pub(crate) token: Option<String>,
    /// `breakout_protocol::RESUME_REVISION_PARAM`: the newest revision the
    /// client saw before this connection, if it resumes.
    revision: Option<u64>,
}

pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    permit: Option<Extension<ConnectionPermit>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ServerError> {
    let (meeting_id, participant) = participant_of(&state, query.token, &headers).await?;
    let meeting = state.registry.find(&meeting_id).await?;
    state.registry.check_stream_budget()?;
    Ok(upgrade
        .max_message_size(HARD_FRAME_LIMIT)
        .max_frame_size(HARD_FRAME_LIMIT)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let limits = RequestLimits {
                state,
                meeting: meeting_id.into(),
            };
            serve(socket, meeting, participant, query.revision, limits).await;
            // The socket counts against its address until it closes.
            drop(permit);
        })
        .into_response())
}

/// Whose token a request carries (query or `Authorization: Bearer`), and
/// their meeting.
pub(crate) async fn participant_of(
    state: &AppState,
    query_token: Option<String>,
    headers: &HeaderMap,
) -> Result<(String, ParticipantId), ServerError> {
    let token = query_token
        .or_else(|| crate::http::bearer(headers).map(str::to_string))
        .ok_or(ServerError::Unauthorized("a participant token is required"))?;
    let hash = hash_token(&token);
    let store = state.registry.store().clone();
    let found = blocking(move || store.find_token(&hash)).await?;
    found.ok_or(ServerError::Unauthorized("this token is not valid"))
}

async fn serve(
    socket: WebSocket,
    meeting: MeetingHandle,
    participant: ParticipantId,
    seen_revision: Option<u64>,
    limits: RequestLimits,
) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel(QUEUE_CAPACITY);
    let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let handle = ConnectionHandle { id: connection, tx };
    let welcome = meeting
        .ask(|reply| ActorMessage::Connect {
            participant,
            handle: handle.clone(),
            seen_revision,
            reply,
        })
        .await
        .and_then(|r| r);
    match welcome {
        Ok(welcome) => {
            if sink
                .send(Message::Text(encode(&welcome).to_string().into()))
                .await
                .is_err()
            {
                return;
            }
        }
        Err(error) => {
            let _ = sink.send(text(&error_frame(None, error))).await;
            return;
        }
    }
    info!(%participant, connection, "connected");

    let mut strikes = 0u32;
    let close_reason = loop {
        tokio::select! {
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Text(body)) => {
                    if sink.send(Message::Text(body.to_string().into())).await.is_err() {
                        break None;
                    }
                }
                Some(Outgoing::Batch(bodies)) => {
                    let mut failed = false;
                    for body in bodies {
                        if sink.feed(Message::Text(body.to_string().into())).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                    if failed || sink.flush().await.is_err() {
                        break None;
                    }
                }
                Some(Outgoing::Close(reason)) => break Some(reason),
                None => break None,
            },
            incoming = stream.next() => {
                let frame = match incoming {
                    Some(Ok(frame)) => frame,
                    Some(Err(error)) => {
                        debug!(%participant, %error, "socket error");
                        if let Some(close) = crate::ws_frames::close_for(&error, HARD_FRAME_LIMIT) {
                            let _ = sink.send(Message::Close(Some(close))).await;
                        }
                        break None;
                    }
                    None => break None,
                };
                let reply = match frame {
                    Message::Text(body) => {
                        if !limits.participant_may_send(participant) {
                            Some(error_frame(None, ServerError::RateLimited(
                                "you are sending too many requests; slow down",
                            )))
                        } else {
                            handle_text(&meeting, participant, &handle, &limits, body.as_str()).await
                        }
                    }
                    Message::Binary(_) => Some(error_frame(None, ServerError::BinaryNotSupported)),
                    Message::Close(_) => break None,
                    Message::Ping(_) | Message::Pong(_) => None,
                };
                if let Some(reply) = reply {
                    let refused = matches!(reply, ServerMessage::Error { .. });
                    strikes = if refused { strikes + 1 } else { 0 };
                    if sink.send(text(&reply)).await.is_err() {
                        break None;
                    }
                    if strikes >= MAX_STRIKES {
                        break Some("too many bad requests");
                    }
                }
            }
        }
    };
    if let Some(reason) = close_reason {
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: 1008,
                reason: reason.into(),
            })))
            .await;
    }
    let _ = meeting
        .tx
        .send(ActorMessage::Disconnect {
            participant,
            connection,
        })
        .await;
    info!(%participant, connection, reason = close_reason.unwrap_or("closed"), "disconnected");
}

/// Decodes one request and asks the actor. Returns the frame to send back.
async fn handle_text(
    meeting: &MeetingHandle,
    participant: ParticipantId,
    connection: &ConnectionHandle,
    limits: &RequestLimits,
    body: &str,
) -> Option<ServerMessage> {
    if body.len() > breakout_protocol::MAX_FRAME_BYTES {
        return Some(error_frame(
            crate::ws_frames::peek_id(body),
            ServerError::FrameTooLarge(breakout_protocol::MAX_FRAME_BYTES),
        ));
    }
    let message: ClientMessage = match serde_json::from_str(body) {
        Ok(message) => message,
        Err(error) => {
            // Echo the id when one can be read, so the client can match it.
            let id = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("id").and_then(|id| id.as_u64()));
            let error = if error.is_syntax() || error.is_eof() {
                ServerError::MalformedJson(error.to_string())
            } else {
                ServerError::BadRequest(error.to_string())
            };
            return Some(error_frame(id, error));
        }
    };
    let id = message.id;
    let result = match message.request {
        Request::Command { command } => match server_only(&command) {
            Some(error) => Err(error),
            None if !limits.meeting_may_change() => Err(ServerError::RateLimited(
                "this meeting is receiving too many changes; try again in a moment",
            )),
            None => {
                meeting
                    .command(Actor::Participant(participant), command)
                    .await
            }
        },
        request => match MediaRequest::from_request(request) {
            Ok(media) => meeting
                .media
                .request(participant, connection.clone(), media)
                .await
                .map_err(ServerError::Media),
            Err(request) => meeting
                .ask(|reply| ActorMessage::Request {
                    participant,
                    request,
                    reply,
                })
                .await
                .and_then(|r| r),
        },
    };
    Some(match result {
        Ok(result) => ServerMessage::Reply { id, result },
        Err(error) => error_frame(Some(id), error),
    })
}

/// Membership is administered over REST, where ids and tokens are issued.
fn server_only(command: &Command) -> Option<ServerError> {
    match command {
        Command::AddParticipant { .. }
        | Command::JoinByInvite { .. }
        | Command::SetConnected { .. }
        | Command::DefinePreset { .. } => Some(ServerError::NotAllowedHere(command.name())),
        _ => None,
    }
}

fn error_frame(id: Option<u64>, error: ServerError) -> ServerMessage {
    ServerMessage::Error {
        id,
        error: error.api_error(),
    }
}

fn text(message: &ServerMessage) -> Message {
    Message::Text(encode(message).to_string().into())
}

/// The rate limits one connection answers to. They live in the server
/// state, not the connection, so reconnecting does not refill them.
struct RequestLimits {
    state: Arc<AppState>,
    meeting: Arc<str>,
}

impl RequestLimits {
    fn participant_may_send(&self, participant: ParticipantId) -> bool {
        self.state
            .rates
            .participant_requests
            .allow((self.meeting.clone(), participant))
    }

    fn meeting_may_change(&self) -> bool {
        self.state
            .rates
            .meeting_commands
            .allow(self.meeting.clone())
    }
}
