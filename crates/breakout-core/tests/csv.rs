//! CSV round trips: an export imported again gives the same assignments,
//! in any script and case; errors name physical lines; a preview says what
//! an import will do before it does it.

mod common;

use std::collections::BTreeMap;

use breakout_core::{Command, CsvChange, ParticipantId, Refusal, RoomId};
use common::*;
use proptest::prelude::*;

fn assignments(sim: &Sim) -> BTreeMap<ParticipantId, Option<RoomId>> {
    sim.m.participants().map(|p| (p.id, p.assigned)).collect()
}

fn add_named(sim: &mut Sim, id: u64, name: &str, email: Option<&str>) -> ParticipantId {
    let participant = ParticipantId(id);
    sim.system(Command::AddParticipant {
        participant,
        name: name.into(),
        email: email.map(str::to_string),
        preset: "participant".into(),
    });
    participant
}

#[test]
fn names_and_emails_match_in_any_case_and_script() {
    let mut sim = Sim::with(0, 2, instant_config());
    let elodie = add_named(&mut sim, 500, "Élodie", Some("Élodie@example.org"));
    let zoe = add_named(&mut sim, 501, "Zoë", None);
    sim.host(Command::ImportAssignments {
        csv: "name,email,room\n,ÉLODIE@EXAMPLE.ORG,Room 2\nZOË,,Room 1\n".into(),
    });
    assert_eq!(
        sim.m.participant(elodie).unwrap().assigned,
        Some(sim.room(1))
    );
    assert_eq!(sim.m.participant(zoe).unwrap().assigned, Some(sim.room(0)));
}

#[test]
fn room_names_that_differ_only_in_case_are_refused() {
    let mut sim = Sim::with(2, 0, instant_config());
    sim.host(Command::AddRoom {
        title: Some("Équipe".into()),
        open: true,
    });
    let refusal = sim.refuse(
        who(HOST),
        Command::AddRoom {
            title: Some("ÉQUIPE".into()),
            open: true,
        },
    );
    assert_eq!(refusal.code(), "invalid_input");
    assert!(
        refusal
            .to_string()
            .contains("must differ by more than case")
    );
    sim.host(Command::AddRoom {
        title: Some("Other".into()),
        open: true,
    });
    let other = sim.room(1);
    sim.refuse(
        who(HOST),
        Command::RenameRoom {
            room: other,
            title: "équipe".into(),
        },
    );
    sim.refuse(
        who(HOST),
        Command::RenameRoom {
            room: other,
            title: "main ROOM".into(),
        },
    );
    sim.host(Command::RenameRoom {
        room: other,
        title: "OTHER".into(),
    });
    sim.refuse(
        who(HOST),
        Command::CreateRooms {
            count: 2,
            names: vec!["Team".into(), "team".into()],
        },
    );
}

#[test]
fn errors_name_the_physical_line() {
    let mut sim = Sim::with(2, 1, instant_config());
    for (csv, line) in [
        ("name,room\n\nP101,Room 1\nNobody,Room 1\n", 4),
        ("name,room\nP101,\"Two\nlines\"\nNobody,Room 1\n", 4),
        ("name,room\nP101,Room 1\n\n\nP101,Room 1\n", 5),
    ] {
        match sim.refuse(who(HOST), Command::ImportAssignments { csv: csv.into() }) {
            Refusal::InvalidCsv { line: got, .. } => assert_eq!(got, line, "{csv:?}"),
            other => panic!("{csv:?}: {other:?}"),
        }
    }
}

#[test]
fn a_row_with_an_unquoted_comma_is_refused() {
    let mut sim = Sim::with(2, 1, instant_config());
    let refusal = sim.refuse(
        who(HOST),
        Command::ImportAssignments {
            csv: "name,room\nP101,Room, the big one\n".into(),
        },
    );
    assert_eq!(refusal.code(), "invalid_csv");
    assert!(refusal.to_string().contains("line 2"), "{refusal}");
    assert!(refusal.to_string().contains("double quotes"), "{refusal}");
}

#[test]
fn a_preview_says_what_an_import_will_do() {
    let mut sim = Sim::with(4, 1, instant_config());
    sim.assign(p(1), sim.room(0));
    sim.assign(p(2), sim.room(0));
    sim.assign(p(3), sim.room(0));
    let csv = "name,room\nP101,Room 1\nP102,Main room\nP103,\nP104,Garden\n";
    let before = sim.m.clone();
    let preview = sim.m.preview_assignments_csv(csv).expect("a valid file");
    assert_eq!(sim.m, before, "a preview changes nothing");
    assert_eq!(preview.rooms_created, ["Garden"]);
    assert_eq!(preview.unchanged, 1);
    let change = |id: u64, room: Option<&str>| CsvChange {
        participant: p(id),
        name: format!("P{}", p(id).0),
        room: room.map(str::to_string),
    };
    assert_eq!(
        preview.changes,
        [change(2, None), change(3, None), change(4, Some("Garden"))]
    );
    sim.host(Command::ImportAssignments { csv: csv.into() });
    assert_eq!(
        sim.m.breakout_rooms().count(),
        2,
        "main is not a breakout room"
    );
    assert_eq!(sim.m.participant(p(2)).unwrap().assigned, None);
    assert!(matches!(
        sim.m.preview_assignments_csv("name,room\nNobody,Room 1\n"),
        Err(Refusal::InvalidCsv { line: 2, .. })
    ));
}

const NAMES: &[&str] = &[
    "Zoë", "ZOË", "Élodie", "élodie", "Ünal", "Ana", "ANA", "Ørjan",
];
const TITLES: &[&str] = &["Team", "Équipe", "Room, \"quoted\"", "Ωmega", "Garden"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn an_export_imported_again_gives_the_same_assignments(
        people in prop::collection::vec((0..NAMES.len(), any::<bool>()), 1..10),
        titles in prop::collection::vec(0..TITLES.len(), 1..4),
        rooms in prop::collection::vec(prop::option::of(0usize..4), 10),
        seed in any::<u64>(),
    ) {
        let mut sim = Sim::with(0, 0, instant_config());
        for (i, (name, upper)) in people.iter().enumerate() {
            let email = format!("{}{i}@example.org", NAMES[*name]);
            let email = if *upper { email.to_uppercase() } else { email };
            add_named(&mut sim, 500 + i as u64, NAMES[*name], Some(&email));
        }
        for t in &titles {
            // A title already there in another case is refused: skipped.
            let _ = sim.try_cmd(who(HOST), Command::AddRoom { title: Some(TITLES[*t].into()), open: true });
        }
        let ids: Vec<RoomId> = sim.m.breakout_rooms().map(|r| r.id).collect();
        for (i, room) in rooms.iter().take(people.len()).enumerate() {
            let room = room.map(|r| ids[r % ids.len()]);
            sim.host(Command::Assign { participant: ParticipantId(500 + i as u64), room });
        }
        let before = assignments(&sim);
        let csv = sim.m.export_assignments_csv();
        sim.host(Command::AutoAssign { seed, minimise_repeats: false });
        let preview = sim.m.preview_assignments_csv(&csv).expect("an export is valid");
        prop_assert!(preview.rooms_created.is_empty());
        sim.host(Command::ImportAssignments { csv: csv.clone() });
        prop_assert_eq!(assignments(&sim), before);
        prop_assert_eq!(sim.m.export_assignments_csv(), csv);
    }
}
