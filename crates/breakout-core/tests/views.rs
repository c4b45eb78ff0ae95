//! What each person may see, in views and in the events they receive.

mod common;

use std::collections::BTreeSet;

use breakout_core::{
    AssignmentMethod, BreakoutConfig, Command, Event, MeetingView, ParticipantId, Phase, RoomId,
};
use common::*;

fn view(sim: &Sim, id: ParticipantId) -> MeetingView {
    sim.m.view_for(id, sim.now).expect("in the meeting")
}

fn shown(view: &MeetingView) -> BTreeSet<RoomId> {
    view.rooms.iter().map(|r| r.id).collect()
}

fn check_everyone(sim: &Sim) {
    for id in sim.everyone() {
        check_view(&sim.m, id, sim.now).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

#[test]
fn a_participant_sees_main_and_its_own_room_only() {
    let mut sim = Sim::with(6, 3, instant_config());
    sim.host(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    });
    let mine = sim.m.participant(p(1)).unwrap().assigned.unwrap();
    // Idle: main and the room one is assigned to.
    let v = view(&sim, p(1));
    assert_eq!(shown(&v), BTreeSet::from([RoomId::MAIN, mine]));
    assert!(v.you.flags.assigned && v.you.flags.forced);
    check_everyone(&sim);

    sim.host(Command::Start);
    let v = view(&sim, p(1));
    assert_eq!(v.you.room, mine);
    assert_eq!(shown(&v), BTreeSet::from([RoomId::MAIN, mine]));
    for room in &v.rooms {
        assert_eq!(room.members.is_some(), room.id == mine, "{}", room.id);
        assert!(room.assigned.is_none());
    }
    let listed: BTreeSet<_> = v
        .rooms
        .iter()
        .find(|r| r.id == mine)
        .unwrap()
        .members
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(listed, sim.in_room(mine));
    assert!(v.you.may_return_to_main);
    assert!(v.rooms.iter().find(|r| r.id.is_main()).unwrap().can_join);
    check_everyone(&sim);
}

#[test]
fn managers_see_every_room_member_assignment_and_request() {
    let mut sim = Sim::with(6, 3, instant_config());
    sim.add(COHOST, "cohost");
    sim.host(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    });
    sim.host(Command::Start);
    sim.cmd(who(p(1)), Command::RequestHelp);
    for manager in [HOST, COHOST] {
        let v = view(&sim, manager);
        assert_eq!(v.rooms.len(), 4);
        for room in &v.rooms {
            let members: BTreeSet<_> = room
                .members
                .as_ref()
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect();
            assert_eq!(members, sim.in_room(room.id));
            if !room.id.is_main() {
                let assigned: BTreeSet<_> = room.assigned.clone().unwrap().into_iter().collect();
                assert_eq!(assigned, sim.in_room(room.id));
                assert!(room.can_join, "managers may visit");
            }
        }
        assert_eq!(v.help_requests.len(), 1);
    }
    check_everyone(&sim);
}

#[test]
fn choosing_shows_open_rooms_without_their_members() {
    let mut sim = Sim::with(
        4,
        3,
        BreakoutConfig {
            assignment: AssignmentMethod::Choose,
            ..instant_config()
        },
    );
    let closed = sim.room(2);
    sim.host(Command::SetRoomOpen {
        room: closed,
        open: false,
    });
    sim.host(Command::Start);
    sim.cmd(who(p(2)), Command::JoinRoom { room: sim.room(0) });
    let v = view(&sim, p(1));
    assert!(v.you.flags.allowed);
    assert_eq!(
        shown(&v),
        BTreeSet::from([RoomId::MAIN, sim.room(0), sim.room(1)])
    );
    let first = v.rooms.iter().find(|r| r.id == sim.room(0)).unwrap();
    assert_eq!(first.member_count, 1);
    assert!(first.members.is_none());
    assert!(first.can_join);
    check_everyone(&sim);
    // Before the start nothing can be chosen.
    let mut idle = Sim::with(
        2,
        2,
        BreakoutConfig {
            assignment: AssignmentMethod::Choose,
            ..instant_config()
        },
    );
    assert_eq!(shown(&view(&idle, p(1))), BTreeSet::from([RoomId::MAIN]));
    check_everyone(&idle);
    idle.host(Command::Start);
    assert_eq!(shown(&view(&idle, p(1))).len(), 3);
}

#[test]
fn an_invitation_shows_the_room_and_lets_one_in() {
    let mut sim = Sim::with(
        3,
        3,
        BreakoutConfig {
            auto_move: false,
            ..instant_config()
        },
    );
    let room = sim.room(1);
    sim.assign(p(1), room);
    sim.host(Command::Start);
    let v = view(&sim, p(1));
    assert!(v.you.flags.requested && !v.you.flags.forced);
    assert_eq!(shown(&v), BTreeSet::from([RoomId::MAIN, room]));
    assert!(v.rooms.iter().find(|r| r.id == room).unwrap().can_join);
    assert_eq!(shown(&view(&sim, p(2))), BTreeSet::from([RoomId::MAIN]));
    check_everyone(&sim);
}

