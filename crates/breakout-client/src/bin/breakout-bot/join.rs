//! `join` (a scripted participant that stays) and `do` (one command).

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::ws::ServerMessage;
use breakout_client::{ClientError, ConnectOptions, Connection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::{Instant, sleep_until};

use crate::input::parse_line;

/// How long replies may take once stdin has ended.
const REPLY_WAIT: Duration = Duration::from_secs(10);
pub const BACKOFF_FIRST: Duration = Duration::from_millis(100);
/// Retries stay a second apart at most. A dead node's meetings are waited
/// out by `Connection::connect_with` itself (it asks again the moment the
/// node's lease runs out); this bounds the wait when the address we were
/// given does not answer at all.
pub const BACKOFF_MAX: Duration = Duration::from_secs(1);

pub async fn run(
    server: &str,
    pin: Option<CertFingerprint>,
    token: &str,
    exit_after_ms: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let exit_at = exit_after_ms.map(|ms| Instant::now() + Duration::from_millis(ms));
    // The first connection must work: a typo should fail fast, not retry.
    let first = Connection::connect_with(server, token, ConnectOptions::default().pin(pin))
        .await
        .context("connecting")?;
    // Every reconnect tells the server the newest revision seen before it.
    let resume = first.0.resume_point();
    let mut link = Some(first);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut replies_due: Option<Instant> = None;
    let mut outstanding = BTreeSet::new();
    let mut backoff = BACKOFF_FIRST;

    loop {
        let Some((conn, rx)) = link.as_mut() else {
            // Resume with the same token; the server sends a fresh welcome.
            tokio::select! {
                () = sleep_until(exit_at.unwrap_or_else(far)) => return Ok(ExitCode::SUCCESS),
                () = tokio::time::sleep(backoff) => {}
            }
            let options = ConnectOptions::default().pin(pin).resume(&resume);
            match Connection::connect_with(server, token, options).await {
                Ok(connected) => {
                    eprintln!("reconnected");
                    link = Some(connected);
                    backoff = BACKOFF_FIRST;
                }
                Err(e) if resumable(&e) => {
                    eprintln!("reconnect failed ({e}); retrying in {backoff:?}");
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
                Err(e) => return Err(e).context("resuming"),
            }
            continue;
        };
        tokio::select! {
            message = rx.recv() => match message {
                Some(message) => {
                    if let ServerMessage::Reply { id, .. } | ServerMessage::Error { id: Some(id), .. } = &message {
                        outstanding.remove(id);
                    }
                    print_line(&message)?;
                    if !stdin_open && exit_at.is_none() && outstanding.is_empty() {
                        break;
                    }
                }
                None => {
                    eprintln!("connection lost; reconnecting");
                    if !outstanding.is_empty() {
                        eprintln!("lost requests without a reply: {outstanding:?}");
                        outstanding.clear();
                    }
                    link = None;
                    if !stdin_open && exit_at.is_none() {
                        bail!("connection lost before all replies arrived");
                    }
                }
            },
            line = lines.next_line(), if stdin_open => match line.context("reading stdin")? {
                Some(line) if line.trim().is_empty() => {}
                Some(line) => match parse_line(&line, || conn.next_id()) {
                    Ok(message) => match conn.send(&message) {
                        Ok(()) => {
                            outstanding.insert(message.id);
                        }
                        Err(e) => eprintln!("not sent ({e}): {line}"),
                    },
                    Err(e) => eprintln!("ignored line ({e}): {line}"),
                },
                // With a deadline the bot stays until it (a listener
                // started without stdin); otherwise it ends with its input.
                None => {
                    stdin_open = false;
                    if exit_at.is_some() {
                        continue;
                    }
                    if outstanding.is_empty() {
                        break;
                    }
                    replies_due = Some(Instant::now() + REPLY_WAIT);
                }
            },
            () = sleep_until(replies_due.unwrap_or_else(far)), if replies_due.is_some() => {
                bail!("no reply to requests {outstanding:?} within {REPLY_WAIT:?}");
            }
            () = sleep_until(exit_at.unwrap_or_else(far)), if exit_at.is_some() => break,
        }
    }
    if let Some((conn, _)) = link {
        conn.close().await;
    }
    Ok(ExitCode::SUCCESS)
}

/// `do`: one request, its reply on stdout, a refusal on stderr.
pub async fn run_once(
    server: &str,
    pin: Option<CertFingerprint>,
    token: &str,
    json: &str,
) -> anyhow::Result<ExitCode> {
    let (conn, rx) = Connection::connect_with(server, token, ConnectOptions::default().pin(pin))
        .await
        .context("connecting")?;
    // Only the reply matters here; unread messages are simply not kept.
    drop(rx);
    let message = parse_line(json, || 0).map_err(anyhow::Error::msg)?;
    let result = conn.request(message.request).await;
    conn.close().await;
    match result {
        Ok(reply) => {
            print_line(&reply)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(ClientError::Api { error, .. }) => {
            eprintln!("refused: {}: {}", error.code, error.message);
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// Refusals of the token end the bot; everything else is worth a retry.
pub fn resumable(error: &ClientError) -> bool {
    error.is_transient() || matches!(error, ClientError::ConnectTimeout { .. })
}

pub fn print_line(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 3600)
}
