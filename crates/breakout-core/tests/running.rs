//! A round of breakouts: start, moves while running, time, and the end.

mod common;

use std::collections::BTreeSet;

use breakout_core::{
    Actor, Audience, BreakoutConfig, Command, EventBody, ParticipantId, Phase, Refusal, RoomId,
    Timestamp,
};
use common::*;

fn config(move_secs: u32, closing_secs: u32, auto_end: Option<u32>) -> BreakoutConfig {
    BreakoutConfig {
        move_countdown_secs: move_secs,
        closing_countdown_secs: closing_secs,
        auto_end_mins: auto_end,
        ..BreakoutConfig::default()
    }
}

/// `people` participants spread over `rooms` rooms, started.
fn started(people: u64, rooms: u16, config: BreakoutConfig) -> Sim {
    let mut sim = Sim::with(people, rooms, config);
    sim.host(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    });
    sim.host(Command::Start);
    sim
}

#[test]
fn start_needs_rooms_and_an_idle_meeting() {
    let mut sim = Sim::with(2, 0, instant_config());
    assert_eq!(sim.refuse(who(HOST), Command::Start), Refusal::NoRooms);
    sim.host(Command::AddRoom {
        title: None,
        open: true,
    });
    let events = sim.host(Command::Start);
    let started = sent(&sim.m, &events, |b| {
        matches!(b, EventBody::BreakoutsStarted { ends_at: None })
    });
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].0, sim.everyone());
    assert_eq!(
        sim.refuse(who(HOST), Command::Start),
        Refusal::NotWhileRunning
    );
}

#[test]
fn forced_start_moves_people_after_the_move_countdown() {
    let mut sim = Sim::with(4, 2, config(5, 0, None));
    sim.host(Command::AutoAssign {
        seed: 2,
        minimise_repeats: false,
    });
    let start = sim.now;
    let events = sim.host(Command::Start);
    let due = start.plus_secs(5);
    for i in 1..=4 {
        let room = sim.m.participant(p(i)).unwrap().assigned.unwrap();
        let told = sent(&sim.m, &events, |b| {
            *b == EventBody::ChangingMeeting { room, at: due }
        });
        assert!(
            told.iter().any(|(to, _)| *to == BTreeSet::from([p(i)])),
            "p{i} is told where and when"
        );
        assert!(sim.room_of(p(i)).is_main(), "not yet");
    }
    assert_eq!(sim.m.next_deadline(), Some(due));
    assert!(sim.advance_ms(4_999).is_empty());
    let events = sim.advance_ms(1);
    let moved = moves(&events);
    assert_eq!(moved.len(), 4);
    for (id, from, to) in moved {
        assert_eq!(from, RoomId::MAIN);
        assert_eq!(to, sim.m.participant(id).unwrap().assigned.unwrap());
        assert_eq!(sim.room_of(id), to);
    }
    // The batch reports each touched room's full member list once.
    for room in sim.rooms() {
        let updates = sent(
            &sim.m,
            &events,
            |b| matches!(b, EventBody::MembersUpdate { room: r, .. } if *r == room),
        );
        assert_eq!(updates.len(), 1);
        assert!(updates[0].0.is_superset(&sim.in_room(room)));
        assert!(updates[0].0.contains(&HOST));
    }
    assert_eq!(sim.m.next_deadline(), None);
    assert!(sim.advance(60).is_empty(), "fires once");
}

#[test]
fn offered_start_only_invites() {
    let mut sim = Sim::with(
        3,
        2,
        BreakoutConfig {
            auto_move: false,
            ..config(5, 0, None)
        },
    );
    let room = sim.room(0);
    sim.assign(p(1), room);
    let events = sim.host(Command::Start);
    let invites = sent(&sim.m, &events, |b| *b == EventBody::Invited { room });
    assert_eq!(invites.len(), 1);
    assert_eq!(invites[0].0, BTreeSet::from([p(1)]));
    assert_eq!(sim.m.next_deadline(), None);
    sim.advance(60);
    assert!(sim.all_in_main(), "nobody is forced");
    assert_eq!(
        sim.m.view_for(p(1), sim.now).unwrap().you.invited,
        Some(room)
    );
    sim.cmd(who(p(1)), Command::JoinRoom { room });
    assert_eq!(sim.room_of(p(1)), room);
    assert_eq!(sim.m.view_for(p(1), sim.now).unwrap().you.invited, None);
}

