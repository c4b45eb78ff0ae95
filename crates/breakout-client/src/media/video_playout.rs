//! When to show each decoded picture of one video slot.
//!
//! A picture shown the moment it is decoded freezes whenever a packet of it
//! had to be resent: the resend comes a round trip later, and by WebRTC's
//! rule a gap of 150 ms beyond the usual frame interval is a freeze. So each
//! picture is shown at its capture time on the sender's clock plus a delay
//! that covers how late pictures have arrived lately: none on a clean link,
//! the jitter on a jittery one, the resend time on a lossy one (as WebRTC's
//! receiver adds the round trip to its target delay while it uses NACK).
//! The delay is the latest arrival over the last [`WINDOW`], at most
//! [`MAX_DELAY`]; it shrinks again, gradually, once the link is clean for a
//! window.
//!
//! Times are passed in; the sender's clock is the RTP timestamp (90 kHz),
//! which the SFU keeps continuous across switches of source.

use std::collections::VecDeque;
use std::time::Duration;

use super::frame::VideoFrame;

/// How far back late arrivals count: on a lossy link a resend that needs a
/// second request comes every half minute or so, and each one outside the
/// window is a freeze.
const WINDOW: Duration = Duration::from_secs(30);
/// The longest delay added: beyond it a late picture is shown late instead.
/// As long as the assembler holds a frame for resends: a picture that
/// waited for one is still shown in time.
pub const MAX_DELAY: Duration = super::assemble::HOLD_FOR_RESEND;
/// A picture this far off the others' timeline (in either direction) starts
/// a new one: the sender restarted, or a switch the SFU could not smooth.
const NEW_TIMELINE: Duration = Duration::from_secs(1);
/// How fast the delay shrinks, per picture shown: slowly enough that the
/// pictures in between stay evenly spaced (28 instead of 33 ms at 30 fps).
const SHRINK_PER_PICTURE_MS: i64 = 5;
const CLOCK_RATE: i64 = 90_000;

/// One arrival: when, and arrival time minus capture time (ms).
#[derive(Debug, Clone, Copy)]
struct Arrival {
    at: Duration,
    offset_ms: i64,
}

#[derive(Debug, Default)]
pub struct VideoPlayout {
    arrivals: VecDeque<Arrival>,
    /// The last RTP timestamp, extended past its 32-bit wrap.
    last_timestamp: Option<i64>,
    /// The delay pictures are shown with now (ms).
    delay_ms: i64,
    queue: VecDeque<(Duration, VideoFrame)>,
}

impl VideoPlayout {
    /// A picture with RTP timestamp `timestamp`, decoded at `now`; returns
    /// when to show it.
    pub fn push(&mut self, timestamp: u32, now: Duration, picture: VideoFrame) -> Duration {
        let capture_ms = self.extend(timestamp) * 1_000 / CLOCK_RATE;
        let offset_ms = now.as_millis() as i64 - capture_ms;
        while self
            .arrivals
            .front()
            .is_some_and(|a| now.saturating_sub(a.at) > WINDOW)
        {
            self.arrivals.pop_front();
        }
        if let Some(base) = self.base()
            && (offset_ms - base).unsigned_abs() > NEW_TIMELINE.as_millis() as u64
        {
            self.arrivals.clear();
        }
        self.arrivals.push_back(Arrival { at: now, offset_ms });
        let base = self.base().unwrap_or(offset_ms);
        let lateness = offset_ms - base;
        let target = self
            .arrivals
            .iter()
            .map(|a| a.offset_ms - base)
            .max()
            .unwrap_or(0)
            .min(MAX_DELAY.as_millis() as i64);
        self.delay_ms = if target >= self.delay_ms {
            target
        } else {
            target.max(self.delay_ms - SHRINK_PER_PICTURE_MS)
        };
        let wait = Duration::from_millis((self.delay_ms - lateness).max(0) as u64);
        // Never before a picture queued earlier.
        let show_at = self
            .queue
            .back()
            .map_or(now + wait, |(at, _)| (*at).max(now + wait));
        self.queue.push_back((show_at, picture));
        show_at
    }

    /// The pictures to show by `now`, in order.
    pub fn due(&mut self, now: Duration) -> Vec<VideoFrame> {
        let mut due = Vec::new();
        while self.queue.front().is_some_and(|(at, _)| *at <= now) {
            due.extend(self.queue.pop_front().map(|(_, picture)| picture));
        }
        due
    }

    /// When the next queued picture is due.
    pub fn next_due(&self) -> Option<Duration> {
        self.queue.front().map(|(at, _)| *at)
    }

