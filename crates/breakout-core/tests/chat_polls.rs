//! Chat and polls, one room each.

mod common;

use std::collections::BTreeSet;

use breakout_core::{BreakoutConfig, Command, EventBody, Meeting, PollId, Refusal, RoomId};
use common::*;

fn started(people: u64, rooms: u16) -> Sim {
    let mut sim = Sim::with(people, rooms, instant_config());
    sim.host(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    });
    sim.host(Command::Start);
    sim
}

fn chat(
    sim: &mut Sim,
    from: breakout_core::ParticipantId,
    text: &str,
) -> Vec<breakout_core::Event> {
    sim.cmd(who(from), Command::Chat { text: text.into() })
}

#[test]
fn chat_stays_in_its_room() {
    let mut sim = started(6, 2);
    let room = sim.room_of(p(1));
    let events = chat(&mut sim, p(1), "  hello room  ");
    let sent = sent(&sim.m, &events, |b| matches!(b, EventBody::Chat { .. }));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, sim.in_room(room), "only the people in the room");
    let EventBody::Chat { message } = sent[0].1 else {
        unreachable!()
    };
    assert_eq!(message.text, "hello room");
    assert_eq!(message.room, room);
    assert_eq!(message.from, p(1));
    assert_eq!(message.at, sim.now);
    assert_eq!(sim.m.chat_history(room), std::slice::from_ref(message));
    assert!(sim.m.chat_history(RoomId::MAIN).is_empty());
    for text in ["", " \n ", &"x".repeat(Meeting::MAX_TEXT_CHARS + 1)] {
        let refusal = sim.refuse(who(p(1)), Command::Chat { text: text.into() });
        assert!(matches!(refusal, Refusal::InvalidInput { .. }));
    }
}

#[test]
fn chat_history_is_kept_in_order_per_room() {
    let mut sim = started(4, 2);
    let a = sim.room_of(p(1));
    let other = sim
        .m
        .participants()
        .find(|p| p.room != a && !p.room.is_main())
        .unwrap()
        .id;
    let b = sim.room_of(other);
    chat(&mut sim, p(1), "one");
    chat(&mut sim, other, "two");
    sim.advance(1);
    chat(&mut sim, p(1), "three");
    chat(&mut sim, HOST, "main");
    let texts = |room| -> Vec<String> {
        sim.m
            .chat_history(room)
            .iter()
            .map(|m| m.text.clone())
            .collect()
    };
    assert_eq!(texts(a), ["one", "three"]);
    assert_eq!(texts(b), ["two"]);
    assert_eq!(texts(RoomId::MAIN), ["main"]);
    let ids: BTreeSet<u64> = [a, b, RoomId::MAIN]
        .iter()
        .flat_map(|r| sim.m.chat_history(*r).iter().map(|m| m.id))
        .collect();
    assert_eq!(ids.len(), 4, "message ids are unique across rooms");
}

#[test]
fn main_chat_outlives_breakout_rooms() {
    let mut sim = started(2, 2);
    sim.cmd(who(p(1)), Command::LeaveToMain);
    chat(&mut sim, p(1), "in main");
    let room = sim.room_of(p(2));
    chat(&mut sim, p(2), "in a breakout");
    sim.host(Command::End);
    chat(&mut sim, p(2), "back in main");
    sim.host(Command::ClearRooms);
    assert!(sim.m.chat_history(room).is_empty(), "gone with its room");
    sim.host(Command::CreateRooms {
        count: 2,
        names: vec![],
    });
    let main: Vec<&str> = sim
        .m
        .chat_history(RoomId::MAIN)
        .iter()
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(main, ["in main", "back in main"]);
    for room in sim.rooms() {
        assert!(sim.m.chat_history(room).is_empty(), "new rooms start empty");
    }
}

#[test]
fn breakout_chat_history_survives_a_round_when_rooms_are_kept() {
    let mut sim = started(2, 1);
    let room = sim.room(0);
    chat(&mut sim, p(1), "round one");
    sim.host(Command::End);
    sim.host(Command::Start);
    assert_eq!(sim.m.chat_history(room).len(), 1);
}

fn poll(sim: &mut Sim, from: breakout_core::ParticipantId) -> PollId {
    let events = sim.cmd(
        who(from),
        Command::CreatePoll {
            question: "Lunch?".into(),
            options: vec!["Yes".into(), "No".into(), "Later".into()],
        },
    );
    events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::PollCreated { poll } => Some(poll.id),
            _ => None,
        })
        .expect("created")
}

