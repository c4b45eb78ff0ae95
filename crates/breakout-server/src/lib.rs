//! The Breakout room server.
//!
//! REST administration and a WebSocket per participant in front of one actor
//! task per meeting; every rule is `breakout-core`'s, every accepted command
//! is journaled (to SQLite, or PostgreSQL with `--database`) before it is
//! acknowledged, and a restarted server replays the journal to the exact
//! state it had. Runs as the `breakout-server` binary or embedded in the
//! desktop app via [`Server`].

mod actor;
mod admin;
mod clock;
mod cluster;
mod connections;
mod error;
mod fd_limit;
mod head_errors;
mod http;
mod incidents;
mod join_page;
mod limits;
mod listener;
pub mod log_throttle;
mod media;
mod metrics;
mod node;
mod ops;
mod rate;
pub mod redact;
mod registry;
mod rest;
mod rest_cluster;
mod rest_csv;
mod rest_recordings;
mod router;
mod settings;
pub mod store;
mod tls;
mod tunnel;
mod ws;
mod ws_frames;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rand::Rng;
use tokio::sync::watch;
use tracing::info;

pub use fd_limit::raise_open_files_limit;
pub use limits::{Limits, Rate};
pub use media::{IceConfigError, IceServersConfig, MediaNetworkConfig};
pub use node::ClusterConfig;
pub use rest::ApiDoc;
pub use tls::{TlsFiles, fingerprint};

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Holds `breakout.sqlite3` (unless `database` says otherwise) and
    /// `admin-key`.
    pub data_dir: PathBuf,
    /// Use this admin key instead of the one kept in `data_dir`.
    pub admin_key: Option<String>,
    /// Base URL for join links; defaults to `http://<listen address>`,
    /// or `https://` with TLS.
    pub public_url: Option<String>,
    /// Serve HTTPS and WSS instead of HTTP and WS, on the same port.
    pub tls: Option<TlsFiles>,
    /// The media port and the public addresses announced for it.
    pub media: MediaNetworkConfig,
    /// Keep meetings, tokens and the journal in this PostgreSQL database
    /// (`postgres://user@host:port/db`) instead of the SQLite file in
    /// `data_dir`, which still holds the admin key.
    pub database: Option<String>,
    /// This node's name, URL and budget in a cluster; used only with a
    /// PostgreSQL `database`.
    pub cluster: ClusterConfig,
}

