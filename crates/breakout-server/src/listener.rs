//! Accepting TCP connections without letting idle or greedy clients use up
//! the server's file descriptors.
//!
//! `axum::serve` sets no header-read timeout and no per-address cap: a
//! thousand sockets that never send a byte held every descriptor and locked
//! out new clients and the health check. Here each connection needs a
//! [`ConnectionPermit`] for its address, must deliver a complete request
//! head within [`Limits::header_read_timeout`] (the first one included), and
//! keeps its permit for as long as it lives, WebSocket upgrades included.
//! With TLS on, the handshake must finish within that same timeout.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;
use tracing::{debug, warn};

use crate::head_errors::JsonHeadErrors;
use crate::limits::Limits;

/// Live connections per address, and the cap on them.
pub struct ConnectionCap {
    per_address: usize,
    limit_loopback: bool,
    live: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; the count drops with the last clone.
#[derive(Clone)]
pub struct ConnectionPermit(#[allow(dead_code)] Arc<PermitInner>);

pub struct PermitInner {
    cap: Arc<ConnectionCap>,
    ip: Option<IpAddr>,
}

impl Drop for PermitInner {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut live = self.cap.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = live.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                live.remove(&ip);
            }
        }
    }
}

impl ConnectionCap {
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(ConnectionCap {
            per_address: limits.connections_per_address,
            limit_loopback: limits.limit_loopback,
            live: Mutex::new(HashMap::new()),
        })
    }

    /// A permit for one more connection from `ip`, unless it has its share.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionPermit> {
        let counted = !ip.is_loopback() || self.limit_loopback;
        if counted {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            let count = live.entry(ip).or_insert(0);
            if *count >= self.per_address {
                return None;
            }
            *count += 1;
        }
        Some(ConnectionPermit(Arc::new(PermitInner {
            cap: self.clone(),
            ip: counted.then_some(ip),
        })))
    }
}

/// Pause after an accept error such as EMFILE, so a full descriptor table
/// does not turn the loop into a busy spin; connections finishing meanwhile
/// free descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stop` turns true, then lets open
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let cap = ConnectionCap::new(limits);
    let header_timeout = limits.header_read_timeout;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                warn!(%error, "cannot accept a connection");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Some(permit) = cap.admit(peer.ip()) else {
            debug!(%peer, "too many connections from this address");
            refuse(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, stop) = (app.clone(), stop.clone());
        let Some(tls) = tls.clone() else {
            tokio::spawn(serve_connection(
                stream,
                peer,
                permit,
                app,
                header_timeout,
                stop,
            ));
            continue;
        };
        tokio::spawn(async move {
            match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
                Ok(Ok(stream)) => {
                    serve_connection(stream, peer, permit, app, header_timeout, stop).await
                }
                Ok(Err(error)) => debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => debug!(%peer, "TLS handshake not finished in time"),
            }
        });
    }
}

async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    permit: ConnectionPermit,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(permit.clone());
        app.clone().oneshot(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(JsonHeadErrors::new(stream)), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        debug!(%peer, %error, "connection ended");
    }
}

/// Resolves once the server is stopping (the watch guard is not held).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Answers a connection over the cap with a 429 and closes it, without
/// waiting for the client: the reply fits in the socket buffer.
fn refuse(stream: TcpStream) {
    const BODY: &str = r#"{"code":"too_many_connections","message":"too many connections from your address; close some and retry"}"#;
    let reply = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.try_write(reply.as_bytes());
}
