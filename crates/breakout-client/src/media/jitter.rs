//! A fixed-delay jitter buffer for one audio slot. No I/O and no clock: the
//! playout clock calls [`JitterBuffer::pop`] every 20 ms and gets what to
//! play next.
//!
//! Packets are ordered by RTP sequence number (the SFU keeps a slot's
//! numbers continuous across a change of source, so a room switch is not a
//! discontinuity here). Playback starts once `target` frames are queued; a
//! missing frame is rebuilt from the next packet's FEC copy when that packet
//! is already here, or concealed; after a few concealed frames with nothing
//! queued the buffer goes idle (the source stopped: muted or moved away) and
//! starts over with the next packet. A fill that stops growing is the tail
//! of a stream that ended (the last packets of someone who left the slot):
//! it is dropped rather than played before the slot's next source. When the
//! queue grows past
//! `target + slack` (a burst after a stall) it skips ahead, because being
//! late costs more than a click.

use std::collections::BTreeMap;

use bytes::Bytes;

/// What to play in this 20 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Nothing: the buffer is idle or still filling. Play silence.
    Idle,
    /// Decode this packet.
    Packet(Bytes),
    /// This frame was lost: rebuild it from the FEC data of the next packet.
    Recover(Bytes),
    /// This frame was lost and nothing can rebuild it: conceal.
    Conceal,
}

/// Counters since creation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    pub played: u64,
    pub recovered: u64,
    pub concealed: u64,
    /// Arrived after their turn (or duplicates).
    pub late: u64,
    /// Skipped to catch up after a burst.
    pub skipped: u64,
}

#[derive(Debug, Clone)]
pub struct JitterBuffer {
    target: usize,
    slack: usize,
    queue: BTreeMap<u64, Bytes>,
    /// Sequence number to play next; `None` while idle.
    next: Option<u64>,
    highest: Option<u64>,
    /// Frames concealed in a row with an empty queue.
    starving: u32,
    /// Pops while filling with nothing new pushed.
    stalled_fill: u32,
    stats: JitterStats,
}

/// Concealed frames in a row (with nothing queued) before going idle.
const MAX_STARVING: u32 = 3;
/// Pops without a new packet before a partial fill is dropped as stale.
const MAX_STALLED_FILL: u32 = 5;
/// A jump this large in sequence numbers is a new stream, not a loss.
const RESET_GAP: u64 = 500;

