//! `make bench` figures of a cluster (scripts/bench-failover.sh runs them):
//! three `breakout-server` nodes on one private PostgreSQL database.
//!
//! - `acked_events_lost`: a participant writes chat without pause while the
//!   node serving its meeting is killed (SIGKILL) twenty times, writes in
//!   flight at every kill; each time a peer takes the meeting over and the
//!   killed node comes back. Every write the meeting acknowledged must be
//!   in its history at the end, and none twice.
//! - `placement_imbalance`: thirty meetings of one to four participants,
//!   created one after the other through one node, each filled before the
//!   next is created; max / mean of the streams each node forwards. The
//!   participants are load bots that send audio and video and take every
//!   downstream slot like a person, counting what arrives without decoding
//!   it (two cores run three nodes and every bot).

mod cluster_support;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use breakout_e2e::{Bot, KEY, ServerProcess, binary};
use breakout_protocol::Command;
use breakout_protocol::rest::ParticipantCreated;
use breakout_protocol::ws::{Reply, Request, ServerMessage};

use cluster_support::{create_meeting, meeting_placed_on, owner_seen_by, start_nodes};

const KILLS: usize = 20;
/// Acknowledged writes between two kills.
const WRITES_BETWEEN_KILLS: usize = 10;
/// Writes sent together just before each kill: some are acknowledged
/// before the node dies, some are not.
const IN_FLIGHT_AT_KILL: usize = 3;

/// The index of the node that serves `meeting`, asked of any live node.
async fn owner_of(nodes: &[Option<ServerProcess>], meeting: &str) -> usize {
    let asked = nodes.iter().flatten().next().expect("a live node");
    let owner = owner_seen_by(asked, meeting)
        .await
        .expect("the meeting's owner");
    nodes
        .iter()
        .position(|node| {
            node.as_ref().is_some_and(|node| {
                node.url("").trim_end_matches('/') == owner.trim_end_matches('/')
            })
        })
        .expect("the owner is a live node")
}

/// Asks `node` for `meeting` until it serves it: it takes the meeting over
/// once the dead owner's lease has run out.
async fn take_over_through(node: &ServerProcess, meeting: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = node
            .http
            .get(node.url(&format!("/v1/meetings/{meeting}")))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("meeting info");
        if response.status() == 200 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "never taken over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn chat(text: &str) -> Request {
    Request::Command {
        command: Command::Chat { text: text.into() },
    }
}

/// What became of a write.
enum Outcome {
    Acknowledged,
    Refused,
    /// The connection was lost before its answer.
    Lost,
}

/// Waits for the answer to request `id`, or the welcome of a new
/// connection (the answer will never come).
async fn outcome(writer: &mut Bot, id: u64) -> Outcome {
    match writer
        .expect(|m| match m {
            ServerMessage::Reply { id: got, .. } => *got == id,
            ServerMessage::Error { id: got, .. } => *got == Some(id),
            ServerMessage::Welcome { .. } => true,
            _ => false,
        })
        .await
    {
        ServerMessage::Reply { .. } => Outcome::Acknowledged,
        ServerMessage::Error { .. } => Outcome::Refused,
        _ => Outcome::Lost,
    }
}

