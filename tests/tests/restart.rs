//! SIGKILL the server mid-countdown, start it again on the same data: the
//! meeting is exactly as it was, the countdown keeps its deadline, bots
//! resume with their tokens, and nothing acknowledged is lost. Once with
//! the SQLite file in the data directory, once with the store in
//! PostgreSQL (`--database`; `make pg-test` runs that one).

use breakout_core::{BreakoutConfig, Command, EventBody, Phase};
use breakout_e2e::{Bot, ServerProcess, free_port};
use breakout_protocol::ws::{Reply, Request, ServerMessage};

#[path = "../../crates/breakout-server/tests/common/postgres.rs"]
mod cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_into_the_same_meeting() {
    a_killed_server_restarts_into_the_same_meeting_with(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: make pg-test runs it"]
async fn a_killed_server_on_postgres_restarts_into_the_same_meeting() {
    let url = cluster::Cluster::shared().new_database();
    a_killed_server_restarts_into_the_same_meeting_with(&["--database", &url]).await;
}

async fn a_killed_server_restarts_into_the_same_meeting_with(args: &[&str]) {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start_with(data.path(), port, args).await;
    let meeting = server
        .create_meeting(BreakoutConfig {
            move_countdown_secs: 0,
            closing_countdown_secs: 4,
            ..BreakoutConfig::default()
        })
        .await;
    let host_id = server.add(&meeting, "Host", "host").await;
    let mut host = Bot::join(&server, "Host", &host_id).await;
    let mut people = Vec::new();
    for i in 0..3 {
        let created = server.add(&meeting, &format!("P{i}"), "participant").await;
        people.push(Bot::join(&server, &format!("P{i}"), &created).await);
    }
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
    // Acknowledged chat must survive the crash.
    let chat_room = server
        .overview(&meeting)
        .await
        .rooms
        .iter()
        .find(|r| r.members.iter().any(|m| m.id == people[0].id))
        .map(|r| r.id)
        .expect("P0 is in a room");
    people[0]
        .command(Command::Chat {
            text: "remember me".into(),
        })
        .await
        .expect("chat acknowledged");
    host.command(Command::End).await.unwrap();
    let closing_at = match host.event(|e| matches!(e, EventBody::Closing { .. })).await {
        EventBody::Closing { at } => at,
        _ => unreachable!(),
    };
    let before = server.overview(&meeting).await;
    assert_eq!(
        before.phase,
        Phase::Closing {
            returns_at: closing_at
        }
    );

    server.kill().await;
    let server = ServerProcess::start_with(data.path(), port, args).await;

    // Same meeting, same rooms and members, same deadline.
    let mut after = server.overview(&meeting).await;
    if after.phase == Phase::Idle {
        // The countdown may have run out while we restarted; then everyone
        // must already be back in main.
        assert!(after.rooms[1..].iter().all(|r| r.members.is_empty()));
    } else {
        assert_eq!(after.phase, before.phase, "deadline kept");
        let strip = |o: &mut breakout_protocol::rest::RoomsOverview| {
            for room in &mut o.rooms {
                for m in &mut room.members {
                    m.connected = false;
                }
            }
        };
        let mut before = before.clone();
        strip(&mut before);
        strip(&mut after);
        assert_eq!(after, before, "state rebuilt exactly");
    }

    // Bots resume by themselves with their tokens; each ends up in main
    // once the countdown that was running at the crash has run out.
    for bot in &mut people {
        let welcome = bot
            .expect(|m| matches!(m, ServerMessage::Welcome { .. }))
            .await;
        let ServerMessage::Welcome { view, .. } = welcome else {
            unreachable!()
        };
        if view.phase != Phase::Idle {
            bot.event(|e| matches!(e, EventBody::BreakoutsEnded)).await;
        }
    }
    let end = server.overview(&meeting).await;
    assert_eq!(end.phase, Phase::Idle);
    assert_eq!(end.rooms[0].members.len(), 4);

    // Nothing acknowledged was lost: the breakout room's chat is still there.
    host.expect(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    let Ok(Reply::Chat { messages }) = host
        .request(Request::GetChat {
            room: Some(chat_room),
        })
        .await
    else {
        panic!("chat history expected");
    };
    assert!(
        messages.iter().any(|m| m.text == "remember me"),
        "{messages:?}"
    );

    for bot in people {
        bot.stop().await;
    }
    host.stop().await;
}
