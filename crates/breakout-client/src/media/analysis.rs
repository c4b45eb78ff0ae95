//! What was actually received, read from decoded content: which tones were
//! heard and which test patterns were seen, per source, and how smoothly
//! each video slot's pictures came. Used by `breakout-bot` reports, the
//! media tests and the benchmarks.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use breakout_protocol::ParticipantId;
use serde::Serialize;
use tokio::time::Instant;

use super::events::MediaEvent;
use super::send::now_ms;
use super::synthetic::{dominant_frequency, read_pattern, rms};

/// One thing recognised in one event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Observation {
    /// A 20 ms frame carrying the tone at `hz`.
    Tone {
        hz: u32,
        mid_participant: Option<ParticipantId>,
    },
    /// Audio with sound in it but no recognisable tone (a real voice,
    /// Chromium's fake beep, a mix).
    Sound { level: f32 },
    /// A test-pattern picture.
    Pattern {
        participant: ParticipantId,
        counter: u32,
        keyframe: bool,
        /// Capture to decode, by the wall clock (same machine only).
        latency_ms: i64,
    },
    /// A picture that is not a test pattern.
    Picture {
        width: u32,
        height: u32,
        keyframe: bool,
    },
}

/// Reads one event.
pub fn observe(event: &MediaEvent) -> Option<Observation> {
    match event {
        MediaEvent::Audio {
            participant, frame, ..
        } => {
            if frame.repaired {
                return None;
            }
            match dominant_frequency(&frame.samples) {
                Some(hz) => Some(Observation::Tone {
                    hz: hz.round() as u32,
                    mid_participant: *participant,
                }),
                None => {
                    let level = rms(&frame.samples);
                    (level > 0.001).then_some(Observation::Sound { level })
                }
            }
        }
        MediaEvent::Video { frame, .. } => Some(match read_pattern(frame) {
            Some(stamp) => Observation::Pattern {
                participant: stamp.participant,
                counter: stamp.counter,
                keyframe: frame.keyframe,
                latency_ms: now_ms() as i64 - stamp.captured_ms as i64,
            },
            None => Observation::Picture {
                width: frame.width,
                height: frame.height,
                keyframe: frame.keyframe,
            },
        }),
        _ => None,
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ToneSeen {
    pub hz: u32,
    pub frames: u64,
}

/// Pictures of one size decoded from one source.
#[derive(Debug, Clone, Serialize)]
pub struct SizeSeen {
    pub participant: ParticipantId,
    pub width: u32,
    pub height: u32,
    pub frames: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PatternSeen {
    pub participant: ParticipantId,
    pub frames: u64,
    pub keyframes: u64,
    pub last_counter: u32,
    pub last_latency_ms: i64,
}

/// Running totals of everything observed, serialisable as a report line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Received {
    pub tones: Vec<ToneSeen>,
    pub patterns: Vec<PatternSeen>,
    /// Audio frames with sound but no test tone.
    pub other_audio_frames: u64,
    /// Pictures that are not test patterns.
    pub other_video_frames: u64,
    pub other_keyframes: u64,
    /// Per video slot, every decoded picture (pattern or not).
    pub video_freezes: Vec<SlotFreezes>,
    /// Per source and picture size, pictures decoded (which simulcast
    /// layer arrived).
    pub video_sizes: Vec<SizeSeen>,
    #[serde(skip)]
    tone_index: BTreeMap<u32, usize>,
    #[serde(skip)]
    pattern_index: BTreeMap<ParticipantId, usize>,
    #[serde(skip)]
    freeze_index: BTreeMap<String, usize>,
    #[serde(skip)]
    size_index: BTreeMap<(ParticipantId, u32, u32), usize>,
    #[serde(skip)]
    pub last_event: Option<Instant>,
}

impl Received {
    /// Adds one event; returns what it was recognised as.
    pub fn add(&mut self, event: &MediaEvent) -> Option<Observation> {
        let now = Instant::now();
        if let MediaEvent::Video { mid, .. } = event {
            let i = *self.freeze_index.entry(mid.clone()).or_insert_with(|| {
                self.video_freezes.push(SlotFreezes::new(mid));
                self.video_freezes.len() - 1
            });
            self.video_freezes[i].frame(now);
        }
        if let MediaEvent::Video {
            participant: Some(participant),
            frame,
            ..
        } = event
        {
            let key = (*participant, frame.width, frame.height);
            let i = *self.size_index.entry(key).or_insert_with(|| {
                self.video_sizes.push(SizeSeen {
                    participant: *participant,
                    width: frame.width,
                    height: frame.height,
                    frames: 0,
                });
                self.video_sizes.len() - 1
            });
            self.video_sizes[i].frames += 1;
        }
        let seen = observe(event)?;
        self.last_event = Some(now);
        match seen {
            Observation::Tone { hz, .. } => {
                let i = *self.tone_index.entry(hz).or_insert_with(|| {
                    self.tones.push(ToneSeen { hz, frames: 0 });
                    self.tones.len() - 1
                });
                self.tones[i].frames += 1;
            }
            Observation::Sound { .. } => self.other_audio_frames += 1,
            Observation::Pattern {
                participant,
                counter,
                keyframe,
                latency_ms,
            } => {
                let i = *self.pattern_index.entry(participant).or_insert_with(|| {
                    self.patterns.push(PatternSeen {
                        participant,
                        frames: 0,
                        keyframes: 0,
                        last_counter: 0,
                        last_latency_ms: 0,
                    });
                    self.patterns.len() - 1
                });
                let p = &mut self.patterns[i];
                p.frames += 1;
                p.keyframes += keyframe as u64;
                p.last_counter = counter;
                p.last_latency_ms = latency_ms;
            }
            Observation::Picture { keyframe, .. } => {
                self.other_video_frames += 1;
                self.other_keyframes += keyframe as u64;
            }
        }
        Some(seen)
    }

    /// Frames of the tone at `hz` heard so far.
    pub fn tone_frames(&self, hz: u32) -> u64 {
        self.tone_index
            .get(&hz)
            .map_or(0, |&i| self.tones[i].frames)
    }

    /// Pictures of `participant`'s pattern decoded so far.
    pub fn pattern_frames(&self, participant: ParticipantId) -> u64 {
        self.pattern_index
            .get(&participant)
            .map_or(0, |&i| self.patterns[i].frames)
    }

    /// Pictures of `participant` decoded at `width` × `height` so far.
    pub fn pictures_at(&self, participant: ParticipantId, (width, height): (u32, u32)) -> u64 {
        self.size_index
            .get(&(participant, width, height))
            .map_or(0, |&i| self.video_sizes[i].frames)
    }

    /// Forget everything (start a new observation window).
    pub fn clear(&mut self) {
        *self = Received::default();
    }
}

/// Gaps averaged to judge the next one, and how many it takes to judge.
const FREEZE_WINDOW: usize = 30;
const FREEZE_MIN_GAPS: usize = 5;
const FREEZE_MIN_INCREASE: Duration = Duration::from_millis(150);

/// One video slot's decoded pictures and its freezes, as WebRTC's
/// statistics count them (`freezeCount`, `totalFreezesDuration`): a gap
/// between two pictures of at least max(3 × average, average + 150 ms),
/// the average taken over the last 30 gaps, this one included, once there
/// are 5. The whole gap counts as frozen.
#[derive(Debug, Clone, Serialize)]
pub struct SlotFreezes {
    pub mid: String,
    pub frames: u64,
    pub freezes: u64,
    pub freeze_ms: u64,
    /// From the first picture to the last.
    pub span_ms: u64,
    #[serde(skip)]
    first: Option<Instant>,
    #[serde(skip)]
    last: Option<Instant>,
    #[serde(skip)]
    gaps: VecDeque<Duration>,
}

impl SlotFreezes {
    pub fn new(mid: &str) -> SlotFreezes {
        SlotFreezes {
            mid: mid.to_owned(),
            frames: 0,
            freezes: 0,
            freeze_ms: 0,
            span_ms: 0,
            first: None,
            last: None,
            gaps: VecDeque::with_capacity(FREEZE_WINDOW + 1),
        }
    }

    /// A picture decoded at `at`.
    pub fn frame(&mut self, at: Instant) {
        self.frames += 1;
        let first = *self.first.get_or_insert(at);
        self.span_ms = at.saturating_duration_since(first).as_millis() as u64;
        let Some(last) = self.last.replace(at) else {
            return;
        };
        let gap = at.saturating_duration_since(last);
        self.gaps.push_back(gap);
        if self.gaps.len() > FREEZE_WINDOW {
            self.gaps.pop_front();
        }
        if self.gaps.len() < FREEZE_MIN_GAPS {
            return;
        }
        let average = self.gaps.iter().sum::<Duration>() / self.gaps.len() as u32;
        if gap >= (3 * average).max(average + FREEZE_MIN_INCREASE) {
            self.freezes += 1;
            self.freeze_ms += gap.as_millis() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pictures at these offsets (ms) on one slot.
    fn slot(offsets: impl IntoIterator<Item = u64>) -> SlotFreezes {
        let t0 = Instant::now();
        let mut slot = SlotFreezes::new("1");
        for ms in offsets {
            slot.frame(t0 + Duration::from_millis(ms));
        }
        slot
    }

    #[test]
    fn steady_pictures_never_freeze() {
        let s = slot((0..300).map(|i| i * 33));
        assert_eq!((s.frames, s.freezes, s.freeze_ms), (300, 0, 0));
        assert_eq!(s.span_ms, 299 * 33);
    }

    #[test]
    fn a_long_gap_is_one_freeze_of_its_whole_length() {
        // 30 fps, then 600 ms without a picture.
        let mut offsets: Vec<u64> = (0..30).map(|i| i * 33).collect();
        let resumed = 29 * 33 + 600;
        offsets.extend((0..30).map(|i| resumed + i * 33));
        let s = slot(offsets);
        assert_eq!((s.freezes, s.freeze_ms), (1, 600));
    }

    #[test]
    fn the_bar_is_three_average_gaps_or_150_ms_over_the_average() {
        // 5 fps: the bar is 3 × the average, so 500 ms is no freeze.
        let mut offsets: Vec<u64> = (0..20).map(|i| i * 200).collect();
        offsets.push(19 * 200 + 500);
        assert_eq!(slot(offsets).freezes, 0);
        // 30 fps: the bar is the average + 150 ms; 170 ms is under it,
        // 250 ms over it.
        for (gap, freezes) in [(170, 0), (250, 1)] {
            let mut offsets: Vec<u64> = (0..20).map(|i| i * 33).collect();
            offsets.push(19 * 33 + gap);
            assert_eq!(slot(offsets).freezes, freezes, "a {gap} ms gap");
        }
    }

    #[test]
    fn too_few_gaps_judge_nothing() {
        assert_eq!(slot([0, 33, 66, 2_000]).freezes, 0);
    }
}