/// Answers read while waiting for others: those to `unanswered` writes
/// settle them.
fn sweep(writer: &mut Bot, unanswered: &mut HashMap<u64, String>, acknowledged: &mut Vec<String>) {
    for message in writer.take_backlog() {
        match message {
            ServerMessage::Reply { id, .. } => {
                if let Some(text) = unanswered.remove(&id) {
                    acknowledged.push(text);
                }
            }
            ServerMessage::Error { id: Some(id), .. } => {
                unanswered.remove(&id);
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-failover.sh runs it"]
async fn acked_events_bench() {
    let (started, dirs) = start_nodes(3).await;
    let mut nodes: Vec<Option<ServerProcess>> = started.into_iter().map(Some).collect();
    let (meeting, owner) =
        meeting_placed_on(nodes[0].as_ref().unwrap(), "durable", &["b", "c"]).await;
    let created = nodes[owner]
        .as_ref()
        .unwrap()
        .add(&meeting, "Writer", "host")
        .await;
    // Through node a, the address it knows. Every kill ends in a takeover
    // by a peer; the killed node comes back after.
    let mut writer = Bot::join(nodes[0].as_ref().unwrap(), "Writer", &created).await;

    let mut acknowledged = Vec::new();
    // Writes whose connection was lost: their answer may still come, if
    // the bot had not sent them before it reconnected.
    let mut unanswered: HashMap<u64, String> = HashMap::new();
    let mut written = 0;
    let write = |written: &mut usize| {
        *written += 1;
        format!("write {written}")
    };
    let mut down: Option<(usize, std::path::PathBuf, u16)> = None;
    for kill in 0..=KILLS {
        for _ in 0..WRITES_BETWEEN_KILLS {
            let text = write(&mut written);
            let id = writer.send(chat(&text)).await;
            match outcome(&mut writer, id).await {
                Outcome::Acknowledged => acknowledged.push(text),
                Outcome::Refused => {}
                Outcome::Lost => {
                    unanswered.insert(id, text);
                }
            }
        }
        if let Some((index, data, port)) = down.take() {
            nodes[index] = Some(dirs.restart(index, &data, port).await);
        }
        if kill == KILLS {
            break;
        }
        let owner = owner_of(&nodes, &meeting).await;
        let mut in_flight = Vec::new();
        for _ in 0..IN_FLIGHT_AT_KILL {
            let text = write(&mut written);
            in_flight.push((writer.send(chat(&text)).await, text));
        }
        let node = nodes[owner].take().unwrap();
        let (data, port) = (node.data.clone(), node.port);
        node.kill().await;
        if owner == 0 {
            // The writer's address is down too: another node takes the
            // meeting over once asked (after the lease), then a comes back
            // serving nothing and sends the writer there.
            take_over_through(nodes[1].as_ref().unwrap(), &meeting).await;
            nodes[0] = Some(dirs.restart(0, &data, port).await);
        } else {
            down = Some((owner, data, port));
        }
        let mut pending = in_flight.into_iter();
        while let Some((id, text)) = pending.next() {
            match outcome(&mut writer, id).await {
                Outcome::Acknowledged => acknowledged.push(text),
                Outcome::Refused => {}
                Outcome::Lost => {
                    // Reconnected: the rest were answered before the loss
                    // (read already) or never will be.
                    unanswered.insert(id, text);
                    unanswered.extend(pending.by_ref());
                    sweep(&mut writer, &mut unanswered, &mut acknowledged);
                }
            }
        }
    }
    sweep(&mut writer, &mut unanswered, &mut acknowledged);

    let Ok(Reply::Chat { messages }) = writer.request(Request::GetChat { room: None }).await else {
        panic!("chat history expected");
    };
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for message in &messages {
        *seen.entry(message.text.as_str()).or_default() += 1;
    }
    let lost = acknowledged
        .iter()
        .filter(|text| !seen.contains_key(text.as_str()))
        .count();
    let twice = seen.values().filter(|&&count| count > 1).count();
    eprintln!(
        "{written} writes, {} acknowledged, {} in history, {twice} journaled twice, {KILLS} kills",
        acknowledged.len(),
        messages.len()
    );
    assert_eq!(twice, 0, "a write journaled twice: {seen:?}");
    println!("acked_events_lost={lost}");
    writer.stop().await;
    for node in nodes.into_iter().flatten() {
        node.kill().await;
    }
}

/// Participants of the `index`-th meeting: one to four, not in a cycle the
/// placement could line up with.
fn meeting_size(index: usize) -> usize {
    [3, 1, 4, 2, 2, 4, 1, 3, 4, 1, 2, 3, 1, 3, 2, 4][index % 16]
}

/// A load bot joined through `server`: replayed tone and test pattern,
/// every downstream slot taken, nothing decoded.
async fn load_bot(server: &ServerProcess, name: &str, who: &ParticipantCreated) -> Bot {
    let mut command = tokio::process::Command::new(binary("breakout-bot"));
    command.args(["join", "--server", &server.url(""), "--token", &who.token]);
    command.args(["--media", "replay", "--subscribe"]);
    Bot::spawn(command, name, who).await
}

/// A gauge of a node's `/metrics`.
async fn gauge(node: &ServerProcess, name: &str) -> f64 {
    let text = node
        .http
        .get(node.url("/metrics"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-failover.sh runs it"]
async fn placement_bench() {
    let (nodes, _dirs) = start_nodes(3).await;
    let mut bots = Vec::new();
    let mut placed: BTreeMap<String, usize> = BTreeMap::new();
    for index in 0..30 {
        let info = create_meeting(&nodes[0], &format!("Meeting {index}")).await;
        let node = info.node.clone().expect("a cluster names the node");
        *placed.entry(node).or_default() += 1;
        let owner = nodes
            .iter()
            .find(|n| {
                info.node_url.as_deref().map(|u| u.trim_end_matches('/'))
                    == Some(n.url("").as_str())
            })
            .expect("the owner is one of the nodes");
        for person in 0..meeting_size(index) {
            let name = format!("M{index}P{person}");
            let created = owner.add(&info.id, &name, "participant").await;
            bots.push(load_bot(owner, &name, &created).await);
        }
        // The next placement sees these streams in the owner's heartbeat.
        tokio::time::sleep(Duration::from_millis(2_200)).await;
    }
    let mut streams = Vec::new();
    for node in &nodes {
        streams.push(gauge(node, "breakout_forwarded_streams").await);
    }
    let mean = streams.iter().sum::<f64>() / streams.len() as f64;
    let max = streams.iter().copied().fold(0.0, f64::max);
    eprintln!("meetings per node {placed:?}, streams per node {streams:?}");
    assert!(mean > 0.0, "no streams forwarded: {streams:?}");
    println!("placement_imbalance={:.2}", max / mean);
    for bot in bots {
        bot.stop().await;
    }
    for node in nodes {
        node.kill().await;
    }
}
