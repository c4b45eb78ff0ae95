//! Configuration and room layout.

mod common;

use breakout_core::{BreakoutConfig, Command, EventBody, Meeting, Phase, Refusal, RoomId};
use common::*;

fn configure(sim: &mut Sim, config: BreakoutConfig) -> Result<(), Refusal> {
    sim.try_cmd(who(HOST), Command::Configure { config })
        .map(|_| ())
}

#[test]
fn defaults_follow_the_design() {
    let config = BreakoutConfig::default();
    assert_eq!(config.assignment, breakout_core::AssignmentMethod::Manual);
    assert!(config.allow_return_to_main);
    assert!(config.allow_join_later);
    assert_eq!(config.closing_countdown_secs, 60);
    assert!(config.move_countdown_secs > 0);
    assert_eq!(config.auto_end_mins, Some(30));
    let m = Meeting::new();
    assert_eq!(m.config(), &config);
    assert_eq!(m.phase(), Phase::Idle);
    assert_eq!(m.room(RoomId::MAIN).unwrap().title, Meeting::MAIN_TITLE);
    assert_eq!(m.breakout_rooms().count(), 0);
    m.check_invariants().unwrap();
}

#[test]
fn automatic_end_is_at_least_five_minutes_or_none() {
    let mut sim = Sim::with(1, 1, BreakoutConfig::default());
    for mins in [0, 1, 4, BreakoutConfig::MAX_AUTO_END_MINS + 1] {
        let refusal = sim.refuse(
            who(HOST),
            Command::Configure {
                config: BreakoutConfig {
                    auto_end_mins: Some(mins),
                    ..BreakoutConfig::default()
                },
            },
        );
        assert!(
            matches!(refusal, Refusal::InvalidConfig { .. }),
            "{mins}: {refusal:?}"
        );
    }
    for mins in [Some(5), Some(BreakoutConfig::MAX_AUTO_END_MINS), None] {
        configure(
            &mut sim,
            BreakoutConfig {
                auto_end_mins: mins,
                ..BreakoutConfig::default()
            },
        )
        .unwrap();
        assert_eq!(sim.m.config().auto_end_mins, mins);
    }
}

#[test]
fn countdowns_have_a_maximum_and_zero_means_off() {
    let mut sim = Sim::with(1, 1, BreakoutConfig::default());
    let max = BreakoutConfig::MAX_COUNTDOWN_SECS;
    for config in [
        BreakoutConfig {
            move_countdown_secs: max + 1,
            ..BreakoutConfig::default()
        },
        BreakoutConfig {
            closing_countdown_secs: max + 1,
            ..BreakoutConfig::default()
        },
    ] {
        let refusal = sim.refuse(who(HOST), Command::Configure { config });
        assert!(matches!(refusal, Refusal::InvalidConfig { .. }));
    }
    for secs in [0, max] {
        configure(
            &mut sim,
            BreakoutConfig {
                move_countdown_secs: secs,
                closing_countdown_secs: secs,
                ..BreakoutConfig::default()
            },
        )
        .unwrap();
    }
}

#[test]
fn configuration_is_announced_to_everyone() {
    let mut sim = Sim::with(2, 1, BreakoutConfig::default());
    let events = sim.host(Command::Configure {
        config: instant_config(),
    });
    let sent = sent(
        &sim.m,
        &events,
        |b| matches!(b, EventBody::ConfigChanged { config } if *config == instant_config()),
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, sim.everyone());
}

#[test]
fn create_rooms_names_them_and_replaces_the_old_ones() {
    let mut sim = Sim::with(2, 0, instant_config());
    sim.host(Command::CreateRooms {
        count: 3,
        names: vec!["Red".into(), "  Blue  ".into()],
    });
    let titles: Vec<String> = sim.m.breakout_rooms().map(|r| r.title.clone()).collect();
    assert_eq!(titles, ["Red", "Blue", "Room 3"]);
    let old = sim.rooms();
    sim.assign(p(1), old[0]);

    let events = sim.host(Command::CreateRooms {
        count: 2,
        names: vec![],
    });
    let new = sim.rooms();
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|r| !old.contains(r)), "fresh ids");
    assert_eq!(sim.m.participant(p(1)).unwrap().assigned, None);
    assert_eq!(
        count(&events, |b| matches!(
            b,
            EventBody::AssignmentChanged { room: None, .. }
        )),
        1
    );
    assert_eq!(count(&events, |b| *b == EventBody::RoomsChanged), 1);
}

#[test]
fn create_rooms_checks_its_input() {
    let mut sim = Sim::with(1, 0, instant_config());
    for (count, names) in [
        (0, vec![]),
        ((Meeting::MAX_ROOMS + 1) as u16, vec![]),
        (1, vec!["a".to_string(), "b".to_string()]),
        (2, vec!["   ".to_string()]),
        (1, vec!["x".repeat(Meeting::MAX_NAME_CHARS + 1)]),
    ] {
        let refusal = sim.refuse(who(HOST), Command::CreateRooms { count, names });
        assert!(
            matches!(
                refusal,
                Refusal::InvalidInput { .. } | Refusal::InvalidName { .. }
            ),
            "{refusal:?}"
        );
    }
}

