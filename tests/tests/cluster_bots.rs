//! One address for a cluster: bots join through one node of three while
//! another node serves their meeting; that node is killed (SIGKILL)
//! mid-round and the bots find the meeting again through the address they
//! first used, by themselves, as the same participants in the same rooms
//! with the same mic and camera state. `make pg-test` runs it.

use std::time::{Duration, Instant};

use breakout_core::{Command, EventBody, Phase};
use breakout_e2e::{Bot, KEY, ServerProcess};
use breakout_protocol::rest::RoomsOverview;
use breakout_protocol::ws::{Reply, Request, ServerMessage};

mod cluster_support;

use cluster_support::{meeting_placed_on, start_nodes};

/// Asks `server` for the meeting's rooms until it serves them itself; a
/// node that does not answers 421 with the owner's URL.
async fn rooms_from(server: &ServerProcess, meeting: &str) -> RoomsOverview {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = server
            .http
            .get(server.url(&format!("/v1/meetings/{meeting}/rooms")))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("rooms");
        if response.status() == 200 {
            return response.json().await.expect("rooms overview");
        }
        assert_eq!(response.status(), 421, "another node serves it");
        assert!(Instant::now() < deadline, "no node took the meeting over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn bots_follow_their_meeting_to_another_node_and_back_after_a_kill() {
    let (mut nodes, _dirs) = start_nodes(3).await;
    // A meeting that lives on another node than the one the bots know.
    let (meeting, owner) = meeting_placed_on(&nodes[0], "cluster", &["b", "c"]).await;
    let host_id = nodes[owner].add(&meeting, "Host", "host").await;
    let mut host = Bot::join(&nodes[0], "Host", &host_id).await;
    let mut people = Vec::new();
    for i in 0..2 {
        let created = nodes[owner]
            .add(&meeting, &format!("P{i}"), "participant")
            .await;
        people.push(Bot::join(&nodes[0], &format!("P{i}"), &created).await);
    }
    people[0]
        .command(Command::SetMedia {
            mic: Some(true),
            camera: Some(false),
        })
        .await
        .expect("mic on");
    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .unwrap();
    host.command(Command::AutoAssign {
        seed: 3,
        minimise_repeats: false,
    })
    .await
    .unwrap();
    host.command(Command::Start).await.unwrap();
    for bot in &mut people {
        bot.event(|e| matches!(e, EventBody::MeetingChanged { room, .. } if !room.is_main()))
            .await;
    }
    people[1]
        .command(Command::Chat {
            text: "acknowledged before the kill".into(),
        })
        .await
        .expect("chat");
    let before = rooms_from(&nodes[owner], &meeting).await;
    assert!(matches!(before.phase, Phase::Running { .. }));

    let killed = Instant::now();
    nodes.remove(owner).kill().await;
    // Each bot reconnects through node a by itself; a takes the meeting
    // over once the dead node's lease has run out and welcomes them back.
    for bot in std::iter::once(&mut host).chain(people.iter_mut()) {
        bot.expect(|m| matches!(m, ServerMessage::Welcome { .. }))
            .await;
    }
    let resumed = killed.elapsed();
    eprintln!(
        "every bot welcomed back {} ms after the kill",
        resumed.as_millis()
    );
    let after = rooms_from(&nodes[0], &meeting).await;
    assert_eq!(after.phase, before.phase);
    for (room_before, room_after) in before.rooms.iter().zip(&after.rooms) {
        assert_eq!(room_before.id, room_after.id);
        let ids = |room: &breakout_protocol::rest::RoomSummary| {
            room.members
                .iter()
                .map(|m| (m.id, m.mic, m.camera))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(room_before),
            ids(room_after),
            "same rooms, same mic/camera"
        );
        assert!(room_after.members.iter().all(|m| m.connected), "{after:?}");
    }
    let p0 = after
        .rooms
        .iter()
        .flat_map(|r| &r.members)
        .find(|m| m.id == people[0].id)
        .expect("P0 is there");
    assert!(p0.mic && !p0.camera, "{p0:?}");
    let Ok(Reply::Chat { messages }) = people[1].request(Request::GetChat { room: None }).await
    else {
        panic!("chat history expected");
    };
    assert!(
        messages
            .iter()
            .any(|m| m.text == "acknowledged before the kill"),
        "{messages:?}"
    );
    // And the meeting goes on there.
    host.command(Command::End).await.expect("end");
    for bot in people {
        bot.stop().await;
    }
    host.stop().await;
    for node in nodes {
        node.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn sigterm_hands_a_nodes_meetings_over_and_its_bots_follow() {
    let (mut nodes, _dirs) = start_nodes(2).await;
    let draining = nodes.pop().expect("node b");
    let home = nodes.pop().expect("node a");
    let (meeting, _) = meeting_placed_on(&home, "drain", &["b"]).await;
    let host_id = draining.add(&meeting, "Host", "host").await;
    let p_id = draining.add(&meeting, "P", "participant").await;
    let mut host = Bot::join(&home, "Host", &host_id).await;
    let mut person = Bot::join(&home, "P", &p_id).await;
    host.command(Command::CreateRooms {
        count: 1,
        names: vec![],
    })
    .await
    .unwrap();
    host.command(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    })
    .await
    .unwrap();
    host.command(Command::Start).await.unwrap();
    person
        .event(|e| matches!(e, EventBody::MeetingChanged { room, .. } if !room.is_main()))
        .await;
    person
        .command(Command::Chat {
            text: "before the drain".into(),
        })
        .await
        .expect("chat");
    let before = rooms_from(&draining, &meeting).await;

    let terminated = Instant::now();
    draining.terminate();
    for bot in [&mut host, &mut person] {
        bot.expect(|m| matches!(m, ServerMessage::Welcome { .. }))
            .await;
    }
    let resumed = terminated.elapsed();
    eprintln!(
        "every bot welcomed back {} ms after SIGTERM",
        resumed.as_millis()
    );
    // Released, not left to run out: no lease wait.
    assert!(resumed < Duration::from_secs(3), "{resumed:?}");
    assert!(
        draining.exit_status().await.success(),
        "the drained node exits"
    );
    let after = rooms_from(&home, &meeting).await;
    assert_eq!(after.phase, before.phase);
    for (room_before, room_after) in before.rooms.iter().zip(&after.rooms) {
        let ids = |room: &breakout_protocol::rest::RoomSummary| {
            room.members.iter().map(|m| m.id).collect::<Vec<_>>()
        };
        assert_eq!(ids(room_before), ids(room_after));
    }
    let Ok(Reply::Chat { messages }) = person.request(Request::GetChat { room: None }).await else {
        panic!("chat history expected");
    };
    assert!(
        messages.iter().any(|m| m.text == "before the drain"),
        "{messages:?}"
    );
    person.stop().await;
    host.stop().await;
    home.kill().await;
}
