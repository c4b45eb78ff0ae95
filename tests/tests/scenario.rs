//! A whole breakout session with the real server and eleven bot processes.

use breakout_core::{BreakoutConfig, Command, EventBody, RoomId};
use breakout_e2e::{Bot, ServerProcess, free_port};
use breakout_protocol::ws::{Reply, Request};

fn moved_to(target: RoomId) -> impl Fn(&EventBody) -> bool {
    move |e| matches!(e, EventBody::MeetingChanged { room, .. } if *room == target)
}

fn moved_anywhere(e: &EventBody) -> bool {
    matches!(e, EventBody::MeetingChanged { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_breakout_session() {
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(data.path(), free_port()).await;
    let meeting = server
        .create_meeting(BreakoutConfig {
            move_countdown_secs: 1,
            closing_countdown_secs: 1,
            ..BreakoutConfig::default()
        })
        .await;
    let host_id = server.add(&meeting, "Host", "host").await;
    let mut host = Bot::join(&server, "Host", &host_id).await;
    let mut people = Vec::new();
    for i in 0..10 {
        let name = format!("P{i}");
        let created = server.add(&meeting, &name, "participant").await;
        people.push(Bot::join(&server, &name, &created).await);
    }

    // Three rooms, balanced automatic assignment, start with a countdown.
    host.command(Command::CreateRooms {
        count: 3,
        names: vec!["Red".into(), "Green".into(), "Blue".into()],
    })
    .await
    .expect("create rooms");
    host.command(Command::AutoAssign {
        seed: 7,
        minimise_repeats: false,
    })
    .await
    .expect("auto assign");
    let before = server.overview(&meeting).await;
    host.command(Command::Start).await.expect("start");

    let mut rooms_of = Vec::new();
    for bot in &mut people {
        let assigned = before.rooms[0]
            .members
            .iter()
            .find(|m| m.id == bot.id)
            .and_then(|m| m.assigned)
            .expect("everyone assigned");
        bot.event(moved_to(assigned)).await;
        bot.assert_order(&[
            ("breakouts started", &|e| {
                matches!(e, EventBody::BreakoutsStarted { .. })
            }),
            (
                "move announced",
                &|e| matches!(e, EventBody::ChangingMeeting { room, .. } if *room == assigned),
            ),
            ("moved", &moved_to(assigned)),
        ]);
        rooms_of.push(assigned);
    }
    let mut sizes = [0; 3];
    for room in &rooms_of {
        sizes[(room.0 - 1) as usize] += 1;
    }
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "unbalanced {sizes:?}"
    );

    // The host moves one person to another room.
    let target = RoomId(rooms_of[0].0 % 3 + 1);
    host.command(Command::Assign {
        participant: people[0].id,
        room: Some(target),
    })
    .await
    .expect("move");
    people[0].event(moved_to(target)).await;
    rooms_of[0] = target;

    // A broadcast reaches every room.
    host.command(Command::Broadcast {
        text: "Five minutes left".into(),
        room: None,
        audience: Default::default(),
    })
    .await
    .expect("broadcast");
    for bot in &mut people {
        bot.event(|e| matches!(e, EventBody::Message { text, .. } if text == "Five minutes left"))
            .await;
    }

    // Help: the second request within 10 s is refused; the host dismisses the first.
    people[1]
        .command(Command::RequestHelp)
        .await
        .expect("first help request");
    let refused = people[1]
        .command(Command::RequestHelp)
        .await
        .expect_err("second request");
    assert_eq!(refused.code, "help_cooldown");
    let asker = people[1].id;
    host.event(
        |e| matches!(e, EventBody::HelpRequested { participant, .. } if *participant == asker),
    )
    .await;
    host.command(Command::DismissHelp { participant: asker })
        .await
        .expect("dismiss");
    people[1]
        .event(|e| matches!(e, EventBody::HelpDismissed { participant } if *participant == asker))
        .await;

    // Round robin: everyone to the next room.
    host.command(Command::RoundRobin)
        .await
        .expect("round robin");
    for (bot, room) in people.iter_mut().zip(rooms_of.iter_mut()) {
        let next = RoomId(room.0 % 3 + 1);
        bot.event(moved_to(next)).await;
        *room = next;
    }

    // Gather everyone to main without ending; then send them back.
    host.command(Command::Gather).await.expect("gather");
    for bot in &mut people {
        bot.event(moved_to(RoomId::MAIN)).await;
    }
    host.command(Command::SendToRooms).await.expect("send back");
    for (bot, room) in people.iter_mut().zip(&rooms_of) {
        bot.event(moved_to(*room)).await;
    }

    // End: closing countdown, then everyone is back in main.
    host.command(Command::End).await.expect("end");
    for bot in &mut people {
        bot.event(|e| matches!(e, EventBody::BreakoutsEnded)).await;
        bot.assert_order(&[
            ("closing announced", &|e| {
                matches!(e, EventBody::Closing { .. })
            }),
            ("back in main", &moved_to(RoomId::MAIN)),
            ("ended", &|e| matches!(e, EventBody::BreakoutsEnded)),
        ]);
        // Nobody was moved anywhere after the end.
        let last_move = bot.events.iter().rev().find(|e| moved_anywhere(e));
        assert!(
            matches!(last_move, Some(EventBody::MeetingChanged { room, .. }) if room.is_main())
        );
    }
    let after = server.overview(&meeting).await;
    assert_eq!(after.rooms[0].members.len(), 11, "everyone back in main");
    assert!(after.rooms[1..].iter().all(|r| r.members.is_empty()));
    assert!(matches!(after.phase, breakout_core::Phase::Idle));

    // The host's authoritative view agrees.
    let Ok(Reply::State { view }) = host.request(Request::GetState).await else {
        panic!("state expected");
    };
    assert_eq!(view.rooms[0].members.as_ref().map(Vec::len), Some(11));
    assert!(view.rooms[0].members.iter().flatten().all(|m| m.connected));

    for bot in people {
        bot.stop().await;
    }
    host.stop().await;
}
