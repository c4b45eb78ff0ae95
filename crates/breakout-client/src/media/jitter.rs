//! An adaptive jitter buffer for one audio slot. No I/O and no clock:
//! packets come in with their arrival time, and the playout clock calls
//! [`JitterBuffer::pop`] every 20 ms with the current time to get what to
//! play next. Times are durations since any fixed instant of the caller's.
//!
//! Packets are ordered by RTP sequence number, which the SFU keeps
//! continuous across a change of the slot's source. The timestamps show
//! the change: the SFU advances them by the time that passed, so a packet
//! whose timestamp is not where its sequence number puts it starts the
//! stream anew. What is still queued from before (the tail of the old
//! source) is dropped rather than played before the new source.
//!
//! A run of playback starts once its first packet has waited the target
//! delay: what recent arrivals needed ([`ArrivalDelay`]), within the
//! configured bounds. Nothing waits for company, so a lone packet plays on
//! its own and is never held in front of the slot's next source.
//!
//! A missing frame is rebuilt from the next packet's FEC copy when that
//! packet is already here, or concealed. With nothing queued the buffer
//! conceals a few frames, then goes idle. A packet whose turn was concealed
//! while nothing was queued is not late: the stream paused (a stall, a
//! sender whose timestamps stood still while muted) and lost nothing, so
//! playback restarts from it instead of dropping it and all that follows.
//!
//! A queue grown past target + slack (a burst after a stall) skips ahead,
//! because being late costs more than a click; a queue that held every
//! packet a frame longer than the target for a second drops one frame.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::arrival::ArrivalDelay;

/// What to play in this 20 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Nothing: the buffer is idle or its run has not waited long enough
    /// yet. Play silence.
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
    /// Skipped to catch up after a burst, or to shed excess delay.
    pub skipped: u64,
    /// Runs of playback started (the first, and after every pause).
    pub runs: u64,
}

#[derive(Debug, Clone)]
struct Queued {
    payload: Bytes,
    arrived: Duration,
}

#[derive(Debug, Clone)]
pub struct JitterBuffer {
    min_delay: Duration,
    max_delay: Duration,
    target: Duration,
    queue: BTreeMap<u64, Queued>,
    /// Sequence number to play next; `None` while idle or waiting to start.
    next: Option<u64>,
    /// Arrival of the packet that opened the run waiting to start.
    run_opened: Option<Duration>,
    /// Everything up to here is played or given up: later copies are late.
    done: Option<u64>,
    highest: Option<u64>,
    /// The highest packet's RTP timestamp.
    highest_stamp: u32,
    /// The newest RTP timestamp, unwrapped.
    newest_timestamp: Option<i64>,
    /// Frames concealed in a row with an empty queue.
    starving: u32,
    /// Least time a played packet waited in the current window, and how
    /// many were played in it.
    least_wait: Option<Duration>,
    window_played: u32,
    arrivals: ArrivalDelay,
    stats: JitterStats,
}

/// One packet, one 20 ms frame.
const FRAME: Duration = Duration::from_millis(20);
/// RTP clock of the audio slots (Opus).
const CLOCK_RATE: i64 = 48_000;
/// A frame in RTP clock ticks.
const FRAME_TICKS: u32 = 960;
/// How far a timestamp may stray from its frame's place (a millisecond)
/// before the stream counts as starting anew.
const STAMP_SLACK: u32 = 48;
/// Concealed frames in a row (with nothing queued) before going idle.
const MAX_STARVING: u32 = 3;
/// Frames queued beyond the target before skipping ahead.
const SLACK_FRAMES: usize = 3;
/// Played packets over which excess delay is judged (a second).
const DRAIN_WINDOW: u32 = 50;
/// A jump this large in sequence numbers is a new stream, not a loss.
const RESET_GAP: u64 = 500;

