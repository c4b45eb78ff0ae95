//! The client's end of the media tunnel (see `breakout_protocol::media`,
//! "When UDP is blocked"): a WebSocket that carries the media connection's
//! datagrams, made to look like a UDP socket to the ICE agent.
//!
//! [`TunnelConn`] is the socket. The stack's UDP mux sits on it, so ICE
//! gathers its usual host candidates (nobody can reach them, which is
//! fine), and the server's candidates in the answer are replaced by one
//! address, [`TUNNEL_PEER`], that stands for the other end of the tunnel:
//! every datagram sent to it goes into the WebSocket, and every one that
//! comes out of the WebSocket arrives from it.

use std::any::Any;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tracing::debug;
use webrtc::util::Conn;

use crate::connection::TunnelSocket;

/// The address that stands for the server's end of the tunnel. From the
/// reserved 240.0.0.0/4 block, so it can never be a real peer's.
pub const TUNNEL_PEER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(240, 0, 0, 2)), 9);
/// The port this end claims; the stack puts it on its host candidates.
const LOCAL_PORT: u16 = 9;
/// Datagrams buffered each way before more are dropped, as a full socket
/// buffer would: media is never queued without limit.
const QUEUE: usize = 512;

/// The tunnel as a datagram socket. Cloning shares the one tunnel.
#[derive(Clone)]
pub struct TunnelConn {
    inner: Arc<Inner>,
}

struct Inner {
    outgoing: mpsc::Sender<Vec<u8>>,
    incoming: Mutex<mpsc::Receiver<Vec<u8>>>,
    closed: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl TunnelConn {
    /// Starts moving datagrams over `socket`, an open tunnel WebSocket.
    pub fn new(socket: TunnelSocket) -> TunnelConn {
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut outgoing_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
        let (incoming_tx, incoming) = mpsc::channel(QUEUE);
        let (closed, mut closed_rx) = watch::channel(false);
        let writer = tokio::spawn(async move {
            loop {
                tokio::select! {
                    datagram = outgoing_rx.recv() => {
                        let Some(datagram) = datagram else { break };
                        if let Err(error) = sink.send(Message::Binary(datagram.into())).await {
                            debug!(%error, "media tunnel: sending");
                            break;
                        }
                    }
                    _ = closed_rx.changed() => break,
                }
            }
            let _ = sink.close().await;
        });
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                match message {
                    Message::Binary(datagram) => {
                        // Full: dropped, as the kernel drops UDP.
                        let _ = incoming_tx.try_send(datagram.to_vec());
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            debug!("media tunnel: the server closed it");
        });
        TunnelConn {
            inner: Arc::new(Inner {
                outgoing,
                incoming: Mutex::new(incoming),
                closed,
                tasks: vec![writer, reader],
            }),
        }
    }

    fn closed_error() -> webrtc::util::Error {
        webrtc::util::Error::ErrUseClosedNetworkConn
    }
}

#[async_trait]
impl Conn for TunnelConn {
    async fn connect(&self, _addr: SocketAddr) -> webrtc::util::Result<()> {
        Ok(())
    }

    async fn recv(&self, buf: &mut [u8]) -> webrtc::util::Result<usize> {
        self.recv_from(buf).await.map(|(n, _)| n)
    }

    async fn recv_from(&self, buf: &mut [u8]) -> webrtc::util::Result<(usize, SocketAddr)> {
        let datagram = self
            .inner
            .incoming
            .lock()
            .await
            .recv()
            .await
            .ok_or_else(Self::closed_error)?;
        // Longer than the reader's buffer: cut, as a UDP socket would.
        let n = datagram.len().min(buf.len());
        buf[..n].copy_from_slice(&datagram[..n]);
        Ok((n, TUNNEL_PEER))
    }

    async fn send(&self, buf: &[u8]) -> webrtc::util::Result<usize> {
        self.send_to(buf, TUNNEL_PEER).await
    }

    /// Everything goes to the server, whatever the target: the tunnel has
    /// one other end. Candidates the stack tries besides [`TUNNEL_PEER`]
    /// would reach nobody anyway.
    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> webrtc::util::Result<usize> {
        if target != TUNNEL_PEER {
            return Ok(buf.len());
        }
        match self.inner.outgoing.try_send(buf.to_vec()) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => Ok(buf.len()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Self::closed_error()),
        }
    }

    fn local_addr(&self) -> webrtc::util::Result<SocketAddr> {
        Ok(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), LOCAL_PORT))
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        Some(TUNNEL_PEER)
    }

    async fn close(&self) -> webrtc::util::Result<()> {
        let _ = self.inner.closed.send(true);
        Ok(())
    }

    fn as_any(&self) -> &(dyn Any + Send + Sync) {
        self
    }
}

/// The answer as seen through the tunnel: the server's candidates give way
/// to [`TUNNEL_PEER`], one per media section that had any.
pub fn route_answer_through_tunnel(answer: &str) -> String {
    let candidate = format!(
        "a=candidate:tunnel 1 udp 2130706431 {} {} typ host\r\n",
        TUNNEL_PEER.ip(),
        TUNNEL_PEER.port()
    );
    let mut out = String::with_capacity(answer.len());
    let mut placed = false;
    for line in answer.split_inclusive('\n') {
        if line.starts_with("m=") {
            placed = false;
        }
        if line.starts_with("a=candidate:") {
            if !placed {
                out.push_str(&candidate);
                placed = true;
            }
            continue;
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_only_the_tunnel() {
        let answer = "v=0\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
            a=mid:0\r\n\
            a=candidate:1 1 udp 2130706431 10.1.0.2 7801 typ host\r\n\
            a=candidate:public0 1 udp 1694498815 203.0.113.7 7801 typ srflx raddr 10.1.0.2 rport 7801\r\n\
            a=end-of-candidates\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
            a=mid:1\r\n\
            a=candidate:1 1 udp 2130706431 10.1.0.2 7801 typ host\r\n\
            a=end-of-candidates\r\n";
        assert_eq!(
            route_answer_through_tunnel(answer),
            "v=0\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
            a=mid:0\r\n\
            a=candidate:tunnel 1 udp 2130706431 240.0.0.2 9 typ host\r\n\
            a=end-of-candidates\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
            a=mid:1\r\n\
            a=candidate:tunnel 1 udp 2130706431 240.0.0.2 9 typ host\r\n\
            a=end-of-candidates\r\n"
        );
    }
}