#[test]
fn polls_count_one_vote_each_and_close() {
    let mut sim = started(6, 2);
    sim.add(PRESENTER, "presenter");
    let room = sim.room_of(p(1));
    sim.host(Command::Assign {
        participant: PRESENTER,
        room: Some(room),
    });
    let refusal = sim.refuse(
        who(p(1)),
        Command::CreatePoll {
            question: "Q".into(),
            options: vec!["a".into(), "b".into()],
        },
    );
    assert!(matches!(refusal, Refusal::PermissionDenied { .. }));
    let id = poll(&mut sim, PRESENTER);
    let voters: Vec<_> = sim
        .in_room(room)
        .into_iter()
        .filter(|id| *id != PRESENTER)
        .collect();
    assert_eq!(voters.len(), 3);
    for (i, voter) in voters.iter().enumerate() {
        let events = sim.cmd(
            who(*voter),
            Command::Vote {
                poll: id,
                option: (i % 2) as u32,
            },
        );
        let updated = sent(&sim.m, &events, |b| {
            matches!(b, EventBody::PollUpdated { .. })
        });
        assert_eq!(updated[0].0, sim.in_room(room));
    }
    assert_eq!(
        sim.refuse(
            who(voters[0]),
            Command::Vote {
                poll: id,
                option: 2
            }
        ),
        Refusal::AlreadyVoted(id)
    );
    let refusal = sim.refuse(
        who(PRESENTER),
        Command::Vote {
            poll: id,
            option: 3,
        },
    );
    assert!(matches!(refusal, Refusal::InvalidInput { .. }));

    let results = sim.m.poll_view(id, None).unwrap();
    assert_eq!(results.counts, [2, 1, 0]);
    assert_eq!(results.your_vote, None, "events carry no one's vote");
    let mine = sim.m.view_for(voters[1], sim.now).unwrap().polls;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].your_vote, Some(1));

    // Only the creator or a manager closes it.
    let refusal = sim.refuse(who(voters[0]), Command::ClosePoll { poll: id });
    assert!(matches!(refusal, Refusal::PermissionDenied { .. }));
    let events = sim.cmd(who(PRESENTER), Command::ClosePoll { poll: id });
    let closed = sent(
        &sim.m,
        &events,
        |b| matches!(b, EventBody::PollClosed { poll } if poll.closed && poll.counts == [2, 1, 0]),
    );
    assert_eq!(closed[0].0, sim.in_room(room));
    assert_eq!(
        sim.refuse(
            who(PRESENTER),
            Command::Vote {
                poll: id,
                option: 0
            }
        ),
        Refusal::PollClosed(id)
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::ClosePoll { poll: id }),
        Refusal::PollClosed(id)
    );
}

#[test]
fn polls_belong_to_one_room() {
    let mut sim = started(4, 2);
    let room = sim.room_of(p(1));
    let stranger = sim
        .m
        .participants()
        .find(|p| p.room != room && !p.room.is_main())
        .unwrap()
        .id;
    let id = poll(&mut sim, HOST);
    assert!(sim.m.poll_view(id, None).unwrap().room.is_main());
    sim.host(Command::Visit { room });
    let id = poll(&mut sim, HOST);
    assert_eq!(
        sim.refuse(
            who(stranger),
            Command::Vote {
                poll: id,
                option: 0
            }
        ),
        Refusal::PollInOtherRoom(id)
    );
    assert!(sim.m.view_for(stranger, sim.now).unwrap().polls.is_empty());
    sim.cmd(
        who(p(1)),
        Command::Vote {
            poll: id,
            option: 0,
        },
    );
    assert_eq!(
        sim.refuse(
            who(p(1)),
            Command::Vote {
                poll: PollId(99),
                option: 0
            }
        ),
        Refusal::PollNotFound(PollId(99))
    );
    // A manager may close a poll in a room it is not in.
    sim.host(Command::LeaveToMain);
    sim.host(Command::ClosePoll { poll: id });
}

#[test]
fn polls_check_their_input_and_go_with_their_room() {
    let mut sim = Sim::with(2, 1, BreakoutConfig::default());
    for (question, options) in [
        ("", vec!["a", "b"]),
        ("Q", vec!["a"]),
        ("Q", vec!["a", " "]),
        ("Q", vec!["o"; Meeting::MAX_POLL_OPTIONS + 1]),
    ] {
        let refusal = sim.refuse(
            who(HOST),
            Command::CreatePoll {
                question: question.into(),
                options: options.into_iter().map(Into::into).collect(),
            },
        );
        assert!(matches!(refusal, Refusal::InvalidInput { .. }));
    }
    sim.host(Command::Configure {
        config: instant_config(),
    });
    sim.host(Command::Start);
    let room = sim.room(0);
    sim.host(Command::Visit { room });
    let id = poll(&mut sim, HOST);
    sim.host(Command::End);
    sim.host(Command::DeleteRoom { room });
    assert!(sim.m.poll_view(id, None).is_none());
}
