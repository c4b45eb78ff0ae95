//! `load`: how long after Start does every participant learn its room?
//!
//! All sockets live in this one process and runtime. The clock starts just
//! before each meeting's Start is sent and stops, per participant, when its
//! own `meeting_changed` event is read off its socket.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use breakout_client::protocol::ws::ServerMessage;
use breakout_client::protocol::{BreakoutConfig, Command, EventBody, ParticipantId};
use breakout_client::{AdminApi, ConnectOptions, Connection};
use clap::Args;
use futures_util::{StreamExt, TryStreamExt, stream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use breakout_client::protocol::fingerprint::CertFingerprint;

use crate::DEFAULT_SERVER;

#[derive(Args)]
pub struct LoadArgs {
    #[arg(long, env = "BREAKOUT_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    /// Accept only the server certificate with this fingerprint
    /// (`sha256:<hex>`) instead of one a public authority vouches for.
    #[arg(long, env = "BREAKOUT_PIN", value_name = "FINGERPRINT")]
    pin: Option<CertFingerprint>,
    #[arg(long, env = "BREAKOUT_ADMIN_KEY", hide_env_values = true)]
    admin_key: String,
    /// Participants per meeting (besides its host).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    participants: u32,
    /// Breakout rooms per meeting.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    rooms: u16,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    meetings: u32,
    /// Seed of the automatic assignment.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// REST calls and socket openings in flight at once.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// How long everyone may take to receive their move (also the patience
    /// for each socket's welcome and each of the host's commands).
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
}

/// A participant to be, in one of the meetings.
struct Seat {
    meeting: usize,
    name: String,
    preset: &'static str,
}

pub async fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let api = AdminApi::pinned(&args.server, &args.admin_key, args.pin)?;
    let concurrency = args.concurrency as usize;
    let meetings = args.meetings as usize;
    let expected = meetings * args.participants as usize;

    let mut ids = Vec::with_capacity(meetings);
    for index in 0..meetings {
        let body = CreateMeeting {
            title: format!("load {index}"),
            config: None,
        };
        let info = api
            .create_meeting(&body)
            .await
            .context("creating a meeting")?;
        ids.push(info.id);
    }
    let seats = (0..meetings).flat_map(|meeting| {
        let host = Seat {
            meeting,
            name: "host".into(),
            preset: "host",
        };
        let guests = (0..args.participants).map(move |i| Seat {
            meeting,
            name: format!("p{i}"),
            preset: "participant",
        });
        std::iter::once(host).chain(guests)
    });
    let tokens: Vec<(usize, &'static str, String)> = stream::iter(seats)
        .map(|seat| {
            let (api, ids) = (&api, &ids);
            async move {
                let body = AddParticipant {
                    name: seat.name,
                    email: None,
                    preset: seat.preset.into(),
                };
                let created = api
                    .add_participant(&ids[seat.meeting], &body)
                    .await
                    .context("adding a participant")?;
                anyhow::Ok((seat.meeting, seat.preset, created.token))
            }
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;

    let connecting = Instant::now();
    let server = args.server.as_str();
    // A server busy admitting hundreds of sockets answers slowly; that is
    // what is being measured, not a failure.
    let patience = Duration::from_secs(args.timeout_secs);
    let options = &ConnectOptions::default()
        .pin(args.pin)
        .connect_timeout(patience)
        .request_timeout(patience);
    let links: Vec<(usize, &'static str, Connection, _)> = stream::iter(tokens)
        .map(|(meeting, preset, token)| async move {
            let (conn, rx) = Connection::connect_with(server, &token, options.clone())
                .await
                .context("opening a participant's socket")?;
            anyhow::Ok((meeting, preset, conn, rx))
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    let connect_ms = connecting.elapsed().as_millis();

    let (arrived_tx, mut arrived) = mpsc::unbounded_channel();
    let mut hosts: Vec<Option<Connection>> = (0..meetings).map(|_| None).collect();
    let mut guests = Vec::with_capacity(expected);
    for (meeting, preset, conn, rx) in links {
        let me = conn.participant();
        if preset == "host" {
            tokio::spawn(watch(rx, None));
            hosts[meeting] = Some(conn);
        } else {
            let report = Report {
                me,
                meeting,
                to: arrived_tx.clone(),
            };
            tokio::spawn(watch(rx, Some(report)));
            guests.push(conn);
        }
    }
    drop(arrived_tx);
    let hosts: Vec<Connection> = hosts
        .into_iter()
        .map(|h| h.expect("one host each"))
        .collect();

    let started: Vec<Instant> = futures_util::future::try_join_all(
        hosts
            .iter()
            .map(|host| arrange_and_start(host, args.rooms, args.seed)),
    )
    .await?;

    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut latencies = Vec::with_capacity(expected);
    while latencies.len() < expected {
        match tokio::time::timeout_at(deadline, arrived.recv()).await {
            Ok(Some((meeting, at))) => {
                latencies.push(at.saturating_duration_since(started[meeting]))
            }
            Ok(None) | Err(_) => break,
        }
    }

    latencies.sort();
    let ms = |p: f64| percentile(&latencies, p).as_millis();
    println!("start_latency_p50_ms={}", ms(50.0));
    println!("start_latency_p99_ms={}", ms(99.0));
    println!("start_latency_max_ms={}", ms(100.0));
    println!("participants={expected}");
    println!("meetings={meetings}");
    println!("received={}", latencies.len());
    println!("connect_ms={connect_ms}");

    stream::iter(hosts.into_iter().chain(guests))
        .for_each_concurrent(concurrency, Connection::close)
        .await;
    let missing = expected - latencies.len();
    if missing > 0 {
        bail!(
            "{missing} of {expected} participants did not receive their move within {} s",
            args.timeout_secs
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets up rooms and assignments, then starts; returns when Start was sent.
async fn arrange_and_start(host: &Connection, rooms: u16, seed: u64) -> anyhow::Result<Instant> {
    let config = BreakoutConfig {
        move_countdown_secs: 0,
        auto_move: true,
        ..BreakoutConfig::default()
    };
    for command in [
        Command::Configure { config },
        Command::CreateRooms {
            count: rooms,
            names: Vec::new(),
        },
        Command::AutoAssign {
            seed,
            minimise_repeats: false,
        },
    ] {
        let name = command.name();
        host.command(command)
            .await
            .with_context(|| format!("host's {name}"))?;
    }
    let started = Instant::now();
    host.command(Command::Start).await.context("host's start")?;
    Ok(started)
}

/// Where a participant's first move is reported: (meeting index, instant).
struct Report {
    me: ParticipantId,
    meeting: usize,
    to: mpsc::UnboundedSender<(usize, Instant)>,
}

/// Reads one socket to its end (so nothing backs up), reporting the first
/// time its participant is told it moved.
async fn watch(mut rx: mpsc::Receiver<ServerMessage>, mut report: Option<Report>) {
    while let Some(message) = rx.recv().await {
        if let ServerMessage::Event {
            event: EventBody::MeetingChanged { participant, .. },
        } = message
            && let Some(r) = &report
            && participant == r.me
        {
            let _ = r.to.send((r.meeting, Instant::now()));
            report = None;
        }
    }
}

/// Nearest-rank percentile of sorted values; zero when there are none.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&ms, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&ms, 100.0), Duration::from_millis(100));
        let one = [Duration::from_millis(7)];
        assert_eq!(percentile(&one, 50.0), one[0]);
        assert_eq!(percentile(&[], 99.0), Duration::ZERO);
    }
}
