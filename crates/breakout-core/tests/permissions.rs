//! Presets and permissions: who may do what, and how refusals look.

mod common;

use std::collections::BTreeSet;

use breakout_core::{
    Actor, Audience, BreakoutConfig, Command, Meeting, ParticipantId, Permissions, PollId, Preset,
    Refusal, Role, RoomId,
};
use common::*;

/// Every command that only those who manage breakouts may send, with
/// arguments that a host could use in `sim` as it is.
fn manager_commands(sim: &Sim) -> Vec<Command> {
    let room = sim.room(0);
    vec![
        Command::AddParticipant {
            participant: ParticipantId(900),
            name: "New".into(),
            email: None,
            preset: "participant".into(),
        },
        Command::RemoveParticipant { participant: p(2) },
        Command::Configure {
            config: BreakoutConfig::default(),
        },
        Command::CreateRooms {
            count: 3,
            names: vec![],
        },
        Command::AddRoom {
            title: None,
            open: true,
        },
        Command::RenameRoom {
            room,
            title: "Renamed".into(),
        },
        Command::SetRoomOpen { room, open: false },
        Command::DeleteRoom { room },
        Command::ClearRooms,
        Command::Assign {
            participant: p(2),
            room: Some(room),
        },
        Command::AutoAssign {
            seed: 1,
            minimise_repeats: true,
        },
        Command::ImportAssignments {
            csv: "name,room\nP102,Room 1\n".into(),
        },
        Command::KeepTogether {
            participants: vec![p(1), p(2)],
        },
        Command::KeepApart {
            participants: vec![p(1), p(2)],
        },
        Command::ClearConstraints,
        Command::Start,
        Command::Shuffle {
            seed: 7,
            minimise_repeats: false,
        },
        Command::RoundRobin,
        Command::Gather,
        Command::SendToRooms,
        Command::AskAllToReturn,
        Command::AddTime { minutes: 5 },
        Command::CancelAutoEnd,
        Command::End,
        Command::Broadcast {
            text: "hello".into(),
            room: None,
            audience: Audience::Everyone,
        },
        Command::Visit { room },
        Command::DismissHelp { participant: p(2) },
        Command::MuteParticipant { participant: p(2) },
    ]
}

fn idle_meeting() -> Sim {
    let mut sim = Sim::with(4, 2, BreakoutConfig::default());
    sim.add(COHOST, "cohost");
    sim.add(PRESENTER, "presenter");
    sim
}

fn running_meeting() -> Sim {
    let mut sim = idle_meeting();
    sim.assign(p(2), sim.room(0));
    sim.host(Command::Start);
    sim.advance(10);
    sim.cmd(who(p(2)), Command::RequestHelp);
    sim
}

#[test]
fn participants_and_presenters_may_send_no_manager_command() {
    for mut sim in [idle_meeting(), running_meeting()] {
        for command in manager_commands(&sim) {
            for actor in [who(p(1)), who(PRESENTER)] {
                let name = command.name();
                let refusal = sim.refuse(actor, command.clone());
                assert!(
                    matches!(refusal, Refusal::PermissionDenied { .. }),
                    "{name} by {actor:?}: {refusal:?}"
                );
            }
        }
    }
}

#[test]
fn hosts_cohosts_and_the_system_may_send_every_manager_command() {
    // Idle: the layout commands; running: the rest. Each from a fresh meeting
    // so that earlier commands do not change what later ones find.
    let idle_only = ["delete_room", "clear_rooms", "create_rooms", "start"];
    for actor in [who(HOST), who(COHOST), Actor::System] {
        for command in manager_commands(&idle_meeting()) {
            let name = command.name();
            if !idle_only.contains(&name) {
                continue;
            }
            let mut sim = idle_meeting();
            sim.try_cmd(actor, command)
                .unwrap_or_else(|r| panic!("{name} by {actor:?} refused: {r}"));
        }
        for command in manager_commands(&running_meeting()) {
            let name = command.name();
            if idle_only.contains(&name) {
                continue;
            }
            let mut sim = running_meeting();
            let result = sim.try_cmd(actor, command);
            match (name, actor) {
                // The system is no person and cannot enter a room.
                ("visit", Actor::System) => assert!(result.is_err()),
                _ => {
                    result.unwrap_or_else(|r| panic!("{name} by {actor:?} refused: {r}"));
                }
            }
        }
    }
}