#[test]
fn a_move_can_be_redirected_before_it_happens() {
    let mut sim = started(2, 3, config(10, 0, None));
    sim.advance(10);
    let here = sim.room_of(p(1));
    let others: Vec<RoomId> = sim.rooms().into_iter().filter(|r| *r != here).collect();
    let (a, b) = (others[0], others[1]);
    sim.assign(p(1), a);
    sim.advance(3);
    let events = sim.assign(p(1), b);
    let due = sim.now.plus_secs(10);
    assert!(bodies(&events).contains(&&EventBody::ChangingMeeting { room: b, at: due }));
    let events = sim.advance_to(due);
    assert_eq!(moves(&events).len(), 1);
    assert_eq!(sim.room_of(p(1)), b);
}

#[test]
fn a_host_can_move_itself() {
    let mut sim = started(2, 2, config(5, 0, None));
    let room = sim.room(1);
    sim.assign(HOST, room);
    sim.advance(5);
    assert_eq!(sim.room_of(HOST), room);
    // And walk on its own to any room, at once.
    let other = sim.room(0);
    let events = sim.host(Command::JoinRoom { room: other });
    assert_eq!(moves(&events), [(HOST, room, other)]);
    sim.host(Command::LeaveToMain);
    assert!(sim.room_of(HOST).is_main());
}

#[test]
fn shuffle_rebalances_without_losing_anyone() {
    let mut sim = started(17, 4, instant_config());
    sim.add(COHOST, "cohost");
    let everyone = sim.everyone();
    let before: Vec<_> = sim.rooms().iter().map(|r| sim.in_room(*r)).collect();
    let events = sim.host(Command::Shuffle {
        seed: 99,
        minimise_repeats: false,
    });
    assert_eq!(sim.everyone(), everyone);
    let after: Vec<_> = sim.rooms().iter().map(|r| sim.in_room(*r)).collect();
    assert_ne!(before, after);
    let sizes: Vec<usize> = after.iter().map(BTreeSet::len).collect();
    assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
    assert_eq!(sizes.iter().sum::<usize>(), 17);
    assert!(sim.room_of(HOST).is_main() && sim.room_of(COHOST).is_main());
    for (id, _, to) in moves(&events) {
        assert_eq!(sim.m.participant(id).unwrap().assigned, Some(to));
    }
}

#[test]
fn shuffle_only_while_running() {
    let mut sim = Sim::with(4, 2, instant_config());
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::Shuffle {
                seed: 1,
                minimise_repeats: false
            }
        ),
        Refusal::NotRunning
    );
}

#[test]
fn round_robin_moves_everyone_to_the_next_room() {
    let mut sim = started(9, 3, instant_config());
    let rooms = sim.rooms();
    // One person waits in main, still assigned.
    sim.cmd(who(p(9)), Command::LeaveToMain);
    let assigned_9 = sim.m.participant(p(9)).unwrap().assigned.unwrap();
    let before: Vec<BTreeSet<ParticipantId>> = rooms.iter().map(|r| sim.in_room(*r)).collect();
    sim.host(Command::RoundRobin);
    for (i, room) in rooms.iter().enumerate() {
        let came_from = &before[(i + rooms.len() - 1) % rooms.len()];
        assert_eq!(&sim.in_room(*room), came_from, "{room}");
        for id in came_from {
            assert_eq!(sim.m.participant(*id).unwrap().assigned, Some(*room));
        }
    }
    assert!(sim.room_of(p(9)).is_main(), "main is not part of the ring");
    let next_9 = rooms[(rooms.iter().position(|r| *r == assigned_9).unwrap() + 1) % 3];
    assert_eq!(sim.m.participant(p(9)).unwrap().assigned, Some(next_9));
}

#[test]
fn gather_and_send_back_keep_the_round_going() {
    let mut sim = started(6, 3, config(0, 0, Some(30)));
    let placed: Vec<_> = sim.m.participants().map(|p| (p.id, p.room)).collect();
    let phase = sim.m.phase();
    sim.advance(60);
    sim.host(Command::Visit { room: sim.room(0) });
    sim.host(Command::Gather);
    assert!(sim.all_in_main(), "the visiting host too");
    assert_eq!(sim.m.phase(), phase, "timer untouched");
    sim.host(Command::SendToRooms);
    for (id, room) in placed {
        assert_eq!(sim.room_of(id), room);
    }
}

#[test]
fn gather_cancels_moves_still_counting_down() {
    let mut sim = started(4, 2, config(10, 0, None));
    sim.advance(2);
    sim.host(Command::Gather);
    assert_eq!(sim.m.next_deadline(), None);
    sim.advance(60);
    assert!(sim.all_in_main());
    sim.host(Command::SendToRooms);
    let events = sim.advance(10);
    assert_eq!(moves(&events).len(), 4);
}

