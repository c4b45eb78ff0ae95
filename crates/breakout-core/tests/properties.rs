//! Random sessions: random commands from random senders at random times,
//! checked after every step against the rules that must always hold.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use breakout_core::{
    Actor, AssignmentMethod, Audience, BreakoutConfig, Command, Event, EventBody, Meeting,
    ParticipantId, Permissions, Phase, PollId, Preset, Role, RoomId, Timestamp,
};
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Do(Actor, Command),
    Wait(u64),
}

/// Everyone a command may name: the initial people, one who can be added
/// later, and a stranger who never exists.
fn person() -> impl Strategy<Value = ParticipantId> {
    prop_oneof![
        3 => (101u64..=106).prop_map(ParticipantId),
        1 => (1u64..=3).prop_map(ParticipantId),
        1 => Just(ParticipantId(107)),
        1 => Just(ParticipantId(999)),
    ]
}

fn people() -> impl Strategy<Value = Vec<ParticipantId>> {
    prop::collection::vec(person(), 0..4)
}

/// Rooms get increasing ids as they are recreated; the pool covers a few
/// generations and some that never exist.
fn room() -> impl Strategy<Value = RoomId> {
    prop_oneof![1 => Just(RoomId::MAIN), 6 => (1u32..=12).prop_map(RoomId)]
}

fn poll() -> impl Strategy<Value = PollId> {
    (1u32..=5).prop_map(PollId)
}

fn config() -> impl Strategy<Value = BreakoutConfig> {
    (
        prop_oneof![
            Just(AssignmentMethod::Auto),
            Just(AssignmentMethod::Manual),
            Just(AssignmentMethod::Choose)
        ],
        any::<(bool, bool, bool)>(),
        prop_oneof![Just(0u32), Just(1), Just(3), Just(10)],
        prop_oneof![Just(0u32), Just(5), Just(30)],
        prop_oneof![Just(None), Just(Some(5u32)), Just(Some(6)), Just(Some(4))],
    )
        .prop_map(
            |(assignment, (auto_move, allow_return_to_main, allow_join_later), m, c, end)| {
                BreakoutConfig {
                    assignment,
                    auto_move,
                    allow_return_to_main,
                    allow_join_later,
                    move_countdown_secs: m,
                    closing_countdown_secs: c,
                    auto_end_mins: end,
                    announce_listeners: auto_move,
                    participants_may_share: allow_join_later,
                    second_sharer: if auto_move {
                        breakout_core::SecondSharer::Replaces
                    } else {
                        breakout_core::SecondSharer::IsRefused
                    },
                }
            },
        )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![5 => "[a-z ]{1,12}", 1 => Just(String::new())]
}

fn csv() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            101u64..=108,
            prop_oneof![
                Just(""),
                Just("Room 1"),
                Just("Room 2"),
                Just("Room 5"),
                Just("New")
            ],
        ),
        0..4,
    )
    .prop_map(|rows| {
        let mut csv = String::from("name,room\n");
        for (id, room) in rows {
            csv.push_str(&format!("P{id},{room}\n"));
        }
        csv
    })
}

fn preset() -> impl Strategy<Value = Preset> {
    (
        prop_oneof![Just("presenter"), Just("participant"), Just("helper")],
        any::<(bool, bool, bool, bool, bool)>(),
    )
        .prop_map(|(name, (manage, visit, switch, ret, share))| Preset {
            name: name.into(),
            role: if manage {
                Role::Cohost
            } else {
                Role::Participant
            },
            permissions: Permissions {
                manage_breakouts: manage,
                visit_any_room: visit,
                switch_rooms: switch,
                return_to_main: ret,
                share_screen: share,
                ..Preset::host().permissions
            },
        })
}

fn preset_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("host"),
        Just("cohost"),
        Just("presenter"),
        Just("participant"),
        Just("helper"),
        Just("nope")
    ]
    .prop_map(String::from)
}

fn layout_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (person(), preset_name()).prop_map(|(participant, preset)| Command::AddParticipant {
            name: format!("P{}", participant.0),
            participant,
            email: None,
            preset,
        }),
        person().prop_map(|participant| Command::RemoveParticipant { participant }),
        (person(), any::<bool>()).prop_map(|(participant, connected)| Command::SetConnected {
            participant,
            connected
        }),
        preset().prop_map(|preset| Command::DefinePreset { preset }),
        config().prop_map(|config| Command::Configure { config }),
        (0u16..5).prop_map(|count| Command::CreateRooms {
            count,
            names: vec![]
        }),
        any::<bool>().prop_map(|open| Command::AddRoom { title: None, open }),
        (room(), text()).prop_map(|(room, title)| Command::RenameRoom { room, title }),
        (room(), any::<bool>()).prop_map(|(room, open)| Command::SetRoomOpen { room, open }),
        room().prop_map(|room| Command::DeleteRoom { room }),
    ]
}

