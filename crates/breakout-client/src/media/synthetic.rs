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
//!   encoder has motion to code. [`read_pattern`] reads it back.

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
const BLOCK: usize = 16;
const COLUMNS: usize = PATTERN_WIDTH as usize / BLOCK;
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

/// Draws the test pattern for `stamp`.
pub fn draw_pattern(stamp: PatternStamp) -> VideoFrame {
    let (w, h) = (PATTERN_WIDTH as usize, PATTERN_HEIGHT as usize);
    let mut data = vec![128u8; w * h * 3 / 2];
    let (y_plane, _) = data.split_at_mut(w * h);
    for (i, bit) in stamp.bits().into_iter().enumerate() {
        let value = if bit { 235 } else { 16 };
        fill_block(y_plane, w, i % COLUMNS, i / COLUMNS, value);
    }
    // Moving bar under the data rows.
    let bar = stamp.counter as usize % COLUMNS;
    for row in DATA_ROWS + 1..h / BLOCK {
        fill_block(y_plane, w, bar, row, 235);
    }
    VideoFrame {
        width: PATTERN_WIDTH,
        height: PATTERN_HEIGHT,
        i420: data.into(),
        keyframe: false,
    }
}

fn fill_block(y_plane: &mut [u8], width: usize, column: usize, row: usize, value: u8) {
    for line in row * BLOCK..(row + 1) * BLOCK {
        let start = line * width + column * BLOCK;
        y_plane[start..start + BLOCK].fill(value);
    }
}

/// Reads the stamp back from a decoded frame, if it is a test pattern (the
/// magic and the check word both match).
pub fn read_pattern(frame: &VideoFrame) -> Option<PatternStamp> {
    if frame.width != PATTERN_WIDTH || frame.height != PATTERN_HEIGHT {
        return None;
    }
    let w = frame.width as usize;
    let y_plane = frame.i420.get(..w * frame.height as usize)?;
    let bit = |i: usize| {
        let (column, row) = (i % COLUMNS, i / COLUMNS);
        // The centre 8×8 of the block: edges carry the codec's ringing.
        let mut sum = 0u32;
        for line in row * BLOCK + 4..row * BLOCK + 12 {
            let start = line * w + column * BLOCK + 4;
            sum += y_plane[start..start + 8]
                .iter()
                .map(|&v| v as u32)
                .sum::<u32>();
        }
        sum / 64 > 128
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
}