#[test]
fn only_the_system_sets_connections_and_defines_presets() {
    let mut sim = idle_meeting();
    for actor in [who(HOST), who(COHOST), who(p(1))] {
        let refusal = sim.refuse(
            actor,
            Command::SetConnected {
                participant: p(1),
                connected: true,
            },
        );
        assert!(matches!(refusal, Refusal::PermissionDenied { .. }));
        let refusal = sim.refuse(
            actor,
            Command::DefinePreset {
                preset: Preset::participant(),
            },
        );
        assert!(matches!(refusal, Refusal::PermissionDenied { .. }));
    }
    sim.system(Command::SetConnected {
        participant: p(1),
        connected: true,
    });
    assert!(sim.m.participant(p(1)).unwrap().connected);
}

#[test]
fn unknown_senders_are_refused_before_anything_else() {
    let mut sim = idle_meeting();
    let stranger = ParticipantId(4242);
    for command in manager_commands(&sim) {
        assert_eq!(
            sim.refuse(who(stranger), command),
            Refusal::UnknownParticipant(stranger)
        );
    }
    assert_eq!(
        sim.refuse(who(stranger), Command::Chat { text: "hi".into() }),
        Refusal::UnknownParticipant(stranger)
    );
}

#[test]
fn commands_that_need_a_person_are_refused_from_the_system() {
    let mut sim = running_meeting();
    for command in [
        Command::Chat { text: "hi".into() },
        Command::RequestHelp,
        Command::LeaveToMain,
        Command::SetMedia {
            mic: Some(true),
            camera: None,
        },
        Command::JoinRoom { room: sim.room(0) },
    ] {
        let refusal = sim.refuse(Actor::System, command);
        assert!(
            matches!(refusal, Refusal::InvalidInput { .. }),
            "{refusal:?}"
        );
    }
}

#[test]
fn builtin_presets_give_the_documented_roles() {
    let m = Meeting::new();
    let roles: Vec<(String, Role, bool)> = m
        .presets()
        .map(|p| (p.name.clone(), p.role, p.permissions.manage_breakouts))
        .collect();
    for (name, role, manages) in [
        ("host", Role::Host, true),
        ("cohost", Role::Cohost, true),
        ("presenter", Role::Presenter, false),
        ("participant", Role::Participant, false),
    ] {
        assert!(
            roles.contains(&(name.to_string(), role, manages)),
            "{name}: {roles:?}"
        );
    }
    assert!(Preset::presenter().permissions.create_polls);
    assert!(!Preset::participant().permissions.create_polls);
    assert!(!Preset::participant().permissions.switch_rooms);
    assert!(Preset::participant().permissions.return_to_main);
}

#[test]
fn a_defined_preset_grants_exactly_its_permissions() {
    let mut sim = Sim::with(1, 2, instant_config());
    let roamer = Preset {
        name: "roamer".into(),
        role: Role::Participant,
        permissions: Permissions {
            switch_rooms: true,
            chat: false,
            ..Preset::participant().permissions
        },
    };
    sim.system(Command::DefinePreset { preset: roamer });
    sim.add(p(7), "roamer");
    sim.host(Command::Start);
    // May switch to an open room it is not assigned to, may not chat.
    let room = sim.room(1);
    sim.cmd(who(p(7)), Command::JoinRoom { room });
    assert_eq!(sim.room_of(p(7)), room);
    let refusal = sim.refuse(who(p(7)), Command::Chat { text: "hi".into() });
    assert!(matches!(refusal, Refusal::PermissionDenied { .. }));
    // The plain participant still may not.
    let refusal = sim.refuse(who(p(1)), Command::JoinRoom { room });
    assert_eq!(refusal, Refusal::JoinNotAllowed(room));
}

