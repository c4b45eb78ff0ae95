//! `breakout-server`: the room server as a standalone program.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use breakout_server::{Server, ServerConfig};
use clap::Parser;
use tracing_subscriber::EnvFilter;

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
    /// Admin key for the REST API (default: generated once and kept in the data directory).
    #[arg(long, env = "BREAKOUT_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Base URL clients use to reach this server, for join links.
    #[arg(long, env = "BREAKOUT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Log filter, e.g. `info` or `breakout_server=debug`.
    #[arg(long, env = "BREAKOUT_LOG", default_value = "info")]
    log: String,
    /// Log as JSON lines.
    #[arg(long)]
    json_logs: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_new(&args.log).context("invalid --log filter")?;
    if args.json_logs {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => directories::ProjectDirs::from("org", "breakout", "breakout")
            .context("no home directory to keep data in; pass --data-dir")?
            .data_dir()
            .to_path_buf(),
    };
    let server = Server::start(ServerConfig {
        listen: args.listen,
        data_dir: data_dir.clone(),
        admin_key: args.admin_key,
        public_url: args.public_url,
    })
    .await?;
    // Printed on stdout (not the log) so scripts can read them.
    println!("listening on http://{}", server.local_addr());
    println!("data directory: {}", data_dir.display());
    println!("admin key: {}", server.admin_key());
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