impl ServerConfig {
    /// Plain HTTP on `listen`, data in `data_dir`, the admin key kept there,
    /// links naming the listen address, media on any free UDP port, no
    /// STUN/TURN: a server for one machine or a test.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            listen,
            data_dir: data_dir.into(),
            admin_key: None,
            public_url: None,
            media: MediaNetworkConfig::default(),
            tls: None,
            database: None,
            cluster: ClusterConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The data directory or admin key file could not be used.
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database could not be opened or a meeting could not be restored.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The STUN/TURN configuration is unusable.
    #[error(transparent)]
    IceServers(#[from] media::IceConfigError),
    /// The media port could not be bound.
    #[error("cannot bind the media port {ip}:{port} (UDP): {source}")]
    MediaBind {
        ip: std::net::IpAddr,
        port: u16,
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be used.
    #[error("TLS: {path}: {reason}")]
    Tls { path: PathBuf, reason: String },
}

/// A running server. Dropping it does not stop it; call [`Server::shutdown`].
pub struct Server {
    addr: SocketAddr,
    fingerprint: Option<breakout_protocol::fingerprint::CertFingerprint>,
    admin_key: String,
    state: Arc<http::AppState>,
    media: Arc<media::MediaNetwork>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Opens the database, restores every meeting and starts listening,
    /// with the default [`Limits`].
    pub async fn start(config: ServerConfig) -> Result<Server, ServerError> {
        Self::start_with_limits(config, Limits::default()).await
    }

    /// [`Server::start`] with other abuse limits.
    pub async fn start_with_limits(
        config: ServerConfig,
        limits: Limits,
    ) -> Result<Server, ServerError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let admin_key = match config.admin_key {
            Some(key) => key,
            None => load_or_create_admin_key(&config.data_dir)?,
        };
        let tls = config.tls.as_ref().map(tls::load).transpose()?;
        let (store, db) = match &config.database {
            Some(url) => (store::Store::open_postgres(url)?, without_credentials(url)),
            None => {
                let path = config.data_dir.join("breakout.sqlite3");
                (store::Store::open(&path)?, path.display().to_string())
            }
        };
        let store = Arc::new(store);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        // Media gathers candidates on the address the server listens on;
        // restored meetings need it too, so it is bound before restoring.
        config.media.ice_servers.validate()?;
        let media = media::MediaNetwork::bind(addr.ip(), &config.media).map_err(|source| {
            ServerError::MediaBind {
                ip: addr.ip(),
                port: config.media.port,
                source,
            }
        })?;
        let media = Arc::new(media);
        info!(
            media = %media.local_addr(),
            announced = ?media.public_ips(),
            stun = ?config.media.ice_servers.stun_urls,
            turn = ?config.media.ice_servers.turn_urls,
            "media on one UDP port; public addresses announced besides the local ones"
        );
        let settings = settings::MeetingSettings {
            media: media.clone(),
            clock: clock::Clock::system(),
            recordings: Some(recordings_dir(&config.data_dir)),
        };
        let public_url = config.public_url.unwrap_or_else(|| {
            let scheme = if tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{addr}")
        });
        let node = match &config.database {
            Some(_) => Some(node::Node {
                id: match config.cluster.node_id {
                    Some(id) => id,
                    None => node::stored_node_id(&config.data_dir).map_err(|source| {
                        ServerError::DataDir {
                            path: config.data_dir.join("node-id"),
                            source,
                        }
                    })?,
                },
                url: config
                    .cluster
                    .advertise_url
                    .unwrap_or_else(|| public_url.clone()),
                stream_budget: config.cluster.stream_budget,
            }),
            None => None,
        };
        let node_id = node.as_ref().map(|node| node.id.clone());
        let registry = registry::Registry::restore(store, settings, node)?;
        let state = Arc::new(http::AppState {
            registry,
            admin_key_hash: http::hash_admin_key(&admin_key),
            public_url,
            link_pin: config
                .tls
                .as_ref()
                .zip(tls.as_ref())
                .filter(|(files, _)| files.pin_in_links)
                .map(|(_, loaded)| loaded.fingerprint),
            rates: rate::Rates::new(&limits),
            limits,
            recordings: recordings_dir(&config.data_dir),
        });
        let fingerprint = tls.as_ref().map(|loaded| loaded.fingerprint);
        let acceptor = tls.map(|loaded| loaded.acceptor);
        let app = router::router(state.clone());
        let (stop, stopped) = watch::channel(false);
        if node_id.is_some() {
            cluster::spawn(state.clone(), stopped.clone());
        }
        let task = {
            let state = state.clone();
            tokio::spawn(async move {
                listener::serve(listener, app, &state.limits, acceptor, stopped).await;
            })
        };
        info!(%addr, %db, tls = ?fingerprint, node = ?node_id, "listening");
        Ok(Server {
            addr,
            fingerprint,
            admin_key,
            state,
            media,
            stop,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fingerprint of the certificate served, when TLS is on.
    pub fn fingerprint(&self) -> Option<breakout_protocol::fingerprint::CertFingerprint> {
        self.fingerprint
    }

    /// The base URL join links use.
    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    pub fn admin_key(&self) -> &str {
        &self.admin_key
    }

    /// The UDP address every media connection of this server uses.
    pub fn media_addr(&self) -> SocketAddr {
        self.media.local_addr()
    }

    /// Takes no new meetings from now on and waits until no meeting has
    /// breakouts running or closing, or until `limit` has passed. Returns
    /// how many meetings were still in breakouts (0: drained). Then call
    /// [`Server::shutdown`]; its close frames tell clients the server is
    /// restarting.
    ///
    /// A cluster node does not wait: it hands every meeting over at once
    /// (see [`cluster`]), and its clients continue on another node.
    pub async fn drain(&self, limit: std::time::Duration) -> usize {
        self.state.registry.start_draining();
        if self.state.registry.node().is_some() {
            self.state.registry.hand_over().await;
            return 0;
        }
        let deadline = tokio::time::Instant::now() + limit;
        let mut reported = None;
        loop {
            let busy = self.state.registry.meetings_in_breakouts().await;
            if busy == 0 || tokio::time::Instant::now() >= deadline {
                return busy;
            }
            if reported != Some(busy) {
                info!(busy, "draining: waiting for running breakouts to end");
                reported = Some(busy);
            }
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + DRAIN_POLL)).await;
        }
    }

    /// Stops accepting, snapshots and closes every meeting, then returns.
    pub async fn shutdown(self) {
        self.state.registry.shutdown().await;
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.media.close().await;
    }
}

/// How often a draining server looks whether breakouts have ended.
const DRAIN_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Media (WebRTC) connections open in this process, across every server
/// and meeting in it: each holds sockets, tasks and buffers until closed.
pub fn live_media_connections() -> usize {
    media::live_connections()
}

/// A database URL fit for a log line: `postgres://host:port/db`, without
/// the user and password.
fn without_credentials(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((scheme_and_user, place)) => {
            let scheme = scheme_and_user
                .split_once("://")
                .map_or("postgres", |(s, _)| s);
            format!("{scheme}://{place}")
        }
        None => url.to_string(),
    }
}

/// The admin key lives in `data_dir/admin-key` (mode 0600) so the operator
/// can read it again; it is created on first start.
/// Recorded rooms' files, one per room per recording.
pub fn recordings_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("recordings")
}

fn load_or_create_admin_key(dir: &std::path::Path) -> Result<String, ServerError> {
    let path = dir.join("admin-key");
    let io_error = |source| ServerError::DataDir {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_string()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    let bytes: [u8; 32] = rand::rng().random();
    let key = hex::encode(bytes);
    std::fs::write(&path, &key).map_err(io_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_error)?;
    }
    Ok(key)
}
