//! The jitter buffer driven by simulated arrivals and a simulated playout
//! clock: no wall clock anywhere.

use super::*;

fn p(n: u8) -> Bytes {
    Bytes::from(vec![n])
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A buffer that always holds a run's first packet `delay` ms.
fn fixed(delay: u64) -> JitterBuffer {
    JitterBuffer::new(ms(delay), ms(delay))
}

/// Packet `seq` as a 20 ms stream stamps it.
fn push(jb: &mut JitterBuffer, seq: u16, payload: Bytes, at: u64) {
    jb.push(seq, u32::from(seq) * 960, payload, ms(at));
}

#[test]
fn the_stale_tail_of_an_ended_stream_is_not_played_before_the_next_source() {
    let mut jb = fixed(60);
    // The old source's last packet arrives alone: it is not kept
    // waiting for company.
    push(&mut jb, 100, p(1), 0);
    assert_eq!(jb.pop(ms(0)), Playout::Idle);
    assert_eq!(jb.pop(ms(40)), Playout::Idle);
    assert_eq!(jb.pop(ms(60)), Playout::Packet(p(1)));
    let mut t = 80;
    while jb.pop(ms(t)) != Playout::Idle {
        t += 20;
    }
    // Later the slot carries someone else, numbered on from there: the
    // tail is not in front of them.
    for seq in 101..104 {
        push(&mut jb, seq, p(2), 400 + 20 * u64::from(seq - 101));
    }
    assert_eq!(jb.pop(ms(460)), Playout::Packet(p(2)));
    assert_eq!(jb.stats().late, 0);
}

#[test]
fn a_slow_stream_is_played_not_dropped() {
    let mut jb = fixed(60);
    let mut played = Vec::new();
    for tick in 0..40u16 {
        let now = 20 * u64::from(tick);
        if tick % 10 == 0 {
            push(&mut jb, tick / 10, p(tick as u8 / 10), now);
        }
        if let Playout::Packet(payload) = jb.pop(ms(now)) {
            played.push(payload);
        }
    }
    assert_eq!(played, vec![p(0), p(1), p(2), p(3)]);
    let stats = jb.stats();
    assert_eq!((stats.late, stats.skipped), (0, 0));
}

#[test]
fn waits_the_target_delay_then_plays_in_order() {
    let mut jb = fixed(40);
    push(&mut jb, 10, p(10), 0);
    assert_eq!(jb.pop(ms(0)), Playout::Idle);
    push(&mut jb, 12, p(12), 20);
    push(&mut jb, 11, p(11), 20);
    assert_eq!(jb.pop(ms(20)), Playout::Idle);
    assert_eq!(jb.pop(ms(40)), Playout::Packet(p(10)));
    assert_eq!(jb.pop(ms(60)), Playout::Packet(p(11)));
    assert_eq!(jb.pop(ms(80)), Playout::Packet(p(12)));
}

#[test]
fn a_loss_is_recovered_from_the_next_packet_or_concealed() {
    let mut jb = fixed(0);
    push(&mut jb, 1, p(1), 0);
    push(&mut jb, 3, p(3), 0);
    push(&mut jb, 6, p(6), 0);
    assert_eq!(jb.pop(ms(0)), Playout::Packet(p(1)));
    assert_eq!(jb.pop(ms(20)), Playout::Recover(p(3)));
    assert_eq!(jb.pop(ms(40)), Playout::Packet(p(3)));
    assert_eq!(jb.pop(ms(60)), Playout::Conceal);
    assert_eq!(jb.pop(ms(80)), Playout::Recover(p(6)));
    assert_eq!(jb.pop(ms(100)), Playout::Packet(p(6)));
    let stats = jb.stats();
    assert_eq!((stats.recovered, stats.concealed, stats.played), (2, 1, 3));
}

#[test]
fn goes_idle_when_the_source_stops_and_restarts_cleanly() {
    let mut jb = fixed(0);
    push(&mut jb, 1, p(1), 0);
    assert_eq!(jb.pop(ms(0)), Playout::Packet(p(1)));
    for t in 1..=u64::from(MAX_STARVING) {
        assert_eq!(jb.pop(ms(20 * t)), Playout::Conceal);
    }
    assert_eq!(jb.pop(ms(80)), Playout::Idle);
    assert_eq!(jb.pop(ms(100)), Playout::Idle);
    push(&mut jb, 2, p(2), 110);
    assert_eq!(jb.pop(ms(120)), Playout::Packet(p(2)));
    assert_eq!(jb.stats().runs, 2);
}

#[test]
fn late_and_duplicate_packets_are_dropped() {
    let mut jb = fixed(0);
    push(&mut jb, 5, p(5), 0);
    assert_eq!(jb.pop(ms(0)), Playout::Packet(p(5)));
    push(&mut jb, 4, p(4), 1);
    push(&mut jb, 6, p(6), 2);
    push(&mut jb, 6, p(6), 3);
    assert_eq!(jb.stats().late, 2);
    // Nor is a packet played twice after the buffer went idle.
    assert_eq!(jb.pop(ms(20)), Playout::Packet(p(6)));
    for t in 2..=6 {
        jb.pop(ms(20 * t));
    }
    push(&mut jb, 6, p(6), 130);
    assert_eq!(jb.pop(ms(140)), Playout::Idle);
    assert_eq!(jb.stats().late, 3);
}

#[test]
fn skips_ahead_after_a_burst() {
    let mut jb = fixed(40);
    push(&mut jb, 0, p(0), 0);
    push(&mut jb, 1, p(1), 0);
    assert_eq!(jb.pop(ms(40)), Playout::Packet(p(0)));
    for n in 2..11 {
        push(&mut jb, n, p(n as u8), 50);
    }
    // The queue never spans more than target + slack frames: each
    // overflow skips back down to the target (two frames).
    assert_eq!(jb.depth(), 2);
    assert_eq!(jb.pop(ms(60)), Playout::Packet(p(9)));
    assert_eq!(jb.stats().skipped, 8);
}

#[test]
fn sequence_numbers_wrap() {
    let mut jb = fixed(0);
    jb.push(65_534, 0, p(1), ms(0));
    jb.push(65_535, 960, p(2), ms(0));
    jb.push(0, 1_920, p(3), ms(0));
    assert_eq!(jb.pop(ms(0)), Playout::Packet(p(1)));
    assert_eq!(jb.pop(ms(20)), Playout::Packet(p(2)));
    assert_eq!(jb.pop(ms(40)), Playout::Packet(p(3)));
}

/// A room switch: the SFU numbers the slot's new source on from the old
/// one and moves its timestamps on by the time that passed.
#[test]
fn a_new_source_plays_without_the_old_ones_tail() {
    let mut jb = fixed(40);
    for seq in 0..10u16 {
        push(&mut jb, seq, p(1), 20 * u64::from(seq));
        jb.pop(ms(20 * u64::from(seq) + 10));
    }
    // Two frames of the old source are still queued.
    assert_eq!(jb.depth(), 2);
    // The new source's first packet, 27 ms after the last one.
    jb.push(10, 9 * 960 + 27 * 48, p(2), ms(207));
    assert_eq!(jb.depth(), 1);
    assert_eq!(jb.pop(ms(230)), Playout::Idle);
    assert_eq!(jb.pop(ms(250)), Playout::Packet(p(2)));
    jb.push(11, 10 * 960 + 27 * 48, p(2), ms(227));
    assert_eq!(jb.pop(ms(270)), Playout::Packet(p(2)));
    let stats = jb.stats();
    assert_eq!((stats.skipped, stats.late, stats.runs), (2, 0, 2));
}

#[test]
fn a_lost_packet_does_not_look_like_a_new_source() {
    let mut jb = fixed(0);
    push(&mut jb, 0, p(0), 0);
    push(&mut jb, 1, p(1), 20);
    // 2 is lost; 3 is where its number puts it.
    push(&mut jb, 3, p(3), 60);
    assert_eq!(jb.pop(ms(60)), Playout::Packet(p(0)));
    assert_eq!(jb.pop(ms(80)), Playout::Packet(p(1)));
    assert_eq!(jb.pop(ms(100)), Playout::Recover(p(3)));
    assert_eq!(jb.stats().skipped, 0);
}

/// A sender muted for a while: its numbers and timestamps go on from
/// where they stopped, so the first packet back arrives after its turn.
#[test]
fn a_stream_that_pauses_resumes_instead_of_arriving_late() {
    let mut jb = fixed(0);
    for seq in 0..10u16 {
        let at = 20 * u64::from(seq) + 5;
        push(&mut jb, seq, p(1), at);
        assert_eq!(jb.pop(ms(at + 15)), Playout::Packet(p(1)));
    }
    // The last packet before the pause played at 200 ms; the first
    // after it arrives 45 ms later, two turns after its number's.
    assert_eq!(jb.pop(ms(220)), Playout::Conceal);
    assert_eq!(jb.pop(ms(240)), Playout::Conceal);
    push(&mut jb, 10, p(2), 245);
    assert_eq!(jb.pop(ms(260)), Playout::Packet(p(2)));
    assert_eq!(jb.stats().late, 0);
    assert_eq!(jb.stats().runs, 2);
}

#[test]
fn a_packet_late_behind_a_newer_one_is_still_late() {
    let mut jb = fixed(0);
    push(&mut jb, 0, p(0), 0);
    assert_eq!(jb.pop(ms(0)), Playout::Packet(p(0)));
    assert_eq!(jb.pop(ms(20)), Playout::Conceal);
    // 2 arrives, then 1: 1's turn is gone and the stream went on
    // without it.
    push(&mut jb, 2, p(2), 25);
    push(&mut jb, 1, p(1), 26);
    assert_eq!(jb.stats().late, 1);
    assert_eq!(jb.pop(ms(40)), Playout::Packet(p(2)));
}

/// Packets `seqs` of a 20 ms stream, each sent at `sent(seq)` ms and
/// spending `transit(seq)` ms on the way, played by a 20 ms clock from
/// `from` ms until `until`: what each tick played, and when.
fn simulate(
    jb: &mut JitterBuffer,
    seqs: std::ops::Range<u16>,
    sent: impl Fn(u16) -> u64,
    transit: impl Fn(u16) -> u64,
    (from, until): (u64, u64),
) -> Vec<(u64, Playout)> {
    let mut arrivals: Vec<(u64, u16)> = seqs.map(|i| (sent(i) + transit(i), i)).collect();
    arrivals.sort();
    let mut arrivals = arrivals.into_iter().peekable();
    let mut played = Vec::new();
    for now in (from..until).step_by(20) {
        while let Some(&(at, seq)) = arrivals.peek()
            && at <= now
        {
            push(jb, seq, p(seq as u8), at);
            arrivals.next();
        }
        played.push((now, jb.pop(ms(now))));
    }
    played
}

/// A link that holds some packets up to 45 ms longer than others.
fn jittery(i: u16) -> u64 {
    10 + [0, 5, 45, 10, 0, 30, 45, 20, 0, 15][usize::from(i % 10)]
}

/// Five seconds of talk, a second of silence, five more seconds.
fn talk_pause_talk(i: u16) -> u64 {
    20 * u64::from(i) + if i < 250 { 0 } else { 1_000 }
}

/// Frames repaired in the second run, up to its end.
fn repaired_in_second_run(played: &[(u64, Playout)]) -> usize {
    played
        .iter()
        .filter(|(at, _)| (6_000..10_900).contains(at))
        .filter(|(_, p)| matches!(p, Playout::Conceal | Playout::Recover(_)))
        .count()
}

#[test]
fn the_target_follows_measured_jitter_so_a_new_run_loses_nothing() {
    let mut jb = JitterBuffer::new(ms(5), ms(200));
    let played = simulate(&mut jb, 0..500, talk_pause_talk, jittery, (7, 12_000));
    assert_eq!(jb.target(), ms(45));
    // After the pause the run starts 45 ms after its first packet and
    // every packet is on time.
    let late = jb.stats().late;
    assert_eq!(repaired_in_second_run(&played), 0);
    assert_eq!(jb.stats().late, late);
    // One that stays at its minimum loses the slow packets of the new
    // run until it has restarted on a slow one.
    let mut fixed = fixed(5);
    let played = simulate(&mut fixed, 0..500, talk_pause_talk, jittery, (7, 12_000));
    assert!(repaired_in_second_run(&played) > 0);
}

#[test]
fn an_even_stream_keeps_the_minimum_and_the_target_stays_within_bounds() {
    let mut jb = JitterBuffer::new(ms(10), ms(100));
    let sent = |i: u16| 20 * u64::from(i);
    simulate(&mut jb, 0..200, sent, |_| 10, (0, 4_200));
    assert_eq!(jb.target(), ms(10));
    simulate(
        &mut jb,
        200..400,
        sent,
        |i| if i % 4 == 0 { 400 } else { 10 },
        (4_200, 8_600),
    );
    assert_eq!(jb.target(), ms(100));
}

#[test]
fn delay_left_over_from_a_burst_is_shed_a_frame_at_a_time() {
    let mut jb = fixed(0);
    // Three packets at once, then an even stream: every packet waits
    // two frames longer than the target asks.
    for seq in 0..3u16 {
        push(&mut jb, seq, p(0), 0);
    }
    for tick in 0..300u16 {
        let now = 20 * u64::from(tick);
        assert!(matches!(jb.pop(ms(now)), Playout::Packet(_)));
        push(&mut jb, tick + 3, p(0), now + 1);
    }
    // One frame in each of two seconds, then the delay is the target's.
    assert_eq!(jb.stats().skipped, 2);
    assert_eq!(jb.depth(), 1);
}
