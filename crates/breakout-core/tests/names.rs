//! Display names: normalised, and refused when they could mislead or break
//! what others see.

mod common;

use breakout_core::{Actor, Command, Meeting, ParticipantId, Refusal};
use common::*;

fn add(sim: &mut Sim, name: &str) -> Result<String, Refusal> {
    let id = ParticipantId(500 + sim.m.participants().count() as u64);
    sim.try_cmd(
        Actor::System,
        Command::AddParticipant {
            participant: id,
            name: name.into(),
            email: None,
            preset: "participant".into(),
        },
    )?;
    Ok(sim.m.participant(id).expect("added").name.clone())
}

#[test]
fn names_are_normalised() {
    let mut sim = Sim::new();
    assert_eq!(add(&mut sim, "  Ann   Lee \t ").unwrap(), "Ann Lee");
    // "e" + combining acute becomes the one precomposed character (NFC).
    assert_eq!(add(&mut sim, "Rene\u{301}").unwrap(), "Ren\u{e9}");
    assert_eq!(add(&mut sim, "Zoë 🎉").unwrap(), "Zoë 🎉");
    assert_eq!(add(&mut sim, "محمد").unwrap(), "محمد");
}

#[test]
fn control_characters_are_refused() {
    let mut sim = Sim::new();
    for name in [
        "Ann\0",
        "\u{1b}[31mRed",
        "Two\nLines",
        "Car\rriage",
        "Del\u{7f}",
        "Sep\u{2028}",
    ] {
        let refusal = add(&mut sim, name).unwrap_err();
        assert_eq!(refusal.code(), "invalid_name", "{name:?}");
        assert!(
            refusal
                .to_string()
                .starts_with("the name contains a control character"),
            "{name:?}: {refusal}"
        );
    }
}

#[test]
fn direction_overrides_and_isolates_are_refused() {
    let mut sim = Sim::new();
    for c in [
        '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        let name = format!("Eve{c}tsoh");
        let refusal = add(&mut sim, &name).unwrap_err();
        assert_eq!(refusal.code(), "invalid_name", "{name:?}");
        assert!(
            refusal.to_string().contains("text direction override"),
            "{refusal}"
        );
    }
}

#[test]
fn invisible_only_names_are_refused() {
    let mut sim = Sim::new();
    for name in [
        "\u{200b}",
        "\u{200b}\u{200c}\u{200d}",
        "\u{2060}\u{feff}",
        "\u{3164}",
        " \u{2800} ",
        "\u{fe0f}",
    ] {
        let refusal = add(&mut sim, name).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "the name has no visible characters",
            "{name:?}"
        );
    }
    assert_eq!(
        add(&mut sim, "   ").unwrap_err().to_string(),
        "the name is empty"
    );
    // Invisible characters inside a visible name are someone's spelling.
    assert_eq!(add(&mut sim, "Jo\u{200d}e").unwrap(), "Jo\u{200d}e");
}

#[test]
fn over_long_names_are_refused() {
    let mut sim = Sim::new();
    let longest = "é".repeat(Meeting::MAX_NAME_CHARS);
    assert_eq!(add(&mut sim, &longest).unwrap(), longest);
    let refusal = add(&mut sim, &format!("{longest}x")).unwrap_err();
    assert_eq!(refusal.code(), "invalid_name");
    assert_eq!(
        refusal.to_string(),
        format!(
            "the name is longer than {} characters",
            Meeting::MAX_NAME_CHARS
        )
    );
}

#[test]
fn a_refused_name_leaves_the_meeting_as_it_was() {
    let mut sim = Sim::new();
    let refusal = sim.refuse(
        Actor::System,
        Command::AddParticipant {
            participant: ParticipantId(7),
            name: "\u{202e}nimda".into(),
            email: None,
            preset: "host".into(),
        },
    );
    assert_eq!(refusal.code(), "invalid_name");
}

#[test]
fn room_and_meeting_titles_follow_the_same_rules() {
    let mut sim = Sim::with(0, 1, instant_config());
    let room = sim.room(0);
    let refusal = sim.refuse(
        who(HOST),
        Command::RenameRoom {
            room,
            title: "Room\u{1b}[2J".into(),
        },
    );
    assert_eq!(refusal.code(), "invalid_name");
    sim.host(Command::RenameRoom {
        room,
        title: " Team   A ".into(),
    });
    assert_eq!(sim.m.room(room).unwrap().title, "Team A");
    assert_eq!(
        Meeting::valid_title("  Weekly   sync ").unwrap(),
        "Weekly sync"
    );
    assert_eq!(
        Meeting::valid_title(&"x".repeat(101))
            .unwrap_err()
            .to_string(),
        "the meeting title is longer than 100 characters"
    );
    assert_eq!(
        Meeting::valid_title("\u{200b}").unwrap_err().code(),
        "invalid_name"
    );
}
