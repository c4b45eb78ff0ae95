//! Read-side rules: who may read which chat and export assignments, and
//! the one rule for entering a room that commands and views share.

mod common;

use breakout_core::{AssignmentMethod, BreakoutConfig, Command, Refusal, RoomId};
use common::*;

#[test]
fn chat_is_read_in_ones_own_room_or_by_managers() {
    let mut sim = Sim::with(2, 2, instant_config());
    let (a, b) = (sim.room(0), sim.room(1));
    sim.assign(p(1), a);
    sim.assign(p(2), b);
    sim.host(Command::Start);
    sim.cmd(who(p(1)), Command::Chat { text: "hi".into() });
    assert_eq!(sim.m.chat_for(p(1), None).unwrap().len(), 1);
    assert_eq!(sim.m.chat_for(p(1), Some(a)).unwrap().len(), 1);
    assert_eq!(sim.m.chat_for(HOST, Some(a)).unwrap().len(), 1);
    assert_eq!(
        sim.m.chat_for(p(2), Some(a)).unwrap_err().code(),
        "permission_denied"
    );
    assert_eq!(
        sim.m.chat_for(p(9), None).unwrap_err(),
        Refusal::UnknownParticipant(p(9))
    );
}

#[test]
fn reading_the_chat_of_a_deleted_room_is_not_found() {
    let mut sim = Sim::with(1, 2, instant_config());
    let room = sim.room(0);
    sim.host(Command::DeleteRoom { room });
    assert_eq!(
        sim.m.chat_for(HOST, Some(room)).unwrap_err(),
        Refusal::RoomNotFound(room)
    );
}

#[test]
fn only_managers_export_assignments() {
    let mut sim = Sim::with(1, 1, instant_config());
    sim.add(COHOST, "cohost");
    let room = sim.room(0);
    sim.assign(p(1), room);
    assert!(sim.m.assignments_csv_for(HOST).unwrap().contains("Room 1"));
    assert!(sim.m.assignments_csv_for(COHOST).is_ok());
    assert_eq!(
        sim.m.assignments_csv_for(p(1)).unwrap_err(),
        Refusal::PermissionDenied {
            action: "export assignments"
        }
    );
}

#[test]
fn presets_are_looked_up_by_name() {
    let sim = Sim::new();
    assert_eq!(sim.m.preset("cohost").unwrap().name, "cohost");
    assert_eq!(
        sim.m.preset("admin").unwrap_err(),
        Refusal::UnknownPreset("admin".into())
    );
}

/// What the view offers as joinable is exactly what `join_room` accepts.
#[test]
fn the_view_and_join_room_agree_on_who_may_enter() {
    for assignment in [AssignmentMethod::Manual, AssignmentMethod::Choose] {
        for allow_join_later in [false, true] {
            let config = BreakoutConfig {
                assignment,
                allow_join_later,
                ..instant_config()
            };
            let mut sim = Sim::with(2, 3, config);
            let rooms = sim.rooms();
            sim.host(Command::SetRoomOpen {
                room: rooms[2],
                open: false,
            });
            sim.assign(p(1), rooms[0]);
            sim.host(Command::Start);
            sim.advance(1);
            sim.add(p(3), "participant");
            sim.assign(p(3), rooms[1]);
            for person in [HOST, p(1), p(2), p(3)] {
                for room in rooms.iter().copied().chain([RoomId::MAIN]) {
                    let view = sim.m.view_for(person, sim.now).unwrap();
                    let offered = view
                        .rooms
                        .iter()
                        .find(|r| r.id == room)
                        .is_some_and(|r| r.can_join);
                    let mut trial = sim.clone();
                    let own = trial.room_of(person) == room;
                    let accepted = trial
                        .try_cmd(who(person), Command::JoinRoom { room })
                        .is_ok();
                    assert_eq!(
                        offered,
                        accepted && !own,
                        "{person} into {room} ({assignment:?}, late joining {allow_join_later})"
                    );
                    assert_eq!(sim.m.may_join(person, room).is_ok() && !own, offered);
                }
            }
        }
    }
}
