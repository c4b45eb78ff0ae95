//! People: joining and leaving the meeting, moving on their own, visits,
//! help requests and media state.

mod common;

use std::collections::BTreeSet;

use breakout_core::{
    AssignmentMethod, BreakoutConfig, Command, EventBody, MediaState, ParticipantId, Refusal,
    RoomId,
};
use common::*;

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
fn adding_people_checks_their_details() {
    let mut sim = Sim::with(0, 0, instant_config());
    let events = sim.system(Command::AddParticipant {
        participant: p(1),
        name: "  Ada  ".into(),
        email: Some(" Ada@Example.COM ".into()),
        preset: "participant".into(),
    });
    let ada = sim.m.participant(p(1)).unwrap();
    assert_eq!(ada.name, "Ada");
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert_eq!(ada.room, RoomId::MAIN);
    assert_eq!(
        ada.media,
        MediaState {
            mic: false,
            camera: false
        }
    );
    let entered = sent(&sim.m, &events, |b| {
        matches!(
            b,
            EventBody::MemberEntered {
                room: RoomId::MAIN,
                ..
            }
        )
    });
    assert_eq!(entered[0].0, BTreeSet::from([HOST]), "the others, not Ada");

    for (name, email) in [("", None), ("   ", None), ("Bob", Some("not-an-email"))] {
        let refusal = sim.refuse(
            who(HOST),
            Command::AddParticipant {
                participant: p(2),
                name: name.into(),
                email: email.map(Into::into),
                preset: "participant".into(),
            },
        );
        assert!(
            matches!(
                refusal,
                Refusal::InvalidInput { .. } | Refusal::InvalidName { .. }
            ),
            "{refusal:?}"
        );
    }
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::AddParticipant {
                participant: p(1),
                name: "Ada again".into(),
                email: None,
                preset: "participant".into(),
            }
        ),
        Refusal::DuplicateParticipant(p(1))
    );
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::AddParticipant {
                participant: p(2),
                name: "Bob".into(),
                email: None,
                preset: "king".into(),
            }
        ),
        Refusal::UnknownPreset("king".into())
    );
}

#[test]
fn removal_takes_someone_out_of_everything() {
    let mut sim = started(
        4,
        2,
        BreakoutConfig {
            move_countdown_secs: 5,
            ..instant_config()
        },
    );
    let room = sim.m.participant(p(1)).unwrap().assigned.unwrap();
    sim.host(Command::KeepApart {
        participants: vec![p(1), p(2)],
    });
    // Removed while a move is still counting down.
    let events = sim.host(Command::RemoveParticipant { participant: p(1) });
    assert!(sim.m.participant(p(1)).is_none());
    assert!(!sim.in_room(RoomId::MAIN).contains(&p(1)));
    let left = sent(&sim.m, &events, |b| {
        *b == EventBody::MemberLeft {
            room: RoomId::MAIN,
            participant: p(1),
        }
    });
    assert!(!left[0].0.contains(&p(1)));
    assert!(bodies(&events).contains(&&EventBody::ParticipantLeft { participant: p(1) }));
    let events = sim.advance(5);
    assert!(moves(&events).iter().all(|(id, _, _)| *id != p(1)));
    assert!(!sim.in_room(room).contains(&p(1)));
    assert_eq!(
        sim.refuse(who(HOST), Command::RemoveParticipant { participant: p(1) }),
        Refusal::UnknownParticipant(p(1))
    );
    assert_eq!(
        sim.refuse(
            who(p(1)),
            Command::Chat {
                text: "still here?".into()
            }
        ),
        Refusal::UnknownParticipant(p(1))
    );
    assert!(sim.m.view_for(p(1), sim.now).is_none());
}

#[test]
fn people_join_their_assigned_room_only() {
    let mut sim = started(
        4,
        3,
        BreakoutConfig {
            auto_move: false,
            ..instant_config()
        },
    );
    let mine = sim.m.participant(p(1)).unwrap().assigned.unwrap();
    let other = sim.rooms().into_iter().find(|r| *r != mine).unwrap();
    assert_eq!(
        sim.refuse(who(p(1)), Command::JoinRoom { room: other }),
        Refusal::JoinNotAllowed(other)
    );
    assert_eq!(
        sim.refuse(who(p(1)), Command::JoinRoom { room: RoomId(50) }),
        Refusal::RoomNotFound(RoomId(50))
    );
    let events = sim.cmd(who(p(1)), Command::JoinRoom { room: mine });
    assert_eq!(moves(&events), [(p(1), RoomId::MAIN, mine)]);
    // Joining the room one is in is a no-op, not an error.
    assert!(
        sim.cmd(who(p(1)), Command::JoinRoom { room: mine })
            .is_empty()
    );
    // Joining main means leaving.
    sim.cmd(who(p(1)), Command::JoinRoom { room: RoomId::MAIN });
    assert!(sim.room_of(p(1)).is_main());
}

#[test]
fn joining_needs_running_breakouts() {
    let mut sim = Sim::with(2, 2, instant_config());
    sim.assign(p(1), sim.room(0));
    assert_eq!(
        sim.refuse(who(p(1)), Command::JoinRoom { room: sim.room(0) }),
        Refusal::NotRunning
    );
}