#[test]
fn the_view_carries_phase_pending_moves_and_revision() {
    let mut sim = Sim::with(
        2,
        1,
        BreakoutConfig {
            move_countdown_secs: 5,
            ..instant_config()
        },
    );
    let room = sim.room(0);
    sim.assign(p(1), room);
    let revision = view(&sim, p(1)).revision;
    sim.host(Command::Start);
    let v = view(&sim, p(1));
    assert!(v.revision > revision);
    assert!(matches!(v.phase, Phase::Running { .. }));
    let pending = v.you.pending_move.unwrap();
    assert_eq!((pending.room, pending.at), (room, sim.now.plus_secs(5)));
    sim.advance(5);
    assert_eq!(view(&sim, p(1)).you.pending_move, None);
    assert!(sim.m.view_for(ParticipantId(404), sim.now).is_none());
}

/// Runs a scripted session and checks every step's events and everyone's view.
#[test]
fn room_business_never_leaks_to_people_outside() {
    let mut sim = Sim::with(
        9,
        3,
        BreakoutConfig {
            move_countdown_secs: 2,
            closing_countdown_secs: 5,
            ..instant_config()
        },
    );
    sim.add(COHOST, "cohost");
    sim.add(PRESENTER, "presenter");
    let (a, b) = (sim.room(0), sim.room(1));
    let script: Vec<(breakout_core::Actor, Command)> = vec![
        (
            who(HOST),
            Command::AutoAssign {
                seed: 4,
                minimise_repeats: true,
            },
        ),
        (who(HOST), Command::Start),
        (who(p(1)), Command::Chat { text: "hi".into() }),
        (
            who(HOST),
            Command::Assign {
                participant: PRESENTER,
                room: Some(a),
            },
        ),
        (
            who(PRESENTER),
            Command::CreatePoll {
                question: "Q".into(),
                options: vec!["a".into(), "b".into()],
            },
        ),
        (
            who(HOST),
            Command::Shuffle {
                seed: 8,
                minimise_repeats: false,
            },
        ),
        (
            who(p(2)),
            Command::SetMedia {
                mic: Some(true),
                camera: Some(true),
            },
        ),
        (who(HOST), Command::RoundRobin),
        (who(COHOST), Command::Visit { room: b }),
        (
            who(COHOST),
            Command::Chat {
                text: "cohost here".into(),
            },
        ),
        (who(p(3)), Command::LeaveToMain),
        (who(HOST), Command::RemoveParticipant { participant: p(4) }),
        (
            breakout_core::Actor::System,
            Command::AddParticipant {
                participant: p(20),
                name: "Late".into(),
                email: None,
                preset: "participant".into(),
            },
        ),
        (who(HOST), Command::Gather),
        (who(HOST), Command::SendToRooms),
        (who(HOST), Command::End),
    ];
    for (actor, command) in script {
        let name = command.name();
        for secs in [0, 1, 2] {
            let before = sim.m.clone();
            let events: Vec<Event> = if secs == 0 {
                sim.cmd(actor, command.clone())
            } else {
                sim.advance(1)
            };
            check_recipients(&before, &sim.m, &events).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_everyone(&sim);
        }
    }
    let before = sim.m.clone();
    let events = sim.advance(10);
    check_recipients(&before, &sim.m, &events).unwrap();
    assert!(sim.all_in_main());
    check_everyone(&sim);
}

#[test]
fn a_crowded_room_leaves_its_member_list_out_of_a_limited_view() {
    let mut sim = Sim::with(6, 2, instant_config());
    let limited = |sim: &Sim, id, max| {
        sim.m
            .view_with_members_up_to(id, sim.now, max)
            .expect("in the meeting")
    };
    let main_members = |view: &MeetingView| {
        view.rooms
            .iter()
            .find(|r| r.id.is_main())
            .expect("main is shown")
            .members
            .clone()
    };
    // Seven people in main: a limit of 7 keeps the list, 6 drops it, and the
    // count stays either way.
    let kept = limited(&sim, p(1), 7);
    assert_eq!(main_members(&kept), main_members(&view(&sim, p(1))));
    let dropped = limited(&sim, p(1), 6);
    assert_eq!(main_members(&dropped), None);
    let main = dropped.rooms.iter().find(|r| r.id.is_main()).unwrap();
    assert_eq!(main.member_count, 7);
    // Apart from the list, the limited view is the full one.
    let mut full = view(&sim, p(1));
    for room in &mut full.rooms {
        if room.id.is_main() {
            room.members = None;
        }
    }
    assert_eq!(dropped, full);
    // Whoever manages breakouts always gets every list.
    let host = limited(&sim, HOST, 0);
    assert!(host.rooms.iter().all(|r| r.members.is_some()));
    sim.host(Command::AutoAssign {
        seed: 1,
        minimise_repeats: false,
    });
    sim.host(Command::Start);
    // In a room of three, a limit of 6 keeps one's own list.
    let room = sim.room_of(p(1));
    let v = limited(&sim, p(1), 6);
    let own = v.rooms.iter().find(|r| r.id == room).unwrap();
    assert_eq!(own.members.as_ref().map(Vec::len), Some(3));
}