fn assignment_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => Just(Command::ClearRooms),
        6 => (person(), prop::option::of(room()))
            .prop_map(|(participant, room)| Command::Assign { participant, room }),
        2 => (any::<u64>(), any::<bool>()).prop_map(|(seed, minimise_repeats)| {
            Command::AutoAssign { seed, minimise_repeats }
        }),
        1 => csv().prop_map(|csv| Command::ImportAssignments { csv }),
        1 => people().prop_map(|participants| Command::KeepTogether { participants }),
        1 => people().prop_map(|participants| Command::KeepApart { participants }),
        1 => Just(Command::ClearConstraints),
    ]
}

fn round_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        4 => Just(Command::Start),
        2 => (any::<u64>(), any::<bool>())
            .prop_map(|(seed, minimise_repeats)| Command::Shuffle { seed, minimise_repeats }),
        2 => Just(Command::RoundRobin),
        2 => Just(Command::Gather),
        2 => Just(Command::SendToRooms),
        1 => Just(Command::AskAllToReturn),
        1 => prop_oneof![Just(0u32), Just(1), Just(5)].prop_map(|minutes| Command::AddTime { minutes }),
        1 => Just(Command::CancelAutoEnd),
        2 => Just(Command::End),
    ]
}

fn host_extra_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => (text(), prop::option::of(room())).prop_map(|(text, room)| Command::Broadcast {
            text,
            room,
            audience: Audience::Everyone,
        }),
        2 => room().prop_map(|room| Command::Visit { room }),
        3 => person().prop_map(|participant| Command::DismissHelp { participant }),
        1 => person().prop_map(|participant| Command::MuteParticipant { participant }),
    ]
}

fn own_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => room().prop_map(|room| Command::JoinRoom { room }),
        2 => Just(Command::LeaveToMain),
        3 => Just(Command::RequestHelp),
        1 => any::<bool>().prop_map(|active| Command::ShareScreen { active }),
        2 => (prop::option::of(any::<bool>()), prop::option::of(any::<bool>()))
            .prop_map(|(mic, camera)| Command::SetMedia { mic, camera }),
        2 => text().prop_map(|text| Command::Chat { text }),
        2 => Just(Command::CreatePoll {
            question: "Which?".into(),
            options: vec!["a".into(), "b".into()],
        }),
        4 => (poll(), 0u32..3).prop_map(|(poll, option)| Command::Vote { poll, option }),
        1 => poll().prop_map(|poll| Command::ClosePoll { poll }),
    ]
}

fn manager_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        6 => Just(Actor::Participant(HOST)),
        2 => Just(Actor::Participant(COHOST)),
        2 => Just(Actor::System),
        1 => person().prop_map(Actor::Participant),
    ]
}

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        6 => person().prop_map(Actor::Participant),
        1 => Just(Actor::Participant(PRESENTER)),
        1 => Just(Actor::Participant(HOST)),
        1 => Just(Actor::System),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (manager_actor(), layout_command()).prop_map(|(a, c)| Step::Do(a, c)),
        3 => (manager_actor(), assignment_command()).prop_map(|(a, c)| Step::Do(a, c)),
        4 => (manager_actor(), round_command()).prop_map(|(a, c)| Step::Do(a, c)),
        2 => (manager_actor(), host_extra_command()).prop_map(|(a, c)| Step::Do(a, c)),
        6 => (any_actor(), own_command()).prop_map(|(a, c)| Step::Do(a, c)),
        6 => prop_oneof![
            4 => 0u64..4_000,
            2 => 4_000u64..40_000,
            1 => 200_000u64..400_000,
        ]
        .prop_map(Step::Wait),
    ]
}

/// The meeting every session starts from.
fn initial(config: BreakoutConfig) -> Sim {
    let mut sim = Sim::new();
    sim.add(HOST, "host");
    sim.add(COHOST, "cohost");
    sim.add(PRESENTER, "presenter");
    for i in 1..=6 {
        sim.add(p(i), "participant");
    }
    // Some generated configurations are invalid on purpose; then the defaults stay.
    let _ = sim.try_cmd(Actor::System, Command::Configure { config });
    sim.system(Command::CreateRooms {
        count: 3,
        names: vec![],
    });
    sim
}