#[test]
fn layout_changes_that_strand_people_wait_for_idle() {
    let mut sim = Sim::with(2, 2, instant_config());
    let room = sim.room(0);
    sim.assign(p(1), room);
    sim.host(Command::Start);
    assert_eq!(
        sim.refuse(who(HOST), Command::DeleteRoom { room }),
        Refusal::NotWhileRunning
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::ClearRooms),
        Refusal::NotWhileRunning
    );
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::CreateRooms {
                count: 4,
                names: vec![]
            }
        ),
        Refusal::NotWhileRunning
    );
    // Adding, renaming and opening are harmless mid-round.
    sim.host(Command::AddRoom {
        title: Some("Late room".into()),
        open: false,
    });
    assert_eq!(sim.rooms().len(), 3);
    sim.host(Command::RenameRoom {
        room,
        title: "Renamed".into(),
    });
    assert_eq!(sim.m.room(room).unwrap().title, "Renamed");
    sim.host(Command::SetRoomOpen { room, open: false });
    assert!(!sim.m.room(room).unwrap().open);
    assert_eq!(sim.room_of(p(1)), room, "nobody moved");

    // While closing too.
    sim.host(Command::Configure {
        config: BreakoutConfig {
            closing_countdown_secs: 10,
            ..instant_config()
        },
    });
    sim.host(Command::End);
    assert_eq!(
        sim.refuse(who(HOST), Command::DeleteRoom { room }),
        Refusal::NotWhileRunning
    );
    sim.advance(10);
    sim.host(Command::DeleteRoom { room });
    assert!(sim.m.room(room).is_none());
}

#[test]
fn deleting_a_room_drops_its_assignments_and_polls_only() {
    let mut sim = Sim::with(3, 2, instant_config());
    let (a, b) = (sim.room(0), sim.room(1));
    sim.assign(p(1), a);
    sim.assign(p(2), b);
    let events = sim.host(Command::DeleteRoom { room: a });
    assert_eq!(sim.rooms(), [b]);
    assert_eq!(sim.m.participant(p(1)).unwrap().assigned, None);
    assert_eq!(sim.m.participant(p(2)).unwrap().assigned, Some(b));
    assert_eq!(count(&events, |e| *e == EventBody::RoomsChanged), 1);
    assert_eq!(
        sim.refuse(who(HOST), Command::DeleteRoom { room: a }),
        Refusal::RoomNotFound(a)
    );
    assert_eq!(
        sim.refuse(who(HOST), Command::DeleteRoom { room: RoomId::MAIN }),
        Refusal::MainRoomIsFixed
    );
}

#[test]
fn clear_rooms_leaves_only_main() {
    let mut sim = Sim::with(3, 4, instant_config());
    sim.host(Command::AutoAssign {
        seed: 3,
        minimise_repeats: false,
    });
    sim.host(Command::ClearRooms);
    assert_eq!(sim.rooms(), []);
    assert!(sim.m.participants().all(|p| p.assigned.is_none()));
    assert!(sim.m.room(RoomId::MAIN).is_some());
    assert_eq!(sim.refuse(who(HOST), Command::Start), Refusal::NoRooms);
}

#[test]
fn rename_and_open_check_the_room() {
    let mut sim = Sim::with(1, 1, instant_config());
    let ghost = RoomId(77);
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::RenameRoom {
                room: ghost,
                title: "x".into()
            }
        ),
        Refusal::RoomNotFound(ghost)
    );
    assert_eq!(
        sim.refuse(
            who(HOST),
            Command::SetRoomOpen {
                room: RoomId::MAIN,
                open: false
            }
        ),
        Refusal::MainRoomIsFixed
    );
    let refusal = sim.refuse(
        who(HOST),
        Command::RenameRoom {
            room: sim.room(0),
            title: "\n".into(),
        },
    );
    assert!(matches!(refusal, Refusal::InvalidName { .. }));
}

#[test]
fn added_rooms_get_distinct_default_names() {
    let mut sim = Sim::with(1, 3, instant_config());
    sim.host(Command::DeleteRoom { room: sim.room(0) });
    sim.host(Command::AddRoom {
        title: None,
        open: true,
    });
    let mut titles: Vec<String> = sim.m.breakout_rooms().map(|r| r.title.clone()).collect();
    let count = titles.len();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), count, "{titles:?}");
}

#[test]
fn rooms_and_assignments_are_kept_for_a_new_round() {
    let mut sim = Sim::with(4, 2, instant_config());
    sim.host(Command::AutoAssign {
        seed: 9,
        minimise_repeats: false,
    });
    let plan: Vec<_> = sim.m.participants().map(|p| (p.id, p.assigned)).collect();
    let rooms = sim.rooms();
    for _round in 0..3 {
        sim.host(Command::Start);
        for (id, room) in &plan {
            assert_eq!(sim.room_of(*id), room.unwrap_or(RoomId::MAIN));
        }
        sim.host(Command::End);
        assert!(sim.all_in_main());
        assert_eq!(sim.rooms(), rooms);
        let now: Vec<_> = sim.m.participants().map(|p| (p.id, p.assigned)).collect();
        assert_eq!(now, plan);
    }
}

#[test]
fn room_limit_is_enforced() {
    let mut sim = Sim::with(0, Meeting::MAX_ROOMS as u16, instant_config());
    let refusal = sim.refuse(
        who(HOST),
        Command::AddRoom {
            title: None,
            open: true,
        },
    );
    assert!(matches!(refusal, Refusal::InvalidInput { .. }));
}
