//! Recording rooms: who may start and stop it, that it is per room or for
//! every room, and that everyone who sees a recorded room sees that it is.

mod common;

use breakout_core::{Actor, Command, EventBody, Meeting, ParticipantId, Refusal, RoomId};
use common::*;

fn running() -> Sim {
    let mut sim = Sim::with(4, 2, instant_config());
    sim.add(COHOST, "cohost");
    sim.add(PRESENTER, "presenter");
    sim.assign(p(1), sim.room(0));
    sim.assign(p(2), sim.room(1));
    sim.host(Command::Start);
    sim
}

fn record(room: Option<RoomId>, active: bool) -> Command {
    Command::Record { room, active }
}

/// Whether `viewer` sees `room` as recorded (`None`: the room is not in
/// their view at all).
fn seen_recording(m: &Meeting, viewer: ParticipantId, room: RoomId) -> Option<bool> {
    let view = m.view_for(viewer, T0).expect("in the meeting");
    view.rooms
        .iter()
        .find(|r| r.id == room)
        .map(|r| r.recording)
}

#[test]
fn only_hosts_and_cohosts_start_or_stop_a_recording() {
    let mut sim = running();
    let room = sim.room(0);
    for actor in [who(p(1)), who(PRESENTER)] {
        for command in [record(Some(room), true), record(None, true)] {
            let refusal = sim.refuse(actor, command);
            assert_eq!(refusal.code(), "permission_denied");
            assert_eq!(
                refusal.to_string(),
                "your role does not allow you to record rooms"
            );
        }
    }
    assert!(
        sim.m.recorded_rooms().is_empty(),
        "a refusal records nothing"
    );
    let refusal = sim.refuse(Actor::System, record(Some(room), true));
    assert!(
        matches!(refusal, Refusal::InvalidInput { .. }),
        "{refusal:?}"
    );
    sim.cmd(who(COHOST), record(Some(room), true));
    assert_eq!(sim.m.recorded_rooms(), vec![room]);
    sim.host(record(Some(room), false));
    assert!(sim.m.recorded_rooms().is_empty());
}

#[test]
fn a_room_that_does_not_exist_is_refused() {
    let mut sim = running();
    let refusal = sim.refuse(who(HOST), record(Some(RoomId(999)), true));
    assert_eq!(refusal.code(), "room_not_found");
    assert!(sim.m.recorded_rooms().is_empty());
}

#[test]
fn all_rooms_at_once_and_one_room_alone() {
    let mut sim = running();
    let (main, r1, r2) = (RoomId::MAIN, sim.room(0), sim.room(1));
    sim.host(record(None, true));
    assert_eq!(sim.m.recorded_rooms(), vec![main, r1, r2]);
    sim.host(record(Some(r1), false));
    assert_eq!(sim.m.recorded_rooms(), vec![main, r2]);
    sim.host(record(None, false));
    assert!(sim.m.recorded_rooms().is_empty());
}

#[test]
fn everyone_in_a_recorded_room_sees_it_and_is_told() {
    let mut sim = running();
    let (r1, r2) = (sim.room(0), sim.room(1));
    let events = sim.host(record(Some(r1), true));
    let told = events
        .iter()
        .find(|e| matches!(e.body, EventBody::RoomsChanged))
        .map(|e| recipients(&sim.m, &e.to))
        .expect("the change is announced");
    assert!(told.contains(&p(1)) && told.contains(&p(2)), "{told:?}");
    assert_eq!(seen_recording(&sim.m, p(1), r1), Some(true), "inside");
    assert_eq!(seen_recording(&sim.m, HOST, r1), Some(true), "the host");
    assert_eq!(seen_recording(&sim.m, HOST, r2), Some(false));
    assert_eq!(seen_recording(&sim.m, p(2), r2), Some(false), "next door");
    // Moving in puts you in the recorded room; the view says so.
    sim.assign(p(2), r1);
    assert_eq!(sim.room_of(p(2)), r1);
    assert_eq!(seen_recording(&sim.m, p(2), r1), Some(true));
}

#[test]
fn the_recording_switch_survives_a_snapshot_and_leaves_with_its_room() {
    let mut sim = Sim::with(2, 2, instant_config());
    let (r1, r2) = (sim.room(0), sim.room(1));
    sim.host(record(Some(r1), true));
    let restored: Meeting = serde_json::from_str(&serde_json::to_string(&sim.m).unwrap()).unwrap();
    assert_eq!(restored.recorded_rooms(), vec![r1]);
    sim.host(Command::DeleteRoom { room: r1 });
    assert!(sim.m.recorded_rooms().is_empty());
    assert_eq!(seen_recording(&sim.m, HOST, r2), Some(false));
}

#[test]
fn only_those_who_may_record_may_read_the_recordings() {
    let mut sim = running();
    for reader in [HOST, COHOST] {
        assert_eq!(sim.m.may_read_recordings(reader), Ok(()));
    }
    for reader in [p(1), PRESENTER] {
        let refusal = sim.m.may_read_recordings(reader).unwrap_err();
        assert_eq!(refusal.code(), "permission_denied");
    }
    let refusal = sim.m.may_read_recordings(p(999)).unwrap_err();
    assert_eq!(refusal.code(), "unknown_participant");
    // Reading changes nothing.
    sim.host(record(None, true));
    let before = sim.m.clone();
    let _ = sim.m.may_read_recordings(p(1));
    assert_eq!(sim.m, before);
}