#[test]
fn the_latest_instruction_wins_over_a_pending_move() {
    // Sending people back to their rooms cancels a gather still counting down.
    let mut sim = started(4, 2, config(10, 0, None));
    sim.advance(10);
    let placed: Vec<_> = sim.m.participants().map(|p| (p.id, p.room)).collect();
    sim.host(Command::Gather);
    sim.advance(2);
    sim.host(Command::SendToRooms);
    sim.advance(60);
    for (id, room) in &placed {
        assert_eq!(sim.room_of(*id), *room, "{id}");
    }

    // A shuffle during a move countdown sends everyone to the new plan.
    for seed in 0..10 {
        let mut sim = started(8, 4, config(10, 0, None));
        sim.advance(10);
        let rooms = sim.rooms();
        for i in 1..=8 {
            let here = rooms.iter().position(|r| *r == sim.room_of(p(i))).unwrap();
            sim.assign(p(i), rooms[(here + 1) % rooms.len()]);
        }
        sim.advance(2);
        sim.host(Command::Shuffle {
            seed,
            minimise_repeats: false,
        });
        sim.advance(60);
        for person in sim.m.participants().filter(|p| p.assigned.is_some()) {
            assert_eq!(Some(person.room), person.assigned, "seed {seed}");
        }
    }

    // A round robin while people are still on their way rotates them too.
    let mut sim = started(6, 3, config(10, 0, None));
    sim.advance(2);
    sim.host(Command::RoundRobin);
    sim.advance(60);
    for person in sim.m.participants().filter(|p| p.assigned.is_some()) {
        assert_eq!(Some(person.room), person.assigned);
    }
}

#[test]
fn ask_all_to_return_lets_people_leave_even_if_returning_is_off() {
    let mut sim = started(
        3,
        1,
        BreakoutConfig {
            allow_return_to_main: false,
            ..instant_config()
        },
    );
    assert_eq!(
        sim.refuse(who(p(1)), Command::LeaveToMain),
        Refusal::ReturnNotAllowed
    );
    let events = sim.host(Command::AskAllToReturn);
    let asked = sent(&sim.m, &events, |b| *b == EventBody::ReturnRequested);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, BTreeSet::from([p(1), p(2), p(3)]));
    assert!(sim.room_of(p(1)) != RoomId::MAIN, "asked, not forced");
    assert!(
        sim.m
            .view_for(p(1), sim.now)
            .unwrap()
            .you
            .flags
            .return_requested
    );
    sim.cmd(who(p(1)), Command::LeaveToMain);
    assert!(sim.room_of(p(1)).is_main());
    // The request is answered by coming back: going in again, it is gone.
    sim.cmd(who(p(1)), Command::JoinRoom { room: sim.room(0) });
    assert_eq!(
        sim.refuse(who(p(1)), Command::LeaveToMain),
        Refusal::ReturnNotAllowed
    );
}

#[test]
fn add_time_and_cancel_auto_end() {
    let mut sim = started(2, 1, config(0, 0, Some(10)));
    let start = sim.now;
    let end = start.plus_mins(10);
    let events = sim.host(Command::AddTime { minutes: 5 });
    let later = end.plus_mins(5);
    assert_eq!(
        sent(&sim.m, &events, |b| *b
            == EventBody::TimeChanged {
                ends_at: Some(later)
            })[0]
            .0,
        sim.everyone()
    );
    assert_eq!(sim.m.next_deadline(), Some(later));
    for minutes in [0, breakout_core::Meeting::MAX_ADD_MINUTES + 1] {
        let refusal = sim.refuse(who(HOST), Command::AddTime { minutes });
        assert!(matches!(refusal, Refusal::InvalidInput { .. }));
    }
    sim.advance_to(end);
    assert!(matches!(sim.m.phase(), Phase::Running { .. }), "extended");
    let events = sim.host(Command::CancelAutoEnd);
    assert!(bodies(&events).contains(&&EventBody::TimeChanged { ends_at: None }));
    assert_eq!(sim.m.next_deadline(), None);
    assert_eq!(
        sim.refuse(who(HOST), Command::CancelAutoEnd),
        Refusal::NoAutomaticEnd
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::AddTime { minutes: 1 }),
        Refusal::NoAutomaticEnd
    );
    sim.advance(24 * 3600);
    assert!(matches!(sim.m.phase(), Phase::Running { .. }), "never ends");
}

