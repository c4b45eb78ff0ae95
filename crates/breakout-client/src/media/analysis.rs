//! What was actually received, read from decoded content: which tones were
//! heard and which test patterns were seen, per source. Used by
//! `breakout-bot` reports, the media tests and the benchmarks.

use std::collections::BTreeMap;

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
    #[serde(skip)]
    tone_index: BTreeMap<u32, usize>,
    #[serde(skip)]
    pattern_index: BTreeMap<ParticipantId, usize>,
    #[serde(skip)]
    pub last_event: Option<Instant>,
}

impl Received {
    /// Adds one event; returns what it was recognised as.
    pub fn add(&mut self, event: &MediaEvent) -> Option<Observation> {
        let seen = observe(event)?;
        self.last_event = Some(Instant::now());
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

    /// Forget everything (start a new observation window).
    pub fn clear(&mut self) {
        *self = Received::default();
    }
}