#[test]
fn late_arrivals_join_only_if_allowed() {
    for allow_join_later in [true, false] {
        let mut sim = started(
            2,
            2,
            BreakoutConfig {
                allow_join_later,
                assignment: AssignmentMethod::Choose,
                ..instant_config()
            },
        );
        sim.advance(60);
        sim.add(p(3), "participant");
        let room = sim.room(0);
        sim.assign(p(3), room);
        sim.cmd(who(p(3)), Command::LeaveToMain);
        let result = sim.try_cmd(who(p(3)), Command::JoinRoom { room });
        if allow_join_later {
            result.unwrap();
            assert_eq!(sim.room_of(p(3)), room);
        } else {
            assert_eq!(
                sim.refuse(who(p(3)), Command::JoinRoom { room }),
                Refusal::JoinNotAllowed(room)
            );
            assert!(result.is_err());
            // People who were there at the start still may.
            sim.cmd(who(p(1)), Command::LeaveToMain);
            sim.cmd(who(p(1)), Command::JoinRoom { room: sim.room(1) });
        }
    }
}

#[test]
fn leaving_to_main_follows_the_configuration() {
    let mut sim = started(2, 1, instant_config());
    sim.cmd(who(p(1)), Command::LeaveToMain);
    assert!(sim.room_of(p(1)).is_main());
    assert_eq!(
        sim.refuse(who(p(1)), Command::LeaveToMain),
        Refusal::NotInBreakout
    );
    sim.host(Command::Configure {
        config: BreakoutConfig {
            allow_return_to_main: false,
            ..instant_config()
        },
    });
    assert_eq!(
        sim.refuse(who(p(2)), Command::LeaveToMain),
        Refusal::ReturnNotAllowed
    );
    // Managers may always go back.
    sim.host(Command::Visit { room: sim.room(0) });
    sim.host(Command::LeaveToMain);
}

#[test]
fn visits_go_anywhere_and_answer_help() {
    let mut sim = started(6, 3, instant_config());
    sim.add(COHOST, "cohost");
    let room = sim.m.participant(p(1)).unwrap().assigned.unwrap();
    let neighbour = sim
        .in_room(room)
        .into_iter()
        .find(|id| *id != p(1))
        .unwrap();
    let elsewhere = sim
        .m
        .participants()
        .find(|p| p.assigned.is_some() && p.assigned != Some(room))
        .unwrap()
        .id;
    for id in [p(1), neighbour, elsewhere] {
        sim.cmd(who(id), Command::RequestHelp);
    }
    let events = sim.cmd(who(COHOST), Command::Visit { room });
    assert_eq!(sim.room_of(COHOST), room);
    let dismissed: BTreeSet<ParticipantId> = events
        .iter()
        .filter_map(|e| match e.body {
            EventBody::HelpDismissed { participant } => Some(participant),
            _ => None,
        })
        .collect();
    assert_eq!(dismissed, BTreeSet::from([p(1), neighbour]));
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    let open: Vec<ParticipantId> = view.help_requests.iter().map(|h| h.participant).collect();
    assert_eq!(open, [elsewhere]);
    // Visiting main is allowed at any time, a breakout only while running.
    sim.cmd(who(COHOST), Command::Visit { room: RoomId::MAIN });
    sim.host(Command::End);
    assert_eq!(
        sim.refuse(who(COHOST), Command::Visit { room }),
        Refusal::NotRunning
    );
    assert_eq!(
        sim.refuse(who(COHOST), Command::Visit { room: RoomId(99) }),
        Refusal::RoomNotFound(RoomId(99))
    );
}

#[test]
fn help_has_a_ten_second_cooldown_and_can_be_dismissed() {
    let mut sim = started(2, 1, instant_config());
    sim.add(COHOST, "cohost");
    assert_eq!(
        sim.refuse(who(HOST), Command::RequestHelp),
        Refusal::NotInBreakout
    );
    let room = sim.room_of(p(1));
    let asked = sim.now;
    let events = sim.cmd(who(p(1)), Command::RequestHelp);
    let requested = sent(&sim.m, &events, |b| {
        *b == EventBody::HelpRequested {
            participant: p(1),
            room,
        }
    });
    assert_eq!(requested[0].0, BTreeSet::from([HOST, COHOST, p(1)]));
    let view = sim.m.view_for(HOST, sim.now).unwrap();
    assert_eq!(view.help_requests.len(), 1);
    assert_eq!(view.help_requests[0].room, room);
    assert_eq!(view.help_requests[0].at, asked);
    let member = view
        .rooms
        .iter()
        .find(|r| r.id == room)
        .and_then(|r| r.members.as_ref())
        .and_then(|m| m.iter().find(|m| m.id == p(1)))
        .unwrap();
    assert!(
        member.help_requested,
        "the dashboard can highlight the person"
    );

    let retry_at = asked.plus_secs(10);
    sim.advance_ms(9_999);
    assert_eq!(
        sim.refuse(who(p(1)), Command::RequestHelp),
        Refusal::HelpCooldown {
            retry_at,
            wait_secs: 1
        }
    );
    let mine = sim.m.view_for(p(1), sim.now).unwrap().you;
    assert!(mine.help_requested);
    assert_eq!(mine.help_available_at, Some(retry_at));

    let events = sim.host(Command::DismissHelp { participant: p(1) });
    let dismissed = sent(&sim.m, &events, |b| {
        *b == EventBody::HelpDismissed { participant: p(1) }
    });
    assert_eq!(dismissed[0].0, BTreeSet::from([HOST, COHOST, p(1)]));
    assert_eq!(
        sim.refuse(who(HOST), Command::DismissHelp { participant: p(1) }),
        Refusal::NoHelpRequest(p(1))
    );
    // Dismissing does not reset the cooldown.
    assert!(matches!(
        sim.refuse(who(p(1)), Command::RequestHelp),
        Refusal::HelpCooldown { .. }
    ));
    sim.advance_ms(1);
    sim.cmd(who(p(1)), Command::RequestHelp);
    assert_eq!(
        sim.m.view_for(p(1), sim.now).unwrap().you.help_available_at,
        Some(sim.now.plus_secs(10))
    );
}