#[test]
fn end_counts_down_then_brings_everyone_back() {
    let mut sim = started(6, 3, config(0, 30, None));
    sim.host(Command::Visit { room: sim.room(2) });
    let end = sim.now;
    let events = sim.host(Command::End);
    let returns = end.plus_secs(30);
    let closing = sent(&sim.m, &events, |b| {
        *b == EventBody::Closing { at: returns }
    });
    assert_eq!(closing.len(), 1);
    assert_eq!(closing[0].0, sim.everyone());
    assert_eq!(
        sim.m.phase(),
        Phase::Closing {
            returns_at: returns
        }
    );
    assert!(!sim.all_in_main(), "the countdown runs first");
    // Nothing that moves people is accepted while closing.
    for command in [
        Command::Shuffle {
            seed: 1,
            minimise_repeats: false,
        },
        Command::RoundRobin,
        Command::End,
        Command::Gather,
        Command::Assign {
            participant: p(1),
            room: None,
        },
    ] {
        assert_eq!(sim.refuse(who(HOST), command), Refusal::Closing);
    }
    assert!(sim.advance_ms(29_999).is_empty());
    let events = sim.advance_ms(1);
    assert!(sim.all_in_main());
    assert_eq!(sim.m.phase(), Phase::Idle);
    assert_eq!(count(&events, |b| *b == EventBody::BreakoutsEnded), 1);
    assert_eq!(moves(&events).len(), 7, "six participants and the host");
    assert!(sim.advance(600).is_empty());
}

#[test]
fn people_may_still_leave_while_closing() {
    let mut sim = started(2, 1, config(0, 30, None));
    sim.host(Command::End);
    sim.cmd(who(p(1)), Command::LeaveToMain);
    assert!(sim.room_of(p(1)).is_main());
    assert_eq!(
        sim.refuse(who(p(1)), Command::JoinRoom { room: sim.room(0) }),
        Refusal::Closing
    );
}

#[test]
fn closing_countdown_zero_ends_at_once() {
    let mut sim = started(4, 2, config(0, 0, None));
    let events = sim.host(Command::End);
    assert!(sim.all_in_main());
    assert_eq!(sim.m.phase(), Phase::Idle);
    assert_eq!(count(&events, |b| *b == EventBody::BreakoutsEnded), 1);
    assert_eq!(
        count(&events, |b| matches!(b, EventBody::Closing { .. })),
        0
    );
    assert_eq!(sim.refuse(who(HOST), Command::End), Refusal::NotRunning);
}

#[test]
fn auto_end_fires_exactly_once_at_its_time() {
    let mut sim = started(4, 2, config(5, 20, Some(5)));
    let ends_at = sim.now.plus_mins(5);
    assert!(matches!(
        sim.m.phase(),
        Phase::Running { ends_at: Some(e), .. } if e == ends_at
    ));
    sim.advance(5);
    assert_eq!(sim.m.next_deadline(), Some(ends_at));
    let events = sim.advance_to(Timestamp(ends_at.0 - 1));
    assert!(events.is_empty());
    let events = sim.advance_ms(1);
    let returns = ends_at.plus_secs(20);
    assert_eq!(bodies(&events), [&EventBody::Closing { at: returns }]);
    assert_eq!(sim.m.next_deadline(), Some(returns));
    assert!(sim.advance(19).is_empty());
    let events = sim.advance(1);
    assert_eq!(count(&events, |b| *b == EventBody::BreakoutsEnded), 1);
    assert!(sim.all_in_main());
    assert!(sim.advance(3600).is_empty());
}

#[test]
fn a_late_tick_still_times_everything_from_the_deadlines() {
    let mut sim = started(4, 2, config(5, 20, Some(5)));
    let start = sim.now;
    // The server was away for an hour: every deadline fires once, in order.
    let events = sim.advance(3600);
    let closing: Vec<_> = events
        .iter()
        .filter_map(|e| match e.body {
            EventBody::Closing { at } => Some(at),
            _ => None,
        })
        .collect();
    assert_eq!(closing, [start.plus_mins(5).plus_secs(20)]);
    assert_eq!(count(&events, |b| *b == EventBody::BreakoutsEnded), 1);
    let first_move = events
        .iter()
        .position(|e| matches!(e.body, EventBody::MeetingChanged { .. }))
        .unwrap();
    let closed = events
        .iter()
        .position(|e| matches!(e.body, EventBody::Closing { .. }))
        .unwrap();
    assert!(first_move < closed, "moves due earlier happen first");
    assert!(sim.all_in_main());
    assert_eq!(sim.m.phase(), Phase::Idle);
}