/// Facts carried from step to step.
#[derive(Default)]
struct Watch {
    /// Between a `BreakoutsStarted` and its `BreakoutsEnded`.
    in_round: bool,
    rounds: u32,
}

fn media(m: &Meeting) -> BTreeMap<ParticipantId, breakout_core::MediaState> {
    m.participants().map(|p| (p.id, p.media)).collect()
}

fn pending(m: &Meeting, now: Timestamp) -> BTreeMap<ParticipantId, (RoomId, Timestamp)> {
    m.participants()
        .filter_map(|p| {
            let view = m.view_for(p.id, now)?;
            view.you.pending_move.map(|mv| (p.id, (mv.room, mv.at)))
        })
        .collect()
}

/// Checks shared by commands and ticks; returns an error sentence on failure.
fn check_step(
    before: &Meeting,
    after: &Meeting,
    events: &[Event],
    now: Timestamp,
    watch: &mut Watch,
) -> Result<(), String> {
    after.check_invariants()?;
    check_recipients(before, after, events)?;
    for id in after.participants().map(|p| p.id) {
        check_view(after, id, now).map_err(|e| format!("view of {id}: {e}"))?;
    }
    for event in events {
        match event.body {
            EventBody::BreakoutsStarted { .. } => {
                if watch.in_round {
                    return Err("started twice".into());
                }
                watch.in_round = true;
                watch.rounds += 1;
            }
            EventBody::BreakoutsEnded => {
                if !watch.in_round {
                    return Err("ended without a start".into());
                }
                watch.in_round = false;
            }
            _ => {}
        }
    }
    if watch.in_round != (after.phase() != Phase::Idle) {
        return Err(format!("round flag vs {:?}", after.phase()));
    }
    if before.phase() != Phase::Idle && after.phase() == Phase::Idle {
        let stray: Vec<_> = after.participants().filter(|p| !p.room.is_main()).collect();
        if !stray.is_empty() {
            return Err(format!("ended but not in main: {stray:?}"));
        }
    }
    // Mic and camera only change by asking for it.
    let (was, is) = (media(before), media(after));
    let changed = events
        .iter()
        .filter_map(|e| match e.body {
            EventBody::MediaChanged { participant, .. } => Some(participant),
            _ => None,
        })
        .collect::<BTreeSet<_>>();
    for (id, state) in &is {
        if was.get(id).is_some_and(|old| old != state) && !changed.contains(id) {
            return Err(format!("{id}'s media changed silently"));
        }
    }
    Ok(())
}

/// Runs `steps` on `sim`; returns every step's events.
fn run(sim: &mut Sim, steps: &[Step], watch: &mut Watch) -> Result<Vec<Vec<Event>>, String> {
    let mut log = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let context = |e: String| format!("step {n} {step:?}: {e}");
        match step {
            Step::Wait(ms) => {
                let target = Timestamp(sim.now.0 + ms);
                // A server that wakes up late ticks once; that must come to
                // the same as waking at every deadline.
                let mut late_wakeup = sim.m.clone();
                let all_at_once = late_wakeup.tick(target);
                let mut events = Vec::new();
                // One deadline at a time, so each can be checked on its own.
                while let Some(due) = sim.m.next_deadline().filter(|d| *d <= target) {
                    if due < sim.now {
                        return Err(context(format!("deadline {due:?} in the past")));
                    }
                    let before = sim.m.clone();
                    let was_pending = pending(&before, due);
                    sim.now = due;
                    let fired = sim.m.tick(due);
                    if fired.is_empty() {
                        return Err(context("a deadline fired nothing".into()));
                    }
                    check_step(&before, &sim.m, &fired, due, watch).map_err(context)?;
                    check_deadline(&before, &sim.m, &fired, due, &was_pending).map_err(context)?;
                    events.extend(fired);
                }
                sim.now = target;
                let late = sim.m.tick(target);
                if !late.is_empty() {
                    return Err(context(format!("tick found more: {late:?}")));
                }
                // Revision included: a replayed journal ticks late too.
                if all_at_once != events || late_wakeup != sim.m {
                    return Err(context("one late tick differs from timely ticks".into()));
                }
                log.push(events);
            }
            Step::Do(actor, command) => {
                let ticked = sim.m.tick(sim.now);
                if !ticked.is_empty() {
                    return Err(context("a deadline was missed".into()));
                }
                let before = sim.m.clone();
                match sim.m.apply(*actor, command.clone(), sim.now) {
                    Err(refusal) => {
                        if sim.m != before {
                            return Err(context(format!("{refusal:?} changed the meeting")));
                        }
                        log.push(Vec::new());
                    }
                    Ok(events) => {
                        check_step(&before, &sim.m, &events, sim.now, watch).map_err(context)?;
                        check_command(&before, &sim.m, command, &events, sim.now)
                            .map_err(context)?;
                        log.push(events);
                    }
                }
            }
        }
    }
    Ok(log)
}

