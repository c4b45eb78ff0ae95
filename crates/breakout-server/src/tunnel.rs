//! `/v1/media-tunnel`: media for a client whose network lets no UDP through.
//!
//! Each binary WebSocket message is one datagram of the client's media
//! connection (STUN, DTLS, SRTP). The tunnel relays them to the media port
//! from a UDP socket of its own on this machine, so to the ICE agent the
//! client is one more UDP peer behind one more address: the SFU, its slots
//! and room switches need to know nothing about tunnels. Authenticated like
//! `/v1/ws`; ICE, DTLS and SRTP run end to end through it unchanged.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::net::UdpSocket;
use tracing::{debug, info};

use crate::error::ServerError;
use crate::http::AppState;
use crate::listener::ConnectionPermit;
use crate::ws::{TokenQuery, participant_of};

/// A datagram larger than this is not media (the stack's MTU is 1,200).
const MAX_DATAGRAM: usize = 2048;

pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    permit: Option<Extension<ConnectionPermit>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ServerError> {
    let (meeting, participant) = participant_of(&state, query.token, &headers).await?;
    let target = state.registry.media().relay_target();
    let socket = bind_relay(target).await.map_err(|error| {
        tracing::warn!(%error, %target, "cannot open a media relay socket");
        ServerError::Internal
    })?;
    Ok(upgrade
        .max_message_size(MAX_DATAGRAM)
        .max_frame_size(MAX_DATAGRAM)
        .on_upgrade(move |websocket| async move {
            info!(%participant, %meeting, relay = ?socket.local_addr().ok(), "media tunnel open");
            relay(websocket, socket).await;
            info!(%participant, %meeting, "media tunnel closed");
            drop(permit);
        })
        .into_response())
}

/// A socket on this machine that talks to the media port only.
async fn bind_relay(target: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = UdpSocket::bind(SocketAddr::new(target.ip(), 0)).await?;
    socket.connect(target).await?;
    Ok(socket)
}

/// Moves datagrams both ways until either side ends. Like UDP, nothing
/// queues without limit: when the client reads slower than media arrives,
/// the relay socket's receive buffer overflows and the kernel drops.
async fn relay(websocket: WebSocket, socket: UdpSocket) {
    let socket = Arc::new(socket);
    let (mut sink, mut stream) = websocket.split();
    let upstream = {
        let socket = socket.clone();
        async move {
            while let Some(Ok(message)) = stream.next().await {
                match message {
                    Message::Binary(datagram) => {
                        if let Err(error) = socket.send(&datagram).await {
                            debug!(%error, "media tunnel: relaying to the media port");
                        }
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        }
    };
    let downstream = async move {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            let n = match socket.recv(&mut buf).await {
                Ok(n) => n,
                // An ICMP error from an earlier send; the port is local
                // and comes back.
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(error) => {
                    debug!(%error, "media tunnel: reading the relay socket");
                    break;
                }
            };
            let datagram = axum::body::Bytes::copy_from_slice(&buf[..n]);
            if sink.send(Message::Binary(datagram)).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}