#[test]
fn an_auto_end_during_a_move_countdown_leaves_nobody_behind() {
    let mut sim = started(4, 2, config(0, 0, Some(5)));
    sim.host(Command::Configure {
        config: config(30, 0, Some(5)),
    });
    sim.advance(5 * 60 - 10);
    sim.host(Command::Shuffle {
        seed: 3,
        minimise_repeats: false,
    });
    sim.host(Command::Gather);
    let events = sim.advance(20);
    assert_eq!(count(&events, |b| *b == EventBody::BreakoutsEnded), 1);
    assert!(sim.all_in_main());
    assert_eq!(
        sim.m.next_deadline(),
        None,
        "cancelled moves do not fire later"
    );
    assert!(sim.advance(60).is_empty());
}

#[test]
fn every_exit_path_lands_in_main() {
    // End with a countdown, end at once, automatic end, and a room deleted
    // after a round: in each case everyone is in main and the room exists.
    for (move_secs, closing, how) in [(0, 10, "end"), (5, 0, "end"), (5, 10, "auto")] {
        let mut sim = started(8, 4, config(move_secs, closing, Some(5)));
        sim.advance(2);
        sim.host(Command::Visit { room: sim.room(3) });
        if how == "end" {
            sim.host(Command::End);
        }
        sim.advance(3600);
        assert!(sim.all_in_main(), "{how} {move_secs} {closing}");
        assert_eq!(sim.m.next_deadline(), None);
        for room in sim.rooms() {
            sim.host(Command::DeleteRoom { room });
        }
        assert!(sim.all_in_main());
        assert!(sim.m.participants().all(|p| p.assigned.is_none()));
    }
}

#[test]
fn broadcast_reaches_the_chosen_room_and_roles() {
    let mut sim = started(4, 2, instant_config());
    sim.add(COHOST, "cohost");
    sim.add(PRESENTER, "presenter");
    let room = sim.room(0);
    sim.assign(PRESENTER, room);
    let events = sim.host(Command::Broadcast {
        text: "Five minutes left".into(),
        room: None,
        audience: Audience::Everyone,
    });
    assert_eq!(sent(&sim.m, &events, |_| true)[0].0, sim.everyone());

    let events = sim.host(Command::Broadcast {
        text: "Room one only".into(),
        room: Some(room),
        audience: Audience::Everyone,
    });
    let mut expected = sim.in_room(room);
    expected.extend([HOST, COHOST]);
    assert_eq!(sent(&sim.m, &events, |_| true)[0].0, expected);

    let events = sim.host(Command::Broadcast {
        text: "Presenters".into(),
        room: None,
        audience: Audience::Presenters,
    });
    assert_eq!(
        sent(&sim.m, &events, |_| true)[0].0,
        BTreeSet::from([HOST, COHOST, PRESENTER])
    );
    let events = sim.cmd(
        Actor::System,
        Command::Broadcast {
            text: "Participants".into(),
            room: None,
            audience: Audience::Participants,
        },
    );
    let mut expected: BTreeSet<_> = (1..=4).map(p).collect();
    expected.extend([HOST, COHOST]);
    assert_eq!(sent(&sim.m, &events, |_| true)[0].0, expected);

    for (text, room) in [("", None), ("x", Some(RoomId(404)))] {
        assert!(
            sim.try_cmd(
                who(HOST),
                Command::Broadcast {
                    text: text.into(),
                    room,
                    audience: Audience::Everyone,
                },
            )
            .is_err()
        );
    }
}

#[test]
fn a_room_cannot_vanish_under_a_pending_move() {
    // Moves only count down while breakouts run, and rooms can only be
    // deleted when they do not: nobody can be on the way to a missing room.
    let mut sim = started(4, 2, config(10, 5, None));
    let room = sim.m.participant(p(1)).unwrap().assigned.unwrap();
    assert!(
        sim.m
            .view_for(p(1), sim.now)
            .unwrap()
            .you
            .pending_move
            .is_some()
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::DeleteRoom { room }),
        Refusal::NotWhileRunning
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::ClearRooms),
        Refusal::NotWhileRunning
    );
    // Ending cancels the moves still counting down; after the closing
    // countdown everyone is in main and the room may go.
    sim.host(Command::End);
    assert!(
        sim.m
            .view_for(p(1), sim.now)
            .unwrap()
            .you
            .pending_move
            .is_none()
    );
    sim.advance(5);
    assert!(sim.all_in_main());
    sim.host(Command::DeleteRoom { room });
    assert!(sim.advance(60).is_empty(), "no move fires afterwards");
    assert!(sim.all_in_main());
}
