//! The impairment relay's I/O, run by the `impair-relay` binary inside the
//! lab's router namespace. nftables redirects a client network's traffic
//! for the server's ports to the relay's listening sockets; the relay
//! forwards it to the server's private address and the answers back, each
//! direction through its own [`Shaper`].
//!
//! UDP: one upstream socket per client address, so the server sees one
//! peer (the relay's address, a peer-reflexive ICE candidate) per client
//! flow. Answers leave through the listening socket, and conntrack turns
//! their source back into the address the client sent to.
//! TCP: one upstream connection per accepted one, each read passed on
//! whole after the direction's base delay.
//!
//! Control on stdin, one line each: `stats` prints a [`RelayStats`] JSON
//! line; a JSON [`Impairment`] replaces the settings and prints `ok`.
//! The relay exits when stdin closes.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::shaper::{Direction, DirectionStats, Shaper};

/// Both directions' settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Impairment {
    /// Client to server.
    pub up: Direction,
    /// Server to client.
    pub down: Direction,
}

/// Everything the relay needs, passed as one JSON argument.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RelayConfig {
    /// `(listen, upstream)` pairs.
    pub udp: Vec<(SocketAddr, SocketAddr)>,
    pub tcp: Vec<(SocketAddr, SocketAddr)>,
    pub impairment: Impairment,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayStats {
    pub up: DirectionStats,
    pub down: DirectionStats,
    /// Client UDP flows seen (one upstream socket each).
    pub udp_flows: u64,
    pub tcp_connections: u64,
}

/// What leaves a line, and where to.
enum Payload {
    Datagram {
        socket: Arc<UdpSocket>,
        to: SocketAddr,
        data: Vec<u8>,
    },
    /// A piece of a TCP stream for its writer; empty means end of stream.
    Chunk {
        writer: mpsc::UnboundedSender<Vec<u8>>,
        data: Vec<u8>,
    },
}

/// One direction: the shaper decides, a task sends at the decided time.
/// The shaper's lock is held while queueing, so the queue is in departure
/// order and one task can send everything in turn.
struct Line {
    shaper: Mutex<Shaper>,
    queue: mpsc::UnboundedSender<(Instant, Payload)>,
}

impl Line {
    fn start(params: Direction, seed: u64) -> Arc<Line> {
        let (queue, mut departures) = mpsc::unbounded_channel::<(Instant, Payload)>();
        tokio::spawn(async move {
            while let Some((at, payload)) = departures.recv().await {
                tokio::time::sleep_until(at).await;
                match payload {
                    // A full socket buffer or an unreachable client is a
                    // loss on a real link too.
                    Payload::Datagram { socket, to, data } => {
                        let _ = socket.send_to(&data, to).await;
                    }
                    Payload::Chunk { writer, data } => {
                        let _ = writer.send(data);
                    }
                }
            }
        });
        Arc::new(Line {
            shaper: Mutex::new(Shaper::new(params, seed)),
            queue,
        })
    }

    fn shaper(&self) -> std::sync::MutexGuard<'_, Shaper> {
        self.shaper.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offer(&self, payload: Payload) {
        let mut shaper = self.shaper();
        let now = std::time::Instant::now();
        let at = match &payload {
            Payload::Datagram { .. } => match shaper.datagram(now) {
                Some(at) => at,
                None => return,
            },
            Payload::Chunk { .. } => shaper.stream_chunk(now),
        };
        let _ = self.queue.send((Instant::from_std(at), payload));
    }
}

struct Relay {
    up: Arc<Line>,
    down: Arc<Line>,
    udp_flows: AtomicU64,
    tcp_connections: AtomicU64,
}

impl Relay {
    fn stats(&self) -> RelayStats {
        RelayStats {
            up: self.up.shaper().stats(),
            down: self.down.shaper().stats(),
            udp_flows: self.udp_flows.load(Ordering::Relaxed),
            tcp_connections: self.tcp_connections.load(Ordering::Relaxed),
        }
    }

