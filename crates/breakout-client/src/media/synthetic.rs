//! Synthetic sources whose content says who sent them and when, and the
//! readers that recover that from decoded media.
//!
//! - Audio: a sine per participant. [`tone_frequency`] puts participant ids
//!   on a 50 Hz grid (300–2,750 Hz); 20 ms at 48 kHz is exactly 960
//!   samples, so each grid frequency is a whole DFT bin and one decoded
//!   frame is enough to name its sender ([`dominant_frequency`]).
//! - Video: a 320×240 I420 picture of 16×16 black/white blocks (one bit per
//!   VP8 macroblock, so the codec keeps them crisp) carrying a magic word,
//!   the participant id, a frame counter and the capture time in ms, with a
//!   check word; below them a white bar moves with the counter so the
//!   encoder has motion to code. [`read_pattern`] reads it back. Drawn
//!   larger ([`draw_pattern_sized`], for simulcast), the blocks grow with
//!   the width, so every simulcast layer of it (a half, a quarter) is a
//!   pattern of its own size that still reads back; and the space under
//!   the blocks is faint noise that changes every frame. Without it the
//!   encoders spend a fraction of what they are given (119 of 900 kbit/s
//!   at 640×360), the bandwidth estimate, bounded by what gets through,
//!   never grows, and the upper layers are never sent; a camera's noise
//!   and motion take every bit, and so does this.

use std::f32::consts::TAU;

use breakout_protocol::ParticipantId;

use super::audio::{SAMPLE_RATE, SAMPLES_PER_FRAME};
use super::frame::VideoFrame;

/// Lowest tone and grid step; 50 ids fit below 2.8 kHz, which Opus keeps
/// even in narrowband.
const TONE_BASE_HZ: f32 = 300.0;
const TONE_STEP_HZ: f32 = 50.0;
const TONE_COUNT: u64 = 50;
const TONE_AMPLITUDE: f32 = 0.3;

/// The tone a participant sends: `300 + 50 * (id mod 50)` Hz.
pub fn tone_frequency(participant: ParticipantId) -> f32 {
    TONE_BASE_HZ + TONE_STEP_HZ * (participant.0 % TONE_COUNT) as f32
}

/// Whether a detected frequency is the tone of `participant`.
pub fn is_tone_of(frequency: f32, participant: ParticipantId) -> bool {
    (frequency - tone_frequency(participant)).abs() < TONE_STEP_HZ / 2.0
}

/// A continuous sine, 20 ms at a time; optionally gated into bursts.
#[derive(Debug, Clone)]
pub struct Tone {
    frequency: f32,
    phase: f32,
    frames: u64,
    /// `(on, period)` in frames: sound for `on` frames of every `period`.
    bursts: Option<(u64, u64)>,
}

impl Tone {
    pub fn new(frequency: f32) -> Self {
        Tone {
            frequency,
            phase: 0.0,
            frames: 0,
            bursts: None,
        }
    }

    /// The participant's tone.
    pub fn for_participant(participant: ParticipantId) -> Self {
        Self::new(tone_frequency(participant))
    }

    /// Sound for `on` frames of every `period` frames, silence between: each
    /// burst's onset is a timestamp a receiver can find.
    pub fn bursts(mut self, on: u64, period: u64) -> Self {
        self.bursts = Some((on.max(1), period.max(on + 1)));
        self
    }

    /// Whether the next frame starts a burst (for latency measurements).
    pub fn next_is_onset(&self) -> bool {
        self.bursts
            .is_some_and(|(_, period)| self.frames.is_multiple_of(period))
    }

    pub fn frequency(&self) -> f32 {
        self.frequency
    }

    /// The next 20 ms.
    pub fn next_frame(&mut self) -> Vec<f32> {
        let sounding = self
            .bursts
            .is_none_or(|(on, period)| self.frames % period < on);
        self.frames += 1;
        let step = TAU * self.frequency / SAMPLE_RATE as f32;
        (0..SAMPLES_PER_FRAME)
            .map(|_| {
                let sample = if sounding {
                    TONE_AMPLITUDE * self.phase.sin()
                } else {
                    0.0
                };
                self.phase = (self.phase + step) % TAU;
                sample
            })
            .collect()
    }
}

