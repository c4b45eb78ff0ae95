//! What the camera sends for a given bandwidth estimate. Audio is served
//! first; video gives up bitrate, then frame rate, then resolution, and
//! takes them back in the reverse order, more slowly than it gave them up.

use std::time::{Duration, Instant};

/// What the mic needs on the wire: Opus at 32 kbit/s plus 50 packets a
/// second of RTP, SRTP, UDP and IP headers.
pub const AUDIO_BUDGET_BPS: u64 = 64_000;
/// Share of what is left that the encoder aims at: packet headers and the
/// encoder's own overshoot live in the rest.
const VIDEO_SHARE: f64 = 0.9;
/// Below this a picture is not worth sending more slowly; the floor of the
/// encoder's target.
pub const MIN_VIDEO_KBPS: u32 = 30;
/// What a 320×240 picture at full rate looks good with; other sizes scale
/// by area.
const REFERENCE_KBPS: f64 = 300.0;
const REFERENCE_AREA: f64 = 320.0 * 240.0;
const MAX_VIDEO_KBPS: u32 = 2_500;
/// A step is kept while it has at least this share of its full bitrate.
const MIN_SHARE: f64 = 0.5;
/// Going back up needs this much more than the step asks for...
const UP_MARGIN: f64 = 1.3;
/// ...and this long since the last change.
const UP_HOLD: Duration = Duration::from_secs(3);
/// No smaller pictures than this (pixels), WebRTC's floor too: below it a
/// face is not worth the pixels, and a 320×240 picture keeps its size.
const MIN_PIXELS: u32 = 320 * 180;

/// The encoder's settings for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoTarget {
    pub kbps: u32,
    pub fps: u32,
    /// The source is divided by this in each direction.
    pub scale: u32,
}

/// The ladder for one source.
#[derive(Debug)]
pub struct Ladder {
    width: u32,
    height: u32,
    fps: u32,
    step: usize,
    /// The last step whose pictures are not below [`MIN_PIXELS`].
    last_step: usize,
    last_change: Option<Instant>,
}

/// (scale, frame-rate divisor), from best to worst.
const STEPS: [(u32, u32); 4] = [(1, 1), (1, 2), (2, 2), (4, 2)];

impl Ladder {
    pub fn new(width: u32, height: u32, fps: u32) -> Ladder {
        let last_step = (1..STEPS.len())
            .take_while(|&step| {
                let scale = STEPS[step].0;
                (width / scale) * (height / scale) >= MIN_PIXELS
            })
            .last()
            .unwrap_or(0);
        Ladder {
            width,
            height,
            fps: fps.max(1),
            step: 0,
            last_step,
            last_change: None,
        }
    }

    /// Whether this ladder is for a source of this shape.
    pub fn fits(&self, width: u32, height: u32, fps: u32) -> bool {
        (self.width, self.height, self.fps) == (width, height, fps.max(1))
    }

    /// The full-rate bitrate of the source at its own size.
    pub fn full_kbps(&self) -> u32 {
        full_kbps(self.width, self.height)
    }

    /// The settings for `estimate_bps` (everything the connection may
    /// send) at `now`.
    pub fn update(&mut self, estimate_bps: u64, now: Instant) -> VideoTarget {
        let kbps = (video_kbps(estimate_bps) as u32).clamp(MIN_VIDEO_KBPS, self.full_kbps());
        let before = self.step;
        while self.step < self.last_step && f64::from(kbps) < self.needs(self.step) {
            self.step += 1;
        }
        let settled = self
            .last_change
            .is_none_or(|last| now.saturating_duration_since(last) >= UP_HOLD);
        if self.step == before
            && self.step > 0
            && settled
            && f64::from(kbps) >= UP_MARGIN * self.needs(self.step - 1)
        {
            self.step -= 1;
        }
        if self.step != before {
            self.last_change = Some(now);
        }
        let (scale, divisor) = STEPS[self.step];
        VideoTarget {
            kbps,
            fps: (self.fps / divisor).max(1),
            scale,
        }
    }

    /// The least bitrate step `step` is worth keeping at.
    fn needs(&self, step: usize) -> f64 {
        let (scale, divisor) = STEPS[step];
        nominal_kbps(self.width / scale, self.height / scale, divisor) * MIN_SHARE
    }
}

