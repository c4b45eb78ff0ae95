//! `breakout-server`: the room server as a standalone program.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use breakout_server::log_throttle::{self, LogThrottle};
use breakout_server::redact::Redacting;
use breakout_server::{
    ClusterConfig, IceServersConfig, Limits, MediaNetworkConfig, Server, ServerConfig, TlsFiles,
};
use clap::Parser;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

#[derive(Parser)]
#[command(
    version,
    about = "Breakout room server: meetings with breakout rooms, self-hosted"
)]
struct Args {
    /// Address to listen on; use 0.0.0.0:7800 to accept LAN clients.
    #[arg(long, env = "BREAKOUT_LISTEN", default_value = "127.0.0.1:7800")]
    listen: SocketAddr,
    /// Where the database and admin key live (default: the per-user data directory).
    #[arg(long, env = "BREAKOUT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep meetings and the journal in PostgreSQL
    /// (postgres://user:password@host:port/db; no TLS to the database yet,
    /// so keep it on a private network) instead of the SQLite file in the
    /// data directory.
    #[arg(long, env = "BREAKOUT_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// This node's name in a cluster (with --database): meetings it holds
    /// are leased to this name. Default: kept in the data directory
    /// (`node-id`, the host name and a random suffix), so a restarted node
    /// gets its meetings back at once.
    #[arg(long, env = "BREAKOUT_NODE_ID")]
    node_id: Option<String>,
    /// The URL clients reach this node at, as other nodes tell them (with
    /// --database). Default: --public-url.
    #[arg(long, env = "BREAKOUT_ADVERTISE_URL")]
    advertise_url: Option<String>,
    /// Forwarded streams this node takes at most (with --database): joins
    /// beyond it are refused with `node_full`, and new meetings go to
    /// other nodes while it is at it. Default: no limit.
    #[arg(long, env = "BREAKOUT_STREAM_BUDGET")]
    stream_budget: Option<u64>,
    /// Admin key for the REST API (default: generated once and kept in the data directory).
    #[arg(long, env = "BREAKOUT_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Base URL clients use to reach this server, for join links.
    #[arg(long, env = "BREAKOUT_PUBLIC_URL")]
    public_url: Option<String>,
    /// PEM certificate chain (e.g. certbot's fullchain.pem): serve HTTPS and
    /// WSS on the listen port. Needs --tls-key.
    #[arg(long, env = "BREAKOUT_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of that certificate (e.g. certbot's privkey.pem).
    #[arg(long, env = "BREAKOUT_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Put the certificate's SHA-256 fingerprint in join links so clients pin
    /// it; for a self-signed certificate no authority vouches for.
    #[arg(long, env = "BREAKOUT_TLS_PIN_IN_LINKS", requires = "tls_cert")]
    tls_pin_in_links: bool,
    /// The one UDP port all media uses (open it in the firewall); 0 picks a
    /// free one.
    #[arg(long, env = "BREAKOUT_MEDIA_PORT", default_value_t = 7801)]
    media_port: u16,
    /// Threads forwarding media (1 to 256), meetings spread over them. One
    /// forwards most per CPU second; more carry more meetings on one node.
    #[arg(long, env = "BREAKOUT_MEDIA_THREADS", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    media_threads: u16,
    /// The address clients outside reach this host at, when it sits behind a
    /// 1:1 NAT (a cloud VM's public IP). Announced for media besides the
    /// local addresses; repeat for several. Never guessed.
    #[arg(long = "public-ip", env = "BREAKOUT_PUBLIC_IP", value_delimiter = ',')]
    public_ips: Vec<std::net::IpAddr>,
    /// STUN server handed to clients (stun:host:port); repeat for several.
    #[arg(long = "stun-url", env = "BREAKOUT_STUN_URLS", value_delimiter = ',')]
    stun_urls: Vec<String>,
    /// TURN server handed to clients with fresh credentials, e.g.
    /// turn:turn.example.org:3478?transport=udp or
    /// turns:turn.example.org:443?transport=tcp; repeat for several.
    #[arg(long = "turn-url", env = "BREAKOUT_TURN_URLS", value_delimiter = ',')]
    turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn: static-auth-secret).
    #[arg(long, env = "BREAKOUT_TURN_SECRET", hide_env_values = true)]
    turn_secret: Option<String>,
    /// How long a TURN credential handed out at join works.
    #[arg(long, env = "BREAKOUT_TURN_TTL_SECS", default_value_t = IceServersConfig::DEFAULT_TURN_TTL.as_secs())]
    turn_ttl_secs: u64,
    /// On SIGTERM, how long to wait for running breakouts to end before
    /// stopping anyway (no new meetings meanwhile). SIGINT or a second
    /// SIGTERM stops at once. A cluster node (--database) does not wait: it
    /// hands its meetings over to the other nodes at once, on SIGINT too.
    #[arg(long, env = "BREAKOUT_DRAIN_SECS", default_value_t = 900)]
    drain_secs: u64,
    /// Log filter, e.g. `info` or `breakout_server=debug`.
    #[arg(long, env = "BREAKOUT_LOG", default_value = "info")]
    log: String,
    /// Concurrent connections allowed from one IP address (loopback, as from
    /// a reverse proxy on this host, is not counted).
    #[arg(long, env = "BREAKOUT_CONNECTIONS_PER_ADDRESS", default_value_t = Limits::default().connections_per_address)]
    connections_per_address: usize,
    /// Seconds a client has to send a complete request head; idle and slow
    /// connections are closed after it.
    #[arg(long, env = "BREAKOUT_HEADER_TIMEOUT_SECS", default_value_t = Limits::default().header_read_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Log as JSON lines.
    #[arg(long)]
    json_logs: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_new(&args.log).context("invalid --log filter")?;
    // Every line goes through the redactor (no token or key in any log),
    // and warnings anyone can provoke are capped per site.
    let writer = Redacting(std::io::stdout);
    let lines: Box<dyn Layer<Registry> + Send + Sync> = if args.json_logs {
        Box::new(tracing_subscriber::fmt::layer().json().with_writer(writer))
    } else {
        Box::new(tracing_subscriber::fmt::layer().with_writer(writer))
    };
    let throttle = LogThrottle::new(log_throttle::DEFAULT_BURST, log_throttle::DEFAULT_INTERVAL);
    tracing_subscriber::registry()
        .with(lines.with_filter(throttle.clone()))
        .with(filter)
        .init();
    throttle.spawn_reporter();
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => directories::ProjectDirs::from("org", "breakout", "breakout")
            .context("no home directory to keep data in; pass --data-dir")?
            .data_dir()
            .to_path_buf(),
    };
    let open_files = breakout_server::raise_open_files_limit();
    tracing::debug!(?open_files, "open-files limit");
    let limits = Limits {
        connections_per_address: args.connections_per_address,
        header_read_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
        ..Limits::default()
    };
    let config = ServerConfig {
        listen: args.listen,
        data_dir: data_dir.clone(),
        admin_key: args.admin_key,
        database: args.database,
        cluster: ClusterConfig {
            node_id: args.node_id,
            advertise_url: args.advertise_url,
            stream_budget: args.stream_budget,
        },
        public_url: args.public_url,
        tls: args.tls_cert.zip(args.tls_key).map(|(cert, key)| TlsFiles {
            cert,
            key,
            pin_in_links: args.tls_pin_in_links,
        }),
        media: MediaNetworkConfig {
            port: args.media_port,
            threads: usize::from(args.media_threads),
            public_ips: args.public_ips,
            ice_servers: IceServersConfig {
                stun_urls: args.stun_urls,
                turn_urls: args.turn_urls,
                turn_secret: args.turn_secret,
                turn_ttl: Duration::from_secs(args.turn_ttl_secs),
            },
        },
    };
    let server = Server::start_with_limits(config, limits).await?;
    // Printed on stdout (not the log) so scripts can read them.
    let scheme = if server.fingerprint().is_some() {
        "https"
    } else {
        "http"
    };
    println!("listening on {scheme}://{}", server.local_addr());
    if let Some(fingerprint) = server.fingerprint() {
        println!("certificate {fingerprint}");
    }
    println!("media on udp {}", server.media_addr());
    println!("data directory: {}", data_dir.display());
    println!("admin key: {}", server.admin_key());
    if signals::next().await == signals::Signal::Terminate {
        let limit = Duration::from_secs(args.drain_secs);
        tracing::info!(
            ?limit,
            "draining: no new meetings; running breakouts go on until they end"
        );
        tokio::select! {
            busy = server.drain(limit) => {
                if busy > 0 {
                    tracing::warn!(busy, "drain time is up; stopping meetings still in breakouts");
                }
            }
            _ = signals::next() => tracing::info!("second signal: stopping now"),
        }
    }
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

mod signals {
    /// Which stop was asked for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Signal {
        /// SIGTERM (a service manager): drain first.
        Terminate,
        /// Ctrl-C: stop now.
        Interrupt,
    }

    pub async fn next() -> Signal {
        let interrupt = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    term.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = interrupt => Signal::Interrupt,
            _ = terminate => Signal::Terminate,
        }
    }
}