impl JitterBuffer {
    /// `target`: frames queued before playback starts (the fixed delay, in
    /// 20 ms units); `slack`: extra frames tolerated before skipping ahead.
    pub fn new(target: usize, slack: usize) -> Self {
        JitterBuffer {
            target: target.max(1),
            slack,
            queue: BTreeMap::new(),
            next: None,
            highest: None,
            starving: 0,
            stalled_fill: 0,
            stats: JitterStats::default(),
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Frames waiting to be played.
    pub fn depth(&self) -> usize {
        self.queue.len()
    }

    /// Takes in one received packet.
    pub fn push(&mut self, sequence: u16, payload: Bytes) {
        let seq = self.extend(sequence);
        self.stats.received += 1;
        self.stalled_fill = 0;
        if let Some(highest) = self.highest
            && seq > highest + RESET_GAP
        {
            self.queue.clear();
            self.next = None;
        }
        if self.next.is_some_and(|next| seq < next) || self.queue.contains_key(&seq) {
            self.stats.late += 1;
            return;
        }
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        self.queue.insert(seq, payload);
        self.catch_up();
    }

    /// What to play for the next 20 ms.
    pub fn pop(&mut self) -> Playout {
        let next = match self.next {
            Some(next) => next,
            None => {
                if self.queue.len() < self.target {
                    self.drop_stalled_fill();
                    return Playout::Idle;
                }
                *self.queue.keys().next().expect("queue is not empty")
            }
        };
        self.next = Some(next + 1);
        if let Some(payload) = self.queue.remove(&next) {
            self.starving = 0;
            self.stats.played += 1;
            return Playout::Packet(payload);
        }
        if self.queue.is_empty() {
            self.starving += 1;
            if self.starving > MAX_STARVING {
                self.next = None;
                self.starving = 0;
                return Playout::Idle;
            }
            self.stats.concealed += 1;
            return Playout::Conceal;
        }
        match self.queue.get(&(next + 1)) {
            Some(following) => {
                self.stats.recovered += 1;
                Playout::Recover(following.clone())
            }
            None => {
                self.stats.concealed += 1;
                Playout::Conceal
            }
        }
    }

    /// Counts a pop spent filling; a fill that got nothing new for a while
    /// belongs to a stream that ended, so it is not played later.
    fn drop_stalled_fill(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        self.stalled_fill += 1;
        if self.stalled_fill > MAX_STALLED_FILL {
            self.stats.skipped += self.queue.len() as u64;
            self.queue.clear();
            self.stalled_fill = 0;
        }
    }

    /// Drops the oldest frames while the queue is longer than allowed.
    fn catch_up(&mut self) {
        let Some(next) = self.next else { return };
        let Some(highest) = self.highest else { return };
        let span = (highest + 1).saturating_sub(next) as usize;
        if span <= self.target + self.slack {
            return;
        }
        let new_next = highest + 1 - self.target as u64;
        let skipped = self.queue.range(..new_next).count();
        self.queue = self.queue.split_off(&new_next);
        self.stats.skipped += skipped as u64;
        self.next = Some(new_next);
    }

    /// Unwraps a 16-bit sequence number around the highest one seen.
    fn extend(&self, sequence: u16) -> u64 {
        let Some(highest) = self.highest else {
            // Start high enough that unwrapping backwards never underflows.
            return (1 << 20) + sequence as u64;
        };
        let base = highest & !0xFFFF;
        let candidates = [base.wrapping_sub(0x1_0000), base, base + 0x1_0000];
        candidates
            .into_iter()
            .map(|b| b + sequence as u64)
            .min_by_key(|&s| s.abs_diff(highest))
            .expect("three candidates")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn the_stale_tail_of_an_ended_stream_is_not_played_before_the_next_source() {
        let mut jb = JitterBuffer::new(3, 4);
        // The old source's last packet arrives after the buffer went idle.
        jb.push(100, p(1));
        for _ in 0..=MAX_STALLED_FILL {
            assert_eq!(jb.pop(), Playout::Idle);
        }
        // Later the slot carries someone else, numbered on from there.
        for seq in 101..104 {
            jb.push(seq, p(2));
        }
        assert_eq!(jb.pop(), Playout::Packet(p(2)));
        assert_eq!(jb.stats().skipped, 1);
    }

    #[test]
    fn a_slow_fill_is_kept_while_packets_keep_coming() {
        let mut jb = JitterBuffer::new(3, 4);
        for seq in 0..2u16 {
            jb.push(seq, p(seq as u8));
            for _ in 0..MAX_STALLED_FILL {
                assert_eq!(jb.pop(), Playout::Idle);
            }
        }
        jb.push(2, p(2));
        assert_eq!(jb.pop(), Playout::Packet(p(0)));
    }

    #[test]
    fn fills_to_target_then_plays_in_order() {
        let mut jb = JitterBuffer::new(2, 4);
        jb.push(10, p(10));
        assert_eq!(jb.pop(), Playout::Idle);
        jb.push(12, p(12));
        jb.push(11, p(11));
        assert_eq!(jb.pop(), Playout::Packet(p(10)));
        assert_eq!(jb.pop(), Playout::Packet(p(11)));
        assert_eq!(jb.pop(), Playout::Packet(p(12)));
    }

    #[test]
    fn a_loss_is_recovered_from_the_next_packet_or_concealed() {
        let mut jb = JitterBuffer::new(1, 8);
        jb.push(1, p(1));
        jb.push(3, p(3));
        jb.push(6, p(6));
        assert_eq!(jb.pop(), Playout::Packet(p(1)));
        assert_eq!(jb.pop(), Playout::Recover(p(3)));
        assert_eq!(jb.pop(), Playout::Packet(p(3)));
        assert_eq!(jb.pop(), Playout::Conceal);
        assert_eq!(jb.pop(), Playout::Recover(p(6)));
        assert_eq!(jb.pop(), Playout::Packet(p(6)));
        let stats = jb.stats();
        assert_eq!((stats.recovered, stats.concealed, stats.played), (2, 1, 3));
    }

    #[test]
    fn goes_idle_when_the_source_stops_and_restarts_cleanly() {
        let mut jb = JitterBuffer::new(1, 4);
        jb.push(1, p(1));
        assert_eq!(jb.pop(), Playout::Packet(p(1)));
        for _ in 0..MAX_STARVING {
            assert_eq!(jb.pop(), Playout::Conceal);
        }
        assert_eq!(jb.pop(), Playout::Idle);
        assert_eq!(jb.pop(), Playout::Idle);
        jb.push(2, p(2));
        assert_eq!(jb.pop(), Playout::Packet(p(2)));
    }

    #[test]
    fn late_and_duplicate_packets_are_dropped() {
        let mut jb = JitterBuffer::new(1, 4);
        jb.push(5, p(5));
        assert_eq!(jb.pop(), Playout::Packet(p(5)));
        jb.push(4, p(4));
        jb.push(6, p(6));
        jb.push(6, p(6));
        assert_eq!(jb.stats().late, 2);
    }

    #[test]
    fn skips_ahead_after_a_burst() {
        let mut jb = JitterBuffer::new(2, 2);
        jb.push(0, p(0));
        jb.push(1, p(1));
        assert_eq!(jb.pop(), Playout::Packet(p(0)));
        for n in 2..10 {
            jb.push(n, p(n as u8));
        }
        // The queue never spans more than target + slack = 4 frames: each
        // overflow skips back down to the target.
        assert_eq!(jb.depth(), 3);
        assert_eq!(jb.pop(), Playout::Packet(p(7)));
        assert_eq!(jb.stats().skipped, 6);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut jb = JitterBuffer::new(1, 8);
        jb.push(65_534, p(1));
        jb.push(65_535, p(2));
        jb.push(0, p(3));
        assert_eq!(jb.pop(), Playout::Packet(p(1)));
        assert_eq!(jb.pop(), Playout::Packet(p(2)));
        assert_eq!(jb.pop(), Playout::Packet(p(3)));
    }
}
