//! Request rate limits hold per participant across reconnections, and per
//! meeting across participants.

mod common;

use std::time::Instant;

use breakout_core::Command;
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_server::{Limits, Rate};
use common::{TestServer, quick_config};

/// Sends `count` chats without waiting, then counts the accepted ones and
/// checks every refusal is a rate limit.
async fn flood(ws: &mut common::Ws, count: u64) -> u64 {
    for id in 1..=count {
        let request = Request::Command {
            command: Command::Chat {
                text: format!("spam {id}"),
            },
        };
        let text = serde_json::to_string(&ClientMessage { id, request }).unwrap();
        ws.send_text(text).await;
    }
    let (mut accepted, mut answered) = (0, 0);
    while answered < count {
        match ws.next().await {
            ServerMessage::Reply {
                result: Reply::Ok, ..
            } => {
                accepted += 1;
                answered += 1;
            }
            ServerMessage::Error { error, .. } => {
                assert_eq!(error.code, "rate_limited", "{error:?}");
                assert!(!error.message.is_empty());
                answered += 1;
            }
            _ => {}
        }
    }
    accepted
}

async fn stored_chats(ws: &mut common::Ws) -> usize {
    match ws.request(Request::GetChat { room: None }).await {
        Ok(Reply::Chat { messages }) => messages.len(),
        other => panic!("chat expected, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_does_not_refill_a_participants_rate_limit() {
    let rate = Rate::new(0.1, 10.0);
    let server = TestServer::start_with_limits(Limits {
        participant_requests: rate,
        ..Limits::default()
    })
    .await;
    let meeting = server.create_meeting(quick_config()).await;
    let spammer = server.add(&meeting, "Spammer", "participant").await;
    let host = server.add(&meeting, "Host", "host").await;

    let started = Instant::now();
    let mut accepted = 0;
    for _ in 0..5 {
        let mut ws = server.connect(&spammer.token).await;
        accepted += flood(&mut ws, 20).await;
        ws.socket.close(None).await.unwrap();
    }
    let allowed = rate.burst + rate.per_second * started.elapsed().as_secs_f64();
    assert!(
        accepted as f64 <= allowed.floor(),
        "{accepted} chats accepted over 5 connections, the limit allows {allowed:.1}"
    );
    let mut host = server.connect(&host.token).await;
    assert_eq!(stored_chats(&mut host).await, accepted as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_limits_the_changes_of_all_its_participants_together() {
    let rate = Rate::new(0.1, 12.0);
    let server = TestServer::start_with_limits(Limits {
        meeting_commands: rate,
        ..Limits::default()
    })
    .await;
    let meeting = server.create_meeting(quick_config()).await;
    let started = Instant::now();
    let mut accepted = 0;
    for name in ["Ann", "Bob", "Cid", "Dee"] {
        let person = server.add(&meeting, name, "participant").await;
        let mut ws = server.connect(&person.token).await;
        accepted += flood(&mut ws, 8).await;
    }
    let allowed = rate.burst + rate.per_second * started.elapsed().as_secs_f64();
    assert!(
        accepted as f64 <= allowed.floor(),
        "{accepted} chats accepted in one meeting, the limit allows {allowed:.1}"
    );
    assert!(accepted >= 12, "the burst is available: {accepted}");
}
