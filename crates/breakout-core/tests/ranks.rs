//! The rank rule: nobody acts with force on someone whose role stands above
//! theirs. Every preset against every preset, for every command that
//! targets a person.

mod common;

use breakout_core::{Actor, Command, ParticipantId, Refusal, Role};
use common::*;

const PRESETS: [(&str, Role); 4] = [
    ("host", Role::Host),
    ("cohost", Role::Cohost),
    ("presenter", Role::Presenter),
    ("participant", Role::Participant),
];

fn actor_of(index: usize) -> ParticipantId {
    ParticipantId(10 + index as u64)
}

fn target_of(index: usize) -> ParticipantId {
    ParticipantId(20 + index as u64)
}

/// Two people of each preset, one room, and every target's microphone on
/// so that muting changes something.
fn meeting() -> Sim {
    let mut sim = Sim::new();
    for (i, (preset, _)) in PRESETS.iter().enumerate() {
        sim.add(actor_of(i), preset);
        sim.add(target_of(i), preset);
        sim.cmd(
            who(target_of(i)),
            Command::SetMedia {
                mic: Some(true),
                camera: None,
            },
        );
    }
    sim.system(Command::CreateRooms {
        count: 1,
        names: vec![],
    });
    sim
}

/// Every command that acts with force on `target`.
fn forceful(sim: &Sim, target: ParticipantId) -> Vec<Command> {
    vec![
        Command::RemoveParticipant {
            participant: target,
        },
        Command::MuteParticipant {
            participant: target,
        },
        Command::Assign {
            participant: target,
            room: Some(sim.room(0)),
        },
        Command::ImportAssignments {
            csv: format!("name,room\nP{},Room 1\n", target.0),
        },
    ]
}

#[test]
fn nobody_acts_with_force_on_a_higher_role() {
    let base = meeting();
    for (a, (actor_preset, actor_role)) in PRESETS.iter().enumerate() {
        for (t, (target_preset, target_role)) in PRESETS.iter().enumerate() {
            for command in forceful(&base, target_of(t)) {
                let mut sim = base.clone();
                let name = command.name();
                let case = format!("{actor_preset} sends {name} to a {target_preset}");
                let manages = matches!(actor_role, Role::Host | Role::Cohost);
                if target_role.outranks(*actor_role) {
                    let refusal = sim.refuse(who(actor_of(a)), command);
                    assert_eq!(refusal.code(), "permission_denied", "{case}");
                    if manages {
                        assert!(
                            matches!(refusal, Refusal::Outranked { target, theirs, yours, .. }
                                if target == target_of(t) && theirs == *target_role && yours == *actor_role),
                            "{case}: {refusal:?}"
                        );
                    }
                } else if manages {
                    sim.try_cmd(who(actor_of(a)), command)
                        .unwrap_or_else(|r| panic!("{case} was refused: {r}"));
                } else {
                    let refusal = sim.refuse(who(actor_of(a)), command);
                    assert!(
                        matches!(refusal, Refusal::PermissionDenied { .. }),
                        "{case}: {refusal:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_administrator_stands_above_everyone() {
    let base = meeting();
    for t in 0..PRESETS.len() {
        for command in forceful(&base, target_of(t)) {
            let mut sim = base.clone();
            sim.cmd(Actor::System, command);
        }
    }
}

#[test]
fn a_cohost_cannot_remove_the_host_and_says_why() {
    let mut sim = meeting();
    let refusal = sim.refuse(
        who(actor_of(1)),
        Command::RemoveParticipant {
            participant: target_of(0),
        },
    );
    assert_eq!(
        refusal.to_string(),
        "you may not remove p20: a host stands above a cohost"
    );
    assert!(sim.m.participant(target_of(0)).is_some(), "the host stays");
}

#[test]
fn roles_rank_host_cohost_presenter_participant() {
    let order = [Role::Host, Role::Cohost, Role::Presenter, Role::Participant];
    for (i, higher) in order.iter().enumerate() {
        for lower in &order[i + 1..] {
            assert!(higher.outranks(*lower), "{higher:?} over {lower:?}");
            assert!(!lower.outranks(*higher), "{lower:?} under {higher:?}");
        }
        assert!(!higher.outranks(*higher), "equals do not outrank");
    }
}
