//! Chat history has a budget per meeting: a room keeps its newest messages
//! and the meeting a bounded number of bytes, oldest dropped first.

mod common;

use breakout_core::{Command, Meeting, RoomId};
use common::*;

fn say(sim: &mut Sim, from: breakout_core::ParticipantId, text: String) {
    sim.cmd(who(from), Command::Chat { text });
}

fn held_bytes(sim: &Sim) -> usize {
    std::iter::once(RoomId::MAIN)
        .chain(sim.rooms())
        .flat_map(|r| sim.m.chat_history(r).to_vec())
        .map(|m| m.text.len() + m.name.len())
        .sum()
}

#[test]
fn a_room_keeps_its_newest_messages() {
    let mut sim = Sim::with(1, 0, instant_config());
    let extra = 5;
    for i in 0..Meeting::MAX_CHAT_PER_ROOM + extra {
        say(&mut sim, p(1), format!("message {i}"));
    }
    let history = sim.m.chat_history(RoomId::MAIN);
    assert_eq!(history.len(), Meeting::MAX_CHAT_PER_ROOM);
    assert_eq!(history[0].text, format!("message {extra}"));
    assert_eq!(
        history.last().unwrap().text,
        format!("message {}", Meeting::MAX_CHAT_PER_ROOM + extra - 1)
    );
    assert_eq!(sim.m.chat_bytes(), held_bytes(&sim));
}

#[test]
fn a_meeting_holds_a_bounded_number_of_bytes_oldest_first() {
    let mut sim = Sim::with(3, 2, instant_config());
    let rooms = sim.rooms();
    sim.assign(p(1), rooms[0]);
    sim.assign(p(2), rooms[1]);
    sim.host(Command::Start);
    let long = "x".repeat(Meeting::MAX_TEXT_CHARS);
    // Three rooms' worth of long messages, far more than the budget.
    let per_room = Meeting::MAX_CHAT_BYTES / Meeting::MAX_TEXT_CHARS / 2;
    for _ in 0..per_room {
        say(&mut sim, p(1), long.clone());
        say(&mut sim, p(2), long.clone());
        say(&mut sim, p(3), long.clone());
    }
    let held = held_bytes(&sim);
    assert!(held <= Meeting::MAX_CHAT_BYTES, "{held} bytes held");
    assert!(
        held > Meeting::MAX_CHAT_BYTES - 2 * (Meeting::MAX_TEXT_CHARS + 10),
        "only what exceeds the budget is dropped: {held}"
    );
    assert_eq!(sim.m.chat_bytes(), held);
    // What is left is the newest messages of the meeting, whatever room
    // they were said in: one unbroken run of ids up to the last one.
    let mut kept: Vec<u64> = [RoomId::MAIN, rooms[0], rooms[1]]
        .iter()
        .flat_map(|r| sim.m.chat_history(*r).iter().map(|m| m.id))
        .collect();
    kept.sort_unstable();
    assert!(
        kept.windows(2).all(|w| w[1] == w[0] + 1),
        "a gap in what was kept"
    );
    assert_eq!(*kept.last().unwrap(), 3 * per_room as u64);
    assert!(sim.m.chat_history(RoomId::MAIN).len() < Meeting::MAX_CHAT_PER_ROOM);
}

#[test]
fn deleting_a_room_frees_its_share_of_the_budget() {
    let mut sim = Sim::with(1, 1, instant_config());
    let room = sim.room(0);
    sim.assign(p(1), room);
    sim.host(Command::Start);
    say(&mut sim, p(1), "hello".into());
    assert!(sim.m.chat_bytes() > 0);
    sim.host(Command::End);
    sim.host(Command::DeleteRoom { room });
    assert_eq!(sim.m.chat_bytes(), 0);
}