/// What one deadline may do.
fn check_deadline(
    before: &Meeting,
    after: &Meeting,
    events: &[Event],
    due: Timestamp,
    was_pending: &BTreeMap<ParticipantId, (RoomId, Timestamp)>,
) -> Result<(), String> {
    let ended = events.iter().any(|e| e.body == EventBody::BreakoutsEnded);
    for event in events {
        match event.body {
            EventBody::Closing { at } => {
                let Phase::Running {
                    ends_at: Some(ends_at),
                    ..
                } = before.phase()
                else {
                    return Err("closing without an automatic end".into());
                };
                let expected = ends_at.plus_secs(before.config().closing_countdown_secs);
                if ends_at != due || at != expected {
                    return Err(format!("closing at {at:?}, expected {expected:?}"));
                }
            }
            EventBody::BreakoutsEnded => {
                let on_time = match before.phase() {
                    Phase::Closing { returns_at } => returns_at == due,
                    Phase::Running { ends_at, .. } => {
                        ends_at == Some(due) && before.config().closing_countdown_secs == 0
                    }
                    Phase::Idle => false,
                };
                if !on_time {
                    return Err(format!("ended at {due:?} from {:?}", before.phase()));
                }
            }
            _ => {}
        }
    }
    for (id, (room, at)) in was_pending {
        if *at < due {
            return Err(format!("{id}'s move at {at:?} is overdue"));
        }
        if *at != due {
            continue;
        }
        let expected = if ended || after.room(*room).is_none() {
            RoomId::MAIN
        } else {
            *room
        };
        let here = after.participant(*id).map(|p| p.room);
        if here != Some(expected) {
            return Err(format!("{id} due in {room} at {at:?} is in {here:?}"));
        }
    }
    if let Some(next) = after.next_deadline()
        && next <= due
    {
        return Err(format!("deadline {next:?} left behind at {due:?}"));
    }
    Ok(())
}