#[test]
fn redefining_a_preset_updates_who_manages() {
    let mut sim = Sim::with(1, 1, instant_config());
    assert!(!sim.m.is_manager(p(1)));
    sim.system(Command::DefinePreset {
        preset: Preset {
            name: "participant".into(),
            ..Preset::cohost()
        },
    });
    assert!(sim.m.is_manager(p(1)));
    sim.cmd(who(p(1)), Command::Start);
    let refusal = sim.refuse(
        Actor::System,
        Command::DefinePreset {
            preset: Preset {
                name: "bad name!".into(),
                ..Preset::cohost()
            },
        },
    );
    assert!(matches!(refusal, Refusal::InvalidInput { .. }));
}

#[test]
fn media_permissions_are_checked() {
    let mut sim = Sim::with(1, 1, instant_config());
    sim.system(Command::DefinePreset {
        preset: Preset {
            name: "listener".into(),
            role: Role::Participant,
            permissions: Permissions {
                publish_audio: false,
                publish_video: false,
                ..Preset::participant().permissions
            },
        },
    });
    sim.add(p(9), "listener");
    for (mic, camera) in [(Some(true), None), (None, Some(true))] {
        let refusal = sim.refuse(who(p(9)), Command::SetMedia { mic, camera });
        assert!(matches!(refusal, Refusal::PermissionDenied { .. }));
    }
    // Turning things off is always allowed.
    sim.cmd(
        who(p(9)),
        Command::SetMedia {
            mic: Some(false),
            camera: Some(false),
        },
    );
}