#[test]
fn leaving_the_room_withdraws_a_help_request() {
    let mut sim = started(2, 1, instant_config());
    sim.cmd(who(p(1)), Command::RequestHelp);
    let events = sim.cmd(who(p(1)), Command::LeaveToMain);
    assert!(bodies(&events).contains(&&EventBody::HelpDismissed { participant: p(1) }));
    assert!(
        sim.m
            .view_for(HOST, sim.now)
            .unwrap()
            .help_requests
            .is_empty()
    );
}

#[test]
fn media_belongs_to_the_person_through_every_move() {
    let mut sim = started(
        6,
        3,
        BreakoutConfig {
            move_countdown_secs: 3,
            closing_countdown_secs: 5,
            ..instant_config()
        },
    );
    sim.advance(3);
    let setting = [(true, true), (true, false), (false, true), (false, false)];
    for i in 1..=6 {
        let (mic, camera) = setting[i as usize % 4];
        sim.cmd(
            who(p(i)),
            Command::SetMedia {
                mic: Some(mic),
                camera: Some(camera),
            },
        );
    }
    sim.host(Command::SetMedia {
        mic: Some(true),
        camera: None,
    });
    let media = |sim: &Sim| -> Vec<(ParticipantId, MediaState)> {
        sim.m.participants().map(|p| (p.id, p.media)).collect()
    };
    let before = media(&sim);
    let room = sim.room(1);
    let steps = [
        Command::Shuffle {
            seed: 5,
            minimise_repeats: false,
        },
        Command::RoundRobin,
        Command::Gather,
        Command::SendToRooms,
        Command::Assign {
            participant: p(1),
            room: Some(room),
        },
        Command::Visit { room },
        Command::AskAllToReturn,
        Command::End,
    ];
    for step in steps {
        let name = step.name();
        sim.host(step);
        assert_eq!(media(&sim), before, "{name}");
        sim.advance(3);
        assert_eq!(media(&sim), before, "after {name}");
    }
    sim.advance(10);
    assert!(sim.all_in_main());
    assert_eq!(media(&sim), before);
}

#[test]
fn media_changes_are_told_to_the_room_and_managers() {
    let mut sim = started(4, 2, instant_config());
    let room = sim.room_of(p(1));
    let events = sim.cmd(
        who(p(1)),
        Command::SetMedia {
            mic: Some(true),
            camera: None,
        },
    );
    let mut expected = sim.in_room(room);
    expected.insert(HOST);
    assert_eq!(sent(&sim.m, &events, |_| true)[0].0, expected);
    assert_eq!(
        sim.m.participant(p(1)).unwrap().media,
        MediaState {
            mic: true,
            camera: false
        }
    );
    // Nothing changes, nothing is told.
    assert!(
        sim.cmd(
            who(p(1)),
            Command::SetMedia {
                mic: Some(true),
                camera: None
            }
        )
        .is_empty()
    );
    let events = sim.host(Command::MuteParticipant { participant: p(1) });
    assert_eq!(
        bodies(&events),
        [&EventBody::MediaChanged {
            participant: p(1),
            mic: false,
            camera: false
        }]
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::MuteParticipant { participant: p(9) }),
        Refusal::UnknownParticipant(p(9))
    );
}

#[test]
fn connection_state_is_reported_to_the_room() {
    let mut sim = started(4, 2, instant_config());
    let room = sim.room_of(p(1));
    let events = sim.system(Command::SetConnected {
        participant: p(1),
        connected: true,
    });
    let mut expected = sim.in_room(room);
    expected.remove(&p(1));
    expected.insert(HOST);
    assert_eq!(sent(&sim.m, &events, |_| true)[0].0, expected);
    assert!(
        sim.system(Command::SetConnected {
            participant: p(1),
            connected: true,
        })
        .is_empty()
    );
    assert_eq!(
        sim.refuse(
            breakout_core::Actor::System,
            Command::SetConnected {
                participant: p(9),
                connected: true
            }
        ),
        Refusal::UnknownParticipant(p(9))
    );
}