    fn set(&self, impairment: Impairment) {
        self.up.shaper().set(impairment.up);
        self.down.shaper().set(impairment.down);
    }
}

/// Binds every listening socket, prints `ready`, then serves until stdin
/// closes.
pub async fn serve(config: RelayConfig) -> io::Result<()> {
    let relay = Arc::new(Relay {
        // Each direction draws from its own sequence, so the traffic one
        // way does not change the other way's losses.
        up: Line::start(config.impairment.up, config.seed),
        down: Line::start(config.impairment.down, !config.seed),
        udp_flows: AtomicU64::new(0),
        tcp_connections: AtomicU64::new(0),
    });
    for (listen, upstream) in config.udp {
        let front = Arc::new(UdpSocket::bind(listen).await?);
        tokio::spawn(udp_front(front, upstream, relay.clone()));
    }
    for (listen, upstream) in config.tcp {
        let listener = TcpListener::bind(listen).await?;
        tokio::spawn(tcp_front(listener, upstream, relay.clone()));
    }
    let mut stdout = tokio::io::stdout();
    stdout.write_all(b"ready\n").await?;
    stdout.flush().await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let answer = match line.trim() {
            "stats" => serde_json::to_string(&relay.stats()).map_err(io::Error::other)?,
            json => match serde_json::from_str::<Impairment>(json) {
                Ok(impairment) => {
                    relay.set(impairment);
                    "ok".to_owned()
                }
                Err(e) => format!("error {e}"),
            },
        };
        stdout.write_all(format!("{answer}\n").as_bytes()).await?;
        stdout.flush().await?;
    }
    Ok(())
}

async fn udp_front(front: Arc<UdpSocket>, upstream: SocketAddr, relay: Arc<Relay>) {
    let mut flows: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, client)) = front.recv_from(&mut buf).await else {
            continue;
        };
        let socket = match flows.get(&client) {
            Some(socket) => socket.clone(),
            None => {
                let Ok(socket) = UdpSocket::bind(("0.0.0.0", 0)).await else {
                    continue;
                };
                let socket = Arc::new(socket);
                relay.udp_flows.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(udp_back(
                    socket.clone(),
                    upstream,
                    client,
                    front.clone(),
                    relay.down.clone(),
                ));
                flows.insert(client, socket.clone());
                socket
            }
        };
        relay.up.offer(Payload::Datagram {
            socket,
            to: upstream,
            data: buf[..n].to_vec(),
        });
    }
}

/// The server's answers to one client flow, sent back from the listening
/// socket.
async fn udp_back(
    socket: Arc<UdpSocket>,
    upstream: SocketAddr,
    client: SocketAddr,
    front: Arc<UdpSocket>,
    down: Arc<Line>,
) {
    let mut buf = vec![0u8; 65_536];
    while let Ok((n, from)) = socket.recv_from(&mut buf).await {
        if from != upstream {
            continue;
        }
        down.offer(Payload::Datagram {
            socket: front.clone(),
            to: client,
            data: buf[..n].to_vec(),
        });
    }
}

async fn tcp_front(listener: TcpListener, upstream: SocketAddr, relay: Arc<Relay>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let relay = relay.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            relay.tcp_connections.fetch_add(1, Ordering::Relaxed);
            // The relay's own batching must not add delay on top.
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::join!(
                pump(client_read, server_write, relay.up.clone()),
                pump(server_read, client_write, relay.down.clone()),
            );
        });
    }
}

/// One direction of a TCP connection through its line.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, line: Arc<Line>) {
    let (writer, mut chunks) = mpsc::unbounded_channel::<Vec<u8>>();
    let write = async move {
        while let Some(chunk) = chunks.recv().await {
            if chunk.is_empty() || to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    let read = async move {
        let mut buf = vec![0u8; 65_536];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            line.offer(Payload::Chunk {
                writer: writer.clone(),
                data: buf[..n].to_vec(),
            });
            if n == 0 {
                return;
            }
        }
    };
    tokio::join!(read, write);
}