/// Every variant of `Refusal` is produced by some command, and none of them
/// changes the meeting (`Sim::refuse` checks that).
#[test]
fn every_refusal_is_reachable_and_changes_nothing() {
    let mut codes = BTreeSet::new();
    let mut note = |r: Refusal| {
        codes.insert(r.code());
    };

    let mut sim = Sim::with(3, 0, BreakoutConfig::default());
    sim.add(PRESENTER, "presenter");
    note(sim.refuse(who(p(1)), Command::Start));
    note(sim.refuse(who(ParticipantId(77)), Command::LeaveToMain));
    note(sim.refuse(
        Actor::System,
        Command::AddParticipant {
            participant: p(1),
            name: "Again".into(),
            email: None,
            preset: "participant".into(),
        },
    ));
    note(sim.refuse(
        Actor::System,
        Command::AddParticipant {
            participant: ParticipantId(77),
            name: "X".into(),
            email: None,
            preset: "nope".into(),
        },
    ));
    note(sim.refuse(who(HOST), Command::Start));
    note(sim.refuse(
        who(HOST),
        Command::RenameRoom {
            room: RoomId::MAIN,
            title: "x".into(),
        },
    ));
    note(sim.refuse(
        who(HOST),
        Command::Configure {
            config: BreakoutConfig {
                auto_end_mins: Some(4),
                ..BreakoutConfig::default()
            },
        },
    ));
    note(sim.refuse(who(p(1)), Command::Chat { text: "  ".into() }));
    note(sim.refuse(
        who(HOST),
        Command::Shuffle {
            seed: 1,
            minimise_repeats: false,
        },
    ));
    note(sim.refuse(who(p(1)), Command::LeaveToMain));
    note(sim.refuse(
        who(HOST),
        Command::ImportAssignments {
            csv: "name,email\nP101,\n".into(),
        },
    ));

    sim.host(Command::CreateRooms {
        count: 2,
        names: vec![],
    });
    let (r1, r2) = (sim.room(0), sim.room(1));
    note(sim.refuse(
        who(HOST),
        Command::Assign {
            participant: p(1),
            room: Some(RoomId(99)),
        },
    ));
    sim.host(Command::KeepTogether {
        participants: vec![p(1), p(2)],
    });
    note(sim.refuse(
        who(HOST),
        Command::KeepApart {
            participants: vec![p(1), p(2)],
        },
    ));

    sim.host(Command::Configure {
        config: BreakoutConfig {
            allow_return_to_main: false,
            auto_end_mins: None,
            ..instant_config()
        },
    });
    sim.assign(p(1), r1);
    sim.assign(PRESENTER, r1);
    sim.host(Command::Start);
    note(sim.refuse(who(HOST), Command::DeleteRoom { room: r1 }));
    note(sim.refuse(who(HOST), Command::AddTime { minutes: 5 }));
    note(sim.refuse(who(p(3)), Command::JoinRoom { room: r2 }));
    note(sim.refuse(who(p(1)), Command::LeaveToMain));
    note(sim.refuse(who(HOST), Command::DismissHelp { participant: p(1) }));
    sim.cmd(who(p(1)), Command::RequestHelp);
    note(sim.refuse(who(p(1)), Command::RequestHelp));

    note(sim.refuse(
        who(p(1)),
        Command::Vote {
            poll: PollId(1),
            option: 0,
        },
    ));
    sim.cmd(
        who(PRESENTER),
        Command::CreatePoll {
            question: "Q?".into(),
            options: vec!["a".into(), "b".into()],
        },
    );
    let poll = PollId(1);
    sim.cmd(who(p(1)), Command::Vote { poll, option: 0 });
    note(sim.refuse(who(p(1)), Command::Vote { poll, option: 1 }));
    note(sim.refuse(who(p(2)), Command::Vote { poll, option: 1 }));
    sim.cmd(who(PRESENTER), Command::ClosePoll { poll });
    note(sim.refuse(who(PRESENTER), Command::ClosePoll { poll }));

    sim.host(Command::Configure {
        config: BreakoutConfig {
            closing_countdown_secs: 30,
            ..instant_config()
        },
    });
    sim.host(Command::End);
    note(sim.refuse(who(HOST), Command::Gather));

    let expected: BTreeSet<&str> = [
        "permission_denied",
        "unknown_participant",
        "duplicate_participant",
        "unknown_preset",
        "room_not_found",
        "main_room_is_fixed",
        "not_while_running",
        "not_running",
        "closing",
        "no_rooms",
        "invalid_config",
        "invalid_input",
        "join_not_allowed",
        "return_not_allowed",
        "not_in_breakout",
        "help_cooldown",
        "no_help_request",
        "no_automatic_end",
        "poll_not_found",
        "poll_closed",
        "already_voted",
        "poll_in_other_room",
        "constraint_conflict",
        "invalid_csv",
    ]
    .into();
    assert_eq!(codes, expected);
}

#[test]
fn refusals_read_as_sentences() {
    let refusal = Refusal::PermissionDenied {
        action: "start breakouts",
    };
    assert_eq!(
        refusal.to_string(),
        "your role does not allow you to start breakouts"
    );
    assert_eq!(refusal.code(), "permission_denied");
    let cooldown = Refusal::HelpCooldown {
        retry_at: at_secs(10),
        wait_secs: 7,
    };
    assert_eq!(cooldown.code(), "help_cooldown");
    assert_eq!(
        cooldown.to_string(),
        "you already asked for help; you can ask again in 7 s"
    );
}

#[test]
fn the_help_cooldown_says_how_long_to_wait() {
    let mut sim = Sim::with(1, 1, instant_config());
    let room = sim.room(0);
    sim.assign(p(1), room);
    sim.host(Command::Start);
    sim.cmd(who(p(1)), Command::RequestHelp);
    sim.advance_ms(3_000);
    let refusal = sim.refuse(who(p(1)), Command::RequestHelp);
    assert_eq!(
        refusal.to_string(),
        "you already asked for help; you can ask again in 7 s"
    );
}