/// What the encoder may aim at for `estimate_bps` (everything the
/// connection may send), audio served first.
pub fn video_kbps(estimate_bps: u64) -> f64 {
    estimate_bps.saturating_sub(AUDIO_BUDGET_BPS) as f64 * VIDEO_SHARE / 1e3
}

/// The most a picture of this size is given at its full frame rate.
pub fn full_kbps(width: u32, height: u32) -> u32 {
    (nominal_kbps(width, height, 1) as u32).clamp(150, MAX_VIDEO_KBPS)
}

fn nominal_kbps(width: u32, height: u32, fps_divisor: u32) -> f64 {
    REFERENCE_KBPS * f64::from(width) * f64::from(height) / REFERENCE_AREA / f64::from(fps_divisor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    #[test]
    fn plenty_sends_the_full_picture_at_its_bitrate() {
        let mut ladder = Ladder::new(640, 480, 30);
        let target = ladder.update(5_000_000, Instant::now());
        assert_eq!(
            target,
            VideoTarget {
                kbps: 1_200,
                fps: 30,
                scale: 1
            }
        );
    }

    #[test]
    fn less_gives_up_bitrate_then_frame_rate_then_resolution() {
        let t0 = Instant::now();
        let mut ladder = Ladder::new(640, 480, 30);
        // 1 Mbit/s: less bitrate, same picture.
        let t = ladder.update(1_000_000, t0);
        assert_eq!((t.kbps, t.fps, t.scale), (842, 30, 1));
        // 500 kbit/s: below what 30 fps needs at this size.
        let t = ladder.update(500_000, t0);
        assert_eq!((t.kbps, t.fps, t.scale), (392, 15, 1));
        // 250 kbit/s: half the size too.
        let t = ladder.update(250_000, t0);
        assert_eq!((t.kbps, t.fps, t.scale), (167, 15, 2));
        // Nothing left: the floor, the smallest picture worth sending.
        let t = ladder.update(50_000, t0);
        assert_eq!((t.kbps, t.fps, t.scale), (MIN_VIDEO_KBPS, 15, 2));
        // A 1280×720 camera goes down to 320×180.
        let mut ladder = Ladder::new(1280, 720, 30);
        assert_eq!(ladder.update(50_000, t0).scale, 4);
    }

    #[test]
    fn a_small_picture_keeps_its_size() {
        let mut ladder = Ladder::new(320, 240, 30);
        let t = ladder.update(50_000, Instant::now());
        assert_eq!((t.kbps, t.fps, t.scale), (MIN_VIDEO_KBPS, 15, 1));
    }

    #[test]
    fn audio_is_served_first() {
        let mut ladder = Ladder::new(320, 240, 30);
        let t = ladder.update(AUDIO_BUDGET_BPS + 100_000, Instant::now());
        assert_eq!(t.kbps, 90);
        let t = ladder.update(AUDIO_BUDGET_BPS, Instant::now());
        assert_eq!(t.kbps, MIN_VIDEO_KBPS);
    }

    #[test]
    fn going_back_up_waits_and_needs_a_margin() {
        let t0 = Instant::now();
        let mut ladder = Ladder::new(640, 480, 30);
        assert_eq!(ladder.update(500_000, at(t0, 0)).fps, 15);
        // Just enough for 30 fps again: not enough margin.
        assert_eq!(ladder.update(800_000, at(t0, 10)).fps, 15);
        // Plenty, but too soon after the last change.
        let mut ladder = Ladder::new(640, 480, 30);
        ladder.update(500_000, at(t0, 0));
        assert_eq!(ladder.update(2_000_000, at(t0, 1)).fps, 15);
        assert_eq!(ladder.update(2_000_000, at(t0, 3)).fps, 30);
    }

    #[test]
    fn recovery_is_one_step_at_a_time() {
        let t0 = Instant::now();
        let mut ladder = Ladder::new(640, 480, 30);
        assert_eq!(ladder.update(50_000, at(t0, 0)).scale, 2);
        let steps: Vec<(u32, u32)> = (1..=3)
            .map(|i| {
                let t = ladder.update(5_000_000, at(t0, 3 * i));
                (t.scale, t.fps)
            })
            .collect();
        assert_eq!(steps, [(1, 15), (1, 30), (1, 30)]);
    }
}
