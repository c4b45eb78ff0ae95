//! PostgreSQL restarted under a cluster in the middle of a meeting with
//! media: while the database is down, changes are refused with
//! `storage_unavailable` and media keeps flowing on the same connections;
//! once it is back, changes work again on the same node, nobody has
//! reconnected, and exactly what was acknowledged is kept. `make pg-test`
//! runs it.

use std::time::Duration;

use breakout_core::Command;
use breakout_e2e::Bot;
use breakout_protocol::ws::{Reply, Request};

mod cluster_support;

use cluster_support::postgres::Cluster;
use cluster_support::{media_bot, meeting_placed_on, start_nodes_in, tone_frames};

fn chat(text: &str) -> Command {
    Command::Chat { text: text.into() }
}

/// Waits until `bot`, still on its first media session, has decoded
/// `more` frames of the tone at `hz` beyond `from`; the count it reached.
async fn decodes_more(bot: &mut Bot, hz: u64, from: u64, more: u64) -> u64 {
    let report = bot
        .media_report("its mate's tone on the same session", |r| {
            r["media_session"] == 1 && tone_frames(r, hz) >= from + more
        })
        .await;
    tone_frames(&report, hz)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn media_flows_and_nothing_acknowledged_is_lost_while_postgres_restarts() {
    // A database server of its own: this test stops it.
    let cluster = Cluster::start();
    let (nodes, _dirs) = start_nodes_in(&cluster, 2).await;
    let (meeting, owner) = meeting_placed_on(&nodes[0], "storage", &["b"]).await;
    let host_id = nodes[owner].add(&meeting, "Host", "host").await;
    let mut host = Bot::join(&nodes[0], "Host", &host_id).await;
    let mut bots = Vec::new();
    for name in ["P0", "P1"] {
        let created = nodes[owner].add(&meeting, name, "participant").await;
        bots.push(media_bot(&nodes[0], name, &created).await);
    }
    let mut tones = Vec::new();
    for bot in &mut bots {
        let report = bot
            .media_report("its tone", |r| r["tone_hz"].is_u64())
            .await;
        tones.push(report["tone_hz"].as_u64().unwrap());
    }
    // Each hears the other's tone.
    let mut heard = Vec::new();
    for (i, bot) in bots.iter_mut().enumerate() {
        heard.push(decodes_more(bot, tones[1 - i], 0, 25).await);
    }
    host.command(chat("before")).await.expect("chat before");

    cluster.stop_server();
    let refused = host
        .command(chat("while the database is down"))
        .await
        .expect_err("no change without the database");
    assert_eq!(refused.code, "storage_unavailable", "{refused:?}");
    // Media does not need the database: two more seconds of each other's
    // tone, on the same media session, while no lease can be renewed.
    for (i, bot) in bots.iter_mut().enumerate() {
        heard[i] = decodes_more(bot, tones[1 - i], heard[i], 100).await;
    }
    // Down for longer than a lease: whoever is asked first after the
    // restart may hold the meeting then; nobody is asked here.
    tokio::time::sleep(Duration::from_secs(4)).await;
    cluster.start_server();

    // The meeting serves changes again once its node reaches the
    // database (its pool reconnects on the next call).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match host.command(chat("after")).await {
            Ok(_) => break,
            Err(error) if error.code == "storage_unavailable" => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "changes still refused: {error:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => panic!("chat after the restart: {error:?}"),
        }
    }
    // Nobody reconnected: the same media sessions go on.
    for (i, bot) in bots.iter_mut().enumerate() {
        decodes_more(bot, tones[1 - i], heard[i], 25).await;
    }
    let Ok(Reply::Chat { messages }) = host.request(Request::GetChat { room: None }).await else {
        panic!("chat history expected");
    };
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["before", "after"]);

    for bot in bots {
        bot.stop().await;
    }
    host.stop().await;
    for node in nodes {
        node.kill().await;
    }
}