    /// The earliest arrival relative to capture in the window: a picture
    /// that came this quickly was not delayed at all.
    fn base(&self) -> Option<i64> {
        self.arrivals.iter().map(|a| a.offset_ms).min()
    }

    fn extend(&mut self, timestamp: u32) -> i64 {
        let extended = match self.last_timestamp {
            None => i64::from(timestamp),
            Some(last) => {
                let delta = timestamp.wrapping_sub(last as u32) as i32;
                last + i64::from(delta)
            }
        };
        self.last_timestamp = Some(extended);
        extended
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn picture() -> VideoFrame {
        VideoFrame {
            width: 2,
            height: 2,
            i420: Arc::from(vec![0u8; 6]),
            keyframe: false,
        }
    }

    /// 30 fps: frame `i` captured at 33 ms × i (RTP 3,000 per frame).
    fn timestamp(i: u32) -> u32 {
        1_000_000 + 3_000 * i
    }

    #[test]
    fn on_a_clean_link_pictures_are_shown_when_decoded() {
        let mut playout = VideoPlayout::default();
        for i in 0..100u32 {
            let now = ms(500 + 100 * u64::from(i) / 3);
            // Within the rounding of both clocks to milliseconds.
            let show_at = playout.push(timestamp(i), now, picture());
            assert!(show_at <= now + ms(1), "{i}: {show_at:?} after {now:?}");
            assert_eq!(playout.due(now + ms(1)).len(), 1);
        }
        assert_eq!(playout.next_due(), None);
    }

    #[test]
    fn after_a_resend_pictures_wait_as_long_as_it_took_and_show_evenly() {
        let mut playout = VideoPlayout::default();
        let on_time = |i: u32| ms(500 + 100 * u64::from(i) / 3);
        for i in 0..30 {
            playout.push(timestamp(i), on_time(i), picture());
        }
        // Frame 30's packet was lost and resent 180 ms later; 31 and 32
        // waited behind it.
        let late = on_time(30) + ms(180);
        for i in 30..33 {
            playout.push(timestamp(i), late, picture());
        }
        playout.due(late);
        // From then on every picture waits 180 ms, so the next resend of
        // the same length shows on time.
        let mut shown = Vec::new();
        for i in 33..60 {
            let now = on_time(i);
            shown.push(playout.push(timestamp(i), now, picture()));
        }
        let late = on_time(60) + ms(170);
        for i in 60..63 {
            shown.push(playout.push(timestamp(i), late, picture()));
        }
        let gaps: Vec<u128> = shown
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis())
            .collect();
        assert!(gaps.iter().all(|gap| (31..=35).contains(gap)), "{gaps:?}");
        assert!(shown[0] >= on_time(33) + ms(179));
    }

    #[test]
    fn the_delay_is_bounded_and_forgotten_after_a_clean_window() {
        let mut playout = VideoPlayout::default();
        let on_time = |i: u32| ms(500 + 100 * u64::from(i) / 3);
        let wait = |playout: &mut VideoPlayout, i: u32, now: Duration| {
            playout.push(timestamp(i), now, picture()) - now
        };
        for i in 0..30 {
            assert_eq!(wait(&mut playout, i, on_time(i)), Duration::ZERO);
        }
        // 900 ms late, and the 27 behind it with it: shown as they come;
        // the pictures after them wait no more than the bound.
        let late = on_time(30) + ms(900);
        assert_eq!(wait(&mut playout, 30, late), Duration::ZERO);
        for i in 31..58 {
            wait(&mut playout, i, late);
        }
        let waited = wait(&mut playout, 58, on_time(58));
        assert!(waited.abs_diff(MAX_DELAY) <= ms(1), "{waited:?}");
        // Once the late ones are out of the window, no wait.
        let shrinking = (MAX_DELAY.as_millis() as i64 / SHRINK_PER_PICTURE_MS) as u32;
        let clean = 59 + (WINDOW.as_millis() as u32 * 3 / 100) + shrinking + 2;
        for i in 59..clean {
            wait(&mut playout, i, on_time(i));
        }
        let waited = wait(&mut playout, clean, on_time(clean));
        assert!(waited <= ms(1), "{waited:?}");
    }

    #[test]
    fn a_jump_in_the_senders_clock_starts_a_new_timeline() {
        let mut playout = VideoPlayout::default();
        for i in 0..10u32 {
            playout.push(timestamp(i), ms(100 * u64::from(i) / 3), picture());
        }
        // The timestamps jump back by an hour.
        let now = ms(400);
        assert_eq!(
            playout.push(timestamp(10).wrapping_sub(90_000 * 3_600), now, picture()),
            now
        );
    }
}
