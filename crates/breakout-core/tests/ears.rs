//! Listening in and speaking to all rooms: who may, what it changes (only
//! itself: nobody's room, mic or camera), who is told, and when it stops
//! by itself.

mod common;

use breakout_core::{Actor, BreakoutConfig, Command, Meeting, ParticipantId, Refusal, RoomId};
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

fn listen(room: Option<RoomId>) -> Command {
    Command::ListenIn { room }
}

fn listeners_seen(m: &Meeting, viewer: ParticipantId, room: RoomId) -> Vec<ParticipantId> {
    let view = m.view_for(viewer, T0).expect("in the meeting");
    view.rooms
        .iter()
        .find(|r| r.id == room)
        .map(|r| r.listeners.clone())
        .unwrap_or_default()
}

/// Where everyone is and their mic and camera.
fn places(m: &Meeting) -> Vec<(ParticipantId, RoomId, bool, bool)> {
    m.participants()
        .map(|p| (p.id, p.room, p.media.mic, p.media.camera))
        .collect()
}

#[test]
fn only_hosts_and_cohosts_listen_in_or_speak_to_all() {
    let mut sim = running();
    let room = sim.room(0);
    for actor in [who(p(1)), who(PRESENTER)] {
        for command in [listen(Some(room)), Command::SpeakToAll { active: true }] {
            let refusal = sim.refuse(actor, command);
            assert_eq!(refusal.code(), "permission_denied");
            assert!(refusal.to_string().starts_with("your role does not allow"));
        }
    }
    // The system is nobody: it has no ears or voice.
    let refusal = sim.refuse(Actor::System, listen(Some(room)));
    assert!(
        matches!(refusal, Refusal::InvalidInput { .. }),
        "{refusal:?}"
    );
    for actor in [who(HOST), who(COHOST)] {
        sim.cmd(actor, listen(Some(room)));
    }
    assert_eq!(sim.m.listeners(room), vec![HOST, COHOST]);
}

#[test]
fn listening_changes_nobodys_room_or_media_and_switches_at_once() {
    let mut sim = running();
    sim.cmd(
        who(HOST),
        Command::SetMedia {
            mic: Some(true),
            camera: Some(false),
        },
    );
    let before = places(&sim.m);
    let (r1, r2) = (sim.room(0), sim.room(1));
    sim.host(listen(Some(r1)));
    sim.host(listen(Some(r2)));
    assert_eq!(sim.m.participant(HOST).unwrap().listening, Some(r2));
    assert!(sim.m.listeners(r1).is_empty(), "one room at a time");
    assert_eq!(places(&sim.m), before);
    sim.host(listen(None));
    assert!(sim.m.listeners(r2).is_empty());
    assert_eq!(places(&sim.m), before);
}

#[test]
fn entering_the_room_one_listens_to_ends_the_listening() {
    let mut sim = running();
    let (r1, r2) = (sim.room(0), sim.room(1));
    sim.host(listen(Some(r1)));
    sim.host(Command::Visit { room: r2 });
    assert_eq!(sim.m.participant(HOST).unwrap().listening, Some(r1));
    sim.host(Command::Visit { room: r1 });
    assert_eq!(sim.m.participant(HOST).unwrap().listening, None);
    assert!(listeners_seen(&sim.m, p(1), r1).is_empty());
}

#[test]
fn listening_needs_another_existing_room() {
    let mut sim = running();
    assert_eq!(
        sim.refuse(who(HOST), listen(Some(RoomId(99)))),
        Refusal::RoomNotFound(RoomId(99))
    );
    let refusal = sim.refuse(who(HOST), listen(Some(RoomId::MAIN)));
    assert_eq!(refusal, Refusal::ListenToOwnRoom(RoomId::MAIN));
    assert_eq!(refusal.code(), "listen_to_own_room");
}

#[test]
fn members_see_a_listener_when_the_meeting_announces_them() {
    let mut sim = running();
    let (r1, r2) = (sim.room(0), sim.room(1));
    sim.host(listen(Some(r1)));
    // p(1) is in r1, p(2) in r2; managers see every room's listeners.
    assert_eq!(listeners_seen(&sim.m, p(1), r1), vec![HOST]);
    assert!(listeners_seen(&sim.m, p(2), r2).is_empty());
    assert_eq!(listeners_seen(&sim.m, COHOST, r1), vec![HOST]);

    let quiet = BreakoutConfig {
        announce_listeners: false,
        ..instant_config()
    };
    sim.host(Command::Configure { config: quiet });
    assert!(listeners_seen(&sim.m, p(1), r1).is_empty());
    assert_eq!(listeners_seen(&sim.m, COHOST, r1), vec![HOST]);
}

#[test]
fn one_voice_speaks_to_all_rooms_at_a_time() {
    let mut sim = running();
    let before = places(&sim.m);
    sim.host(Command::SpeakToAll { active: true });
    assert_eq!(sim.m.speaking_to_all(), Some(HOST));
    // Everyone, participants included, is told who speaks to them all.
    let seen = sim.m.view_for(p(2), T0).unwrap().speaking_to_all;
    assert_eq!(seen.map(|m| (m.id, m.name)), Some((HOST, "P1".to_string())));

    let refusal = sim.refuse(who(COHOST), Command::SpeakToAll { active: true });
    assert_eq!(refusal.code(), "speak_to_all_taken");
    assert!(refusal.to_string().contains("is speaking to all rooms"));
    // Letting go of a button one does not hold changes nothing.
    sim.cmd(who(COHOST), Command::SpeakToAll { active: false });
    assert_eq!(sim.m.speaking_to_all(), Some(HOST));

    sim.host(Command::SpeakToAll { active: false });
    assert_eq!(sim.m.speaking_to_all(), None);
    sim.cmd(who(COHOST), Command::SpeakToAll { active: true });
    assert_eq!(sim.m.speaking_to_all(), Some(COHOST));
    assert_eq!(places(&sim.m), before, "nobody moved, no mic changed");
}

#[test]
fn a_lost_connection_stops_listening_and_speaking() {
    let mut sim = running();
    sim.system(Command::SetConnected {
        participant: HOST,
        connected: true,
    });
    sim.host(listen(Some(sim.room(0))));
    sim.host(Command::SpeakToAll { active: true });
    sim.system(Command::SetConnected {
        participant: HOST,
        connected: false,
    });
    assert_eq!(sim.m.participant(HOST).unwrap().listening, None);
    assert_eq!(sim.m.speaking_to_all(), None);
}

#[test]
fn removed_people_and_deleted_rooms_leave_nothing_behind() {
    let mut sim = Sim::with(2, 2, instant_config());
    sim.add(COHOST, "cohost");
    let room = sim.room(1);
    sim.cmd(who(COHOST), listen(Some(room)));
    sim.cmd(who(COHOST), Command::SpeakToAll { active: true });
    sim.host(Command::DeleteRoom { room });
    assert_eq!(sim.m.participant(COHOST).unwrap().listening, None);
    sim.host(Command::RemoveParticipant {
        participant: COHOST,
    });
    assert_eq!(sim.m.speaking_to_all(), None);
    sim.m.check_invariants().expect("invariants hold");
}