/// What particular commands promise.
fn check_command(
    before: &Meeting,
    after: &Meeting,
    command: &Command,
    events: &[Event],
    now: Timestamp,
) -> Result<(), String> {
    let people = |m: &Meeting| m.participants().map(|p| p.id).collect::<BTreeSet<_>>();
    if matches!(
        command,
        Command::Shuffle { .. }
            | Command::RoundRobin
            | Command::Gather
            | Command::SendToRooms
            | Command::End
            | Command::AutoAssign { .. }
    ) && people(before) != people(after)
    {
        return Err("someone was lost".into());
    }
    if let Command::End = command {
        let closing = before.config().closing_countdown_secs;
        let announced: Vec<Timestamp> = events
            .iter()
            .filter_map(|e| match e.body {
                EventBody::Closing { at } => Some(at),
                _ => None,
            })
            .collect();
        let expected = if closing == 0 {
            vec![]
        } else {
            vec![now.plus_secs(closing)]
        };
        if announced != expected {
            return Err(format!("closing {announced:?}, expected {expected:?}"));
        }
    }
    for event in events {
        if let EventBody::ChangingMeeting { at, .. } = event.body
            && at != now.plus_secs(after.config().move_countdown_secs)
        {
            return Err(format!("move announced for {at:?}"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    /// Every rule above holds after every step of a random session.
    #[test]
    fn random_sessions_keep_every_rule(
        config in config(),
        steps in prop::collection::vec(step(), 1..80),
    ) {
        let mut sim = initial(config);
        let mut watch = Watch::default();
        let result = run(&mut sim, &steps, &mut watch);
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }

    /// A snapshot restored mid-session continues exactly like the original.
    #[test]
    fn a_restored_snapshot_continues_identically(
        config in config(),
        steps in prop::collection::vec(step(), 2..60),
        cut in any::<prop::sample::Index>(),
    ) {
        let cut = cut.index(steps.len());
        let mut sim = initial(config);
        let mut watch = Watch::default();
        run(&mut sim, &steps[..cut], &mut watch).map_err(TestCaseError::fail)?;

        let json = serde_json::to_string(&sim.m).expect("serialises");
        let restored: Meeting = serde_json::from_str(&json).expect("deserialises");
        prop_assert_eq!(&restored, &sim.m);
        let again = serde_json::to_string(&restored).expect("serialises");
        prop_assert_eq!(&again, &json, "equal meetings make equal snapshots");
        restored.check_invariants().map_err(TestCaseError::fail)?;
        let mut copy = Sim { m: restored, now: sim.now };
        let mut copy_watch = Watch { in_round: watch.in_round, rounds: watch.rounds };

        let original = run(&mut sim, &steps[cut..], &mut watch).map_err(TestCaseError::fail)?;
        let continued = run(&mut copy, &steps[cut..], &mut copy_watch).map_err(TestCaseError::fail)?;
        prop_assert_eq!(original, continued);
        prop_assert_eq!(&copy.m, &sim.m);
    }

    /// Shuffles, rotations, gathers and the end never lose anyone, and the
    /// end brings everyone back to main.
    #[test]
    fn moving_everyone_loses_nobody(
        config in config(),
        seeds in prop::collection::vec(any::<u64>(), 1..6),
        extra in 0u64..12,
    ) {
        let mut sim = initial(config);
        for i in 0..extra {
            sim.add(ParticipantId(200 + i), "participant");
        }
        let everyone = sim.everyone();
        sim.host(Command::AutoAssign { seed: seeds[0], minimise_repeats: true });
        sim.host(Command::Start);
        for seed in &seeds {
            sim.host(Command::Shuffle { seed: *seed, minimise_repeats: false });
            sim.advance(5);
            sim.host(Command::RoundRobin);
            sim.advance(11);
            prop_assert_eq!(&sim.everyone(), &everyone);
            let placed: usize = sim.rooms().iter().map(|r| sim.in_room(*r).len()).sum();
            prop_assert_eq!(placed + sim.in_room(RoomId::MAIN).len(), everyone.len());
        }
        sim.host(Command::Gather);
        sim.advance(11);
        prop_assert!(sim.all_in_main());
        sim.host(Command::SendToRooms);
        let mut events = sim.host(Command::End);
        events.extend(sim.advance(61));
        prop_assert!(sim.all_in_main());
        prop_assert_eq!(&sim.everyone(), &everyone);
        prop_assert_eq!(count(&events, |b| *b == EventBody::BreakoutsEnded), 1);
    }
}

/// The generator is only useful if random sessions reach the interesting
/// states: rounds that start, moves that happen, ends by command and by time.
#[test]
fn random_sessions_reach_the_interesting_states() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut accepted: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut fired: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..128 {
        let config = config().new_tree(&mut runner).unwrap().current();
        let steps = prop::collection::vec(step(), 60..80)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut sim = initial(config);
        for step in &steps {
            match step {
                Step::Do(actor, command) => {
                    if sim.try_cmd(*actor, command.clone()).is_ok() {
                        *accepted.entry(command.name()).or_default() += 1;
                    }
                }
                Step::Wait(ms) => {
                    let phase = sim.m.phase();
                    for event in sim.advance_ms(*ms) {
                        let kind = match event.body {
                            EventBody::MeetingChanged { .. } => "move",
                            EventBody::Closing { .. } => "closing",
                            EventBody::BreakoutsEnded if matches!(phase, Phase::Running { .. }) => {
                                "auto end"
                            }
                            EventBody::BreakoutsEnded => "end after closing",
                            _ => continue,
                        };
                        *fired.entry(kind).or_default() += 1;
                    }
                }
            }
        }
    }
    eprintln!("accepted {accepted:?}\nfired {fired:?}");
    for name in [
        "start",
        "shuffle",
        "round_robin",
        "gather",
        "send_to_rooms",
        "end",
        "assign",
        "auto_assign",
        "join_room",
        "leave_to_main",
        "chat",
        "request_help",
        "visit",
        "import_assignments",
        "remove_participant",
    ] {
        assert!(
            accepted.get(name).copied().unwrap_or(0) >= 5,
            "{name}: {accepted:?}"
        );
    }
    for rare in [
        "vote",
        "dismiss_help",
        "delete_room",
        "close_poll",
        "keep_apart",
    ] {
        assert!(accepted.contains_key(rare), "{rare}: {accepted:?}");
    }
    for kind in ["move", "closing", "auto end", "end after closing"] {
        assert!(
            fired.get(kind).copied().unwrap_or(0) >= 3,
            "{kind}: {fired:?}"
        );
    }
}
