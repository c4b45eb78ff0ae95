//! `breakout-bot`: a headless Breakout participant or host for scripts,
//! tests and load measurements. Data goes to stdout as JSON lines or
//! `name=value` lines; diagnostics go to stderr.

mod admin;
mod input;
mod join;
mod load;
mod media;

use std::process::ExitCode;

use breakout_client::protocol::fingerprint::CertFingerprint;
use clap::{Args, Parser, Subcommand};

const DEFAULT_SERVER: &str = "http://127.0.0.1:7800";

#[derive(Parser)]
#[command(name = "breakout-bot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Join as a participant: print every server message as a JSON line,
    /// send each stdin line (a ClientMessage, a bare Command or a bare
    /// Request). Ends when stdin ends and every reply has arrived, or at
    /// --exit-after-ms. Reconnects with the same token when the socket drops.
    /// With media, `{"type":"speak_to_all","active":true}` (a host's
    /// hold-to-talk) also sends the mic, muted or not, until `false`.
    Join {
        #[command(flatten)]
        who: Participant,
        /// Exit (successfully) after this many milliseconds; the end of stdin
        /// then no longer ends the bot, so it can listen with no input.
        #[arg(long, value_name = "MS")]
        exit_after_ms: Option<u64>,
        #[command(flatten)]
        media: media::MediaArgs,
    },
    /// Send one command (or request) as a participant and print the reply.
    Do {
        #[command(flatten)]
        who: Participant,
        /// A Command as JSON, e.g. '{"type":"start"}'; a bare Request such
        /// as '{"type":"get_state"}' works too.
        #[arg(value_name = "JSON")]
        command: String,
    },
    /// Call the admin REST API and print its JSON answer.
    Admin {
        #[command(flatten)]
        admin: AdminKey,
        #[command(subcommand)]
        call: admin::Call,
    },
    /// Fill meetings with participants over REST and WebSocket, start
    /// breakouts and measure how long each participant waits for its move.
    Load(load::LoadArgs),
}

/// The server's address; `http://` is turned into `ws://` for the socket,
/// `https://` into `wss://`.
#[derive(Args, Clone)]
struct Server {
    #[arg(long, env = "BREAKOUT_SERVER", default_value = DEFAULT_SERVER, global = true)]
    server: String,
    /// Accept only the server certificate with this fingerprint
    /// (`sha256:<hex>`, the `fp=` of a join link) instead of one a public
    /// certificate authority vouches for.
    #[arg(long, env = "BREAKOUT_PIN", value_name = "FINGERPRINT", global = true)]
    pin: Option<CertFingerprint>,
}

#[derive(Args)]
struct Participant {
    #[command(flatten)]
    server: Server,
    /// The participant's token (from add-participant).
    #[arg(long, env = "BREAKOUT_TOKEN", hide_env_values = true)]
    token: String,
}

#[derive(Args, Clone)]
struct AdminKey {
    #[command(flatten)]
    server: Server,
    /// The server's admin key (every call but `health` needs it).
    #[arg(
        long,
        env = "BREAKOUT_ADMIN_KEY",
        hide_env_values = true,
        global = true
    )]
    admin_key: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Join {
            who,
            exit_after_ms,
            media,
        } if media.media == media::MediaMode::None => {
            join::run(
                &who.server.server,
                who.server.pin,
                &who.token,
                exit_after_ms,
            )
            .await
        }
        Cmd::Join {
            who,
            exit_after_ms,
            media,
        } => {
            media::run(
                &who.server.server,
                who.server.pin,
                &who.token,
                media,
                exit_after_ms,
            )
            .await
        }
        Cmd::Do { who, command } => {
            join::run_once(&who.server.server, who.server.pin, &who.token, &command).await
        }
        Cmd::Admin { admin, call } => {
            admin::run(
                &admin.server.server,
                admin.server.pin,
                admin.admin_key.as_deref(),
                call,
            )
            .await
        }
        Cmd::Load(args) => load::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn documented_invocations_parse() {
        for line in [
            "breakout-bot join --server http://h:1 --token T --exit-after-ms 5",
            "breakout-bot join --token T --media synthetic --report-ms 500",
            "breakout-bot join --token T --media synthetic --simulcast",
            "breakout-bot join --token T --media synthetic --simulcast --pattern-size 1280x720",
            "breakout-bot do --token T {\"type\":\"start\"}",
            "breakout-bot admin --server http://h:1 --admin-key K create-meeting --title X",
            "breakout-bot admin --admin-key K add-participant --meeting M --name N --email e@x --preset participant",
            "breakout-bot admin --admin-key K rooms --meeting M",
            "breakout-bot admin list --admin-key K",
            "breakout-bot load --admin-key K --participants 10 --rooms 3 --meetings 2",
        ] {
            let args = line.split(' ');
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{line}: {e}");
            }
        }
    }

    #[test]
    fn a_pattern_size_the_pattern_cannot_have_is_refused_with_the_reason() {
        let line = "breakout-bot join --token T --media synthetic --pattern-size 600x360";
        let Err(error) = Cli::try_parse_from(line.split(' ')) else {
            panic!("600 wide accepted");
        };
        assert!(error.to_string().contains("multiple of 160"), "{error}");
        let line = "breakout-bot join --token T --media synthetic --pattern-size big";
        let Err(error) = Cli::try_parse_from(line.split(' ')) else {
            panic!("\"big\" accepted");
        };
        assert!(error.to_string().contains("WIDTHxHEIGHT"), "{error}");
    }
}