impl JitterBuffer {
    /// The target delay adapts between `min_delay` and `max_delay`.
    pub fn new(min_delay: Duration, max_delay: Duration) -> Self {
        JitterBuffer {
            min_delay,
            max_delay: max_delay.max(min_delay),
            target: min_delay,
            queue: BTreeMap::new(),
            next: None,
            run_opened: None,
            done: None,
            highest: None,
            highest_stamp: 0,
            newest_timestamp: None,
            starving: 0,
            least_wait: None,
            window_played: 0,
            arrivals: ArrivalDelay::default(),
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

    /// How long the next run's first packet will be held.
    pub fn target(&self) -> Duration {
        self.target
    }

    /// Takes in one packet that arrived at `at`.
    pub fn push(&mut self, sequence: u16, timestamp: u32, payload: Bytes, at: Duration) {
        let seq = self.extend(sequence);
        self.stats.received += 1;
        if self.highest.is_some_and(|h| seq.abs_diff(h) > RESET_GAP) {
            self.reset();
        }
        let anew = self.starts_anew(seq, timestamp);
        if anew {
            // Everything queued is older: the tail of the old source, or
            // what came before the pause.
            self.stats.skipped += self.queue.len() as u64;
            self.queue.clear();
        }
        let resumes = anew || self.resumes(seq);
        if resumes {
            self.next = None;
            self.starving = 0;
            self.done = Some(seq - 1);
        }
        if self.next.is_none() && self.queue.is_empty() {
            self.run_opened = Some(at);
            self.arrivals.restart();
        }
        // Late packets count most: they are what the delay is for.
        let media = self.media_time(timestamp);
        self.arrivals.observe(media, at);
        self.target = self.arrivals.needed().clamp(self.min_delay, self.max_delay);
        let late = self.queue.contains_key(&seq)
            || self.done.is_some_and(|d| seq <= d)
            || (!resumes && self.next.is_some_and(|next| seq < next));
        if late {
            self.stats.late += 1;
            return;
        }
        if self.highest.is_none_or(|h| seq > h) {
            self.highest = Some(seq);
            self.highest_stamp = timestamp;
        }
        let queued = Queued {
            payload,
            arrived: at,
        };
        self.queue.insert(seq, queued);
        self.catch_up();
    }

    /// Whether a packet newer than all others has a timestamp other than
    /// its sequence number puts it at: the stream starts anew there. The
    /// SFU advances a slot's timestamps by the time that passed when it
    /// moves the slot to another source; a sender that paused does the same.
    fn starts_anew(&self, seq: u64, timestamp: u32) -> bool {
        let Some(highest) = self.highest.filter(|&h| seq > h) else {
            return false;
        };
        let frames = (seq - highest) as u32;
        let expected = self
            .highest_stamp
            .wrapping_add(frames.wrapping_mul(FRAME_TICKS));
        (timestamp.wrapping_sub(expected) as i32).unsigned_abs() > STAMP_SLACK
    }

    /// Whether `seq` had its turn concealed for want of anything queued:
    /// the stream paused rather than lost it, so playback restarts from it.
    fn resumes(&self, seq: u64) -> bool {
        let Some(next) = self.next else { return false };
        let concealed_since = next - u64::from(self.starving);
        self.queue.is_empty()
            && (concealed_since..next).contains(&seq)
            && self.done.is_none_or(|d| seq > d)
    }

    /// What to play for the 20 ms starting at `now`.
    pub fn pop(&mut self, now: Duration) -> Playout {
        let next = match self.next {
            Some(next) => next,
            None => {
                let opened = self.run_opened.unwrap_or_default();
                let Some(&first) = self.queue.keys().next() else {
                    return Playout::Idle;
                };
                if now < opened + self.target {
                    return Playout::Idle;
                }
                self.stats.runs += 1;
                self.least_wait = None;
                self.window_played = 0;
                first
            }
        };
        self.next = Some(next + 1);
        if let Some(queued) = self.queue.remove(&next) {
            self.starving = 0;
            self.stats.played += 1;
            self.done = Some(next);
            self.drain(now.saturating_sub(queued.arrived));
            return Playout::Packet(queued.payload);
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
        self.starving = 0;
        match self.queue.get(&(next + 1)) {
            Some(following) => {
                self.stats.recovered += 1;
                self.done = Some(next);
                Playout::Recover(following.payload.clone())
            }
            None => {
                self.stats.concealed += 1;
                Playout::Conceal
            }
        }
    }

    /// Notes how long a played packet waited; when every packet of the
    /// last second waited a frame longer than needed, drops the next frame.
    fn drain(&mut self, waited: Duration) {
        self.least_wait = Some(self.least_wait.map_or(waited, |w| w.min(waited)));
        self.window_played += 1;
        if self.window_played < DRAIN_WINDOW {
            return;
        }
        let excess = self.least_wait.is_some_and(|w| w >= self.target + FRAME);
        self.least_wait = None;
        self.window_played = 0;
        let Some(next) = self.next else { return };
        if excess && self.queue.remove(&next).is_some() {
            self.stats.skipped += 1;
            self.done = Some(next);
            self.next = Some(next + 1);
        }
    }

    /// Drops the oldest frames while the queue is longer than allowed.
    fn catch_up(&mut self) {
        let Some(next) = self.next else { return };
        let Some(highest) = self.highest else { return };
        let target = self.target_frames();
        let span = (highest + 1).saturating_sub(next) as usize;
        if span <= target + SLACK_FRAMES {
            return;
        }
        let new_next = highest + 1 - target as u64;
        let skipped = self.queue.range(..new_next).count();
        self.queue = self.queue.split_off(&new_next);
        self.stats.skipped += skipped as u64;
        self.done = Some(new_next - 1);
        self.next = Some(new_next);
    }

    /// The target delay in whole frames, at least one.
    fn target_frames(&self) -> usize {
        (self.target.as_micros().div_ceil(FRAME.as_micros()) as usize).max(1)
    }

    /// A new stream: nothing before it applies.
    fn reset(&mut self) {
        self.queue.clear();
        self.next = None;
        self.done = None;
        self.highest = None;
        self.newest_timestamp = None;
        self.starving = 0;
    }

    /// The media time of an RTP timestamp, unwrapped around the newest one.
    fn media_time(&mut self, timestamp: u32) -> Duration {
        let unwrapped = match self.newest_timestamp {
            None => i64::from(timestamp),
            Some(last) => last + i64::from(timestamp.wrapping_sub(last as u32) as i32),
        };
        if self.newest_timestamp.is_none_or(|last| unwrapped > last) {
            self.newest_timestamp = Some(unwrapped);
        }
        // Offset so that a timestamp slightly before the first is not negative.
        let ticks = (unwrapped + (1 << 40)).max(0) as u64;
        Duration::from_micros(ticks * 1_000_000 / CLOCK_RATE as u64)
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
#[path = "jitter_tests.rs"]
mod tests;