/// Root mean square level of a frame.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// The grid tone that dominates a 20 ms frame, if one clearly does: its
/// Goertzel power must hold most of the frame's energy.
pub fn dominant_frequency(samples: &[f32]) -> Option<f32> {
    if rms(samples) < 0.01 {
        return None;
    }
    let energy: f32 = samples.iter().map(|s| s * s).sum();
    let n = samples.len() as f32;
    let (best, power) = (0..TONE_COUNT)
        .map(|k| {
            let f = TONE_BASE_HZ + TONE_STEP_HZ * k as f32;
            (f, goertzel(samples, f))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    // A pure bin-centred sine of energy E has Goertzel power E * n / 2.
    (power / (energy * n / 2.0) > 0.5).then_some(best)
}

fn goertzel(samples: &[f32], frequency: f32) -> f32 {
    let coefficient = 2.0 * (TAU * frequency / SAMPLE_RATE as f32).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

pub const PATTERN_WIDTH: u32 = 320;
pub const PATTERN_HEIGHT: u32 = 240;
/// Blocks per row, whatever the size the pattern is drawn at.
const COLUMNS: usize = 20;
const MAGIC: u16 = 0xB5A7;
/// magic 16 + participant 32 + counter 32 + time 64 + check 16 bits.
const BITS: usize = 160;
const DATA_ROWS: usize = BITS / COLUMNS;

/// What a test-pattern frame says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternStamp {
    pub participant: ParticipantId,
    /// Frames since the source started.
    pub counter: u32,
    /// Capture time, ms since the Unix epoch.
    pub captured_ms: u64,
}

impl PatternStamp {
    fn check(&self) -> u16 {
        let mut words = [
            self.participant.0 as u32,
            self.counter,
            self.captured_ms as u32,
            (self.captured_ms >> 32) as u32,
        ]
        .into_iter();
        let first = words.next().unwrap_or(0);
        let folded = words.fold(first ^ 0x5A5A_1234, |acc, w| acc.rotate_left(7) ^ w);
        (folded ^ (folded >> 16)) as u16
    }

    fn bits(&self) -> [bool; BITS] {
        let mut bits = [false; BITS];
        let fields: [(u64, usize); 5] = [
            (MAGIC as u64, 16),
            (self.participant.0 & 0xFFFF_FFFF, 32),
            (self.counter as u64, 32),
            (self.captured_ms, 64),
            (self.check() as u64, 16),
        ];
        let mut at = 0;
        for (value, width) in fields {
            for i in (0..width).rev() {
                bits[at] = (value >> i) & 1 == 1;
                at += 1;
            }
        }
        bits
    }
}

/// Draws the test pattern for `stamp` at its usual 320×240.
pub fn draw_pattern(stamp: PatternStamp) -> VideoFrame {
    draw(stamp, PATTERN_WIDTH, PATTERN_HEIGHT, false)
}

/// Why the pattern cannot be drawn at `width` × `height`, if it cannot:
/// the width must be a multiple of 160 (blocks of a multiple of 8 pixels,
/// so a quarter of the picture still has whole blocks of 2), and the
/// height must leave room for the data rows and the bar.
pub fn pattern_size_error(width: u32, height: u32) -> Option<String> {
    let block = width / COLUMNS as u32;
    if width < PATTERN_WIDTH || !width.is_multiple_of(160) {
        return Some(format!(
            "a test pattern {width} wide: the width must be a multiple of 160, at least 320"
        ));
    }
    let least = (DATA_ROWS as u32 + 2) * block;
    if height < least || !height.is_multiple_of(2) {
        return Some(format!(
            "a test pattern {width}×{height}: at that width the height must be even and at least {least}"
        ));
    }
    None
}

/// A live test pattern: each picture counted and stamped with its capture
/// time.
#[derive(Debug, Clone, Copy)]
pub struct PatternSource {
    participant: ParticipantId,
    width: u32,
    height: u32,
    counter: u32,
}

impl PatternSource {
    pub fn new(participant: ParticipantId, width: u32, height: u32) -> Self {
        PatternSource {
            participant,
            width,
            height,
            counter: 0,
        }
    }

    /// The next picture, captured at `captured_ms` (ms since the epoch).
    pub fn next_picture(&mut self, captured_ms: u64) -> VideoFrame {
        self.counter += 1;
        let stamp = PatternStamp {
            participant: self.participant,
            counter: self.counter,
            captured_ms,
        };
        draw_pattern_sized(stamp, self.width, self.height)
    }
}

/// Draws the test pattern for `stamp` at `width` × `height`, blocks
/// `width / 20` pixels wide, noise under them; a size
/// [`pattern_size_error`] refuses comes out at 320×240 instead.
pub fn draw_pattern_sized(stamp: PatternStamp, width: u32, height: u32) -> VideoFrame {
    let (width, height) = match pattern_size_error(width, height) {
        None => (width, height),
        Some(_) => (PATTERN_WIDTH, PATTERN_HEIGHT),
    };
    draw(stamp, width, height, true)
}

fn draw(stamp: PatternStamp, width: u32, height: u32, noisy: bool) -> VideoFrame {
    let (w, h) = (width as usize, height as usize);
    let block = w / COLUMNS;
    let mut data = vec![128u8; w * h * 3 / 2];
    let (y_plane, _) = data.split_at_mut(w * h);
    if noisy {
        let mut seed = stamp.counter.wrapping_mul(2_654_435_761) | 1;
        for pixel in &mut y_plane[DATA_ROWS * block * w..] {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *pixel = 120 + (seed >> 28) as u8;
        }
    }
    for (i, bit) in stamp.bits().into_iter().enumerate() {
        let value = if bit { 235 } else { 16 };
        fill_block(y_plane, w, block, (i % COLUMNS, i / COLUMNS), value);
    }
    // Moving bar under the data rows.
    let bar = stamp.counter as usize % COLUMNS;
    for row in DATA_ROWS + 1..h / block {
        fill_block(y_plane, w, block, (bar, row), 235);
    }
    VideoFrame {
        width,
        height,
        i420: data.into(),
        keyframe: false,
    }
}

fn fill_block(
    y_plane: &mut [u8],
    width: usize,
    block: usize,
    (column, row): (usize, usize),
    value: u8,
) {
    for line in row * block..(row + 1) * block {
        let start = line * width + column * block;
        y_plane[start..start + block].fill(value);
    }
}

/// Reads the stamp back from a decoded frame, if it is a test pattern (the
/// magic and the check word both match), at any size it is drawn at and
/// any simulcast layer of it down to blocks of 8 pixels.
pub fn read_pattern(frame: &VideoFrame) -> Option<PatternStamp> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let block = w / COLUMNS;
    if !w.is_multiple_of(COLUMNS) || block < 8 || h < DATA_ROWS * block {
        return None;
    }
    let y_plane = frame.i420.get(..w * h)?;
    // The centre half of the block each way: edges carry the codec's ringing.
    let (inset, side) = (block / 4, block / 2);
    let bit = |i: usize| {
        let (column, row) = (i % COLUMNS, i / COLUMNS);
        let mut sum = 0usize;
        for line in row * block + inset..row * block + inset + side {
            let start = line * w + column * block + inset;
            sum += y_plane[start..start + side]
                .iter()
                .map(|&v| v as usize)
                .sum::<usize>();
        }
        sum / (side * side) > 128
    };
    let mut at = 0;
    let mut field = |width: usize| {
        let mut value = 0u64;
        for _ in 0..width {
            value = (value << 1) | bit(at) as u64;
            at += 1;
        }
        value
    };
    let magic = field(16) as u16;
    let participant = ParticipantId(field(32));
    let counter = field(32) as u32;
    let captured_ms = field(64);
    let check = field(16) as u16;
    let stamp = PatternStamp {
        participant,
        counter,
        captured_ms,
    };
    (magic == MAGIC && check == stamp.check()).then_some(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grid_tone_is_recognised() {
        for id in 0..TONE_COUNT {
            let participant = ParticipantId(id);
            let mut tone = Tone::for_participant(participant);
            tone.next_frame();
            let detected = dominant_frequency(&tone.next_frame()).expect("a tone");
            assert!(is_tone_of(detected, participant), "{id}: {detected}");
        }
        assert_eq!(dominant_frequency(&[0.0; SAMPLES_PER_FRAME]), None);
    }

    #[test]
    fn bursts_have_onsets_and_silence() {
        let mut tone = Tone::new(500.0).bursts(2, 5);
        assert!(tone.next_is_onset());
        assert!(rms(&tone.next_frame()) > 0.1);
        assert!(!tone.next_is_onset());
        assert!(rms(&tone.next_frame()) > 0.1);
        assert_eq!(rms(&tone.next_frame()), 0.0);
        tone.next_frame();
        tone.next_frame();
        assert!(tone.next_is_onset());
    }

    #[test]
    fn a_pattern_reads_back_and_a_blank_does_not() {
        let stamp = PatternStamp {
            participant: ParticipantId(123_456),
            counter: 77,
            captured_ms: 1_700_000_000_123,
        };
        assert_eq!(read_pattern(&draw_pattern(stamp)), Some(stamp));
        let blank = VideoFrame {
            width: PATTERN_WIDTH,
            height: PATTERN_HEIGHT,
            i420: vec![16; 320 * 240 * 3 / 2].into(),
            keyframe: false,
        };
        assert_eq!(read_pattern(&blank), None);
    }

    #[test]
    fn a_larger_pattern_and_its_layers_read_back() {
        let stamp = PatternStamp {
            participant: ParticipantId(42),
            counter: 9,
            captured_ms: 1_700_000_000_456,
        };
        let large = draw_pattern_sized(stamp, 640, 360);
        assert_eq!((large.width, large.height), (640, 360));
        assert_eq!(read_pattern(&large), Some(stamp));
        for factor in [2, 4] {
            let layer = crate::media::scale::downscale(&large, factor);
            assert_eq!(read_pattern(&layer), Some(stamp), "1/{factor}");
        }
        assert_eq!(
            read_pattern(&crate::media::scale::downscale(&large, 8)),
            None
        );
    }

    #[test]
    fn sizes_without_whole_blocks_are_refused() {
        assert_eq!(pattern_size_error(640, 360), None);
        assert_eq!(pattern_size_error(1280, 720), None);
        assert_eq!(pattern_size_error(320, 240), None);
        assert!(pattern_size_error(600, 360).is_some());
        assert!(pattern_size_error(640, 300).is_some());
        assert!(pattern_size_error(0, 0).is_some());
        // Refused sizes draw the usual pattern rather than fail.
        let stamp = PatternStamp {
            participant: ParticipantId(1),
            counter: 0,
            captured_ms: 0,
        };
        let fallback = draw_pattern_sized(stamp, 601, 11);
        assert_eq!((fallback.width, fallback.height), (320, 240));
    }
}
