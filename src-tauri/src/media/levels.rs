//! Audio levels per participant from the decoded audio slots, turned into
//! the UI's `speaking` events: one when a level changes noticeably, at most
//! every [`MIN_GAP`] per person, and a last one at 0 when someone falls
//! silent or leaves the audio slots. Pure: time is passed in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use breakout_client::protocol::ParticipantId;

use crate::ipc::SpeakingEvent;

/// Events per person are at least this far apart (except the final 0).
pub const MIN_GAP: Duration = Duration::from_millis(100);
/// Not heard for this long: silent.
pub const SILENCE: Duration = Duration::from_millis(400);
/// A change smaller than this is not worth an event.
const STEP: f32 = 0.05;
/// Speech sits around RMS 0.02–0.1: scaled so 0.15 (the UI's "speaking")
/// is a quiet voice and a full-scale tone reads as 1.
const GAIN: f32 = 4.0;
/// Each 20 ms frame keeps this much of the previous level (slow release,
/// so a highlight does not flicker between syllables).
const RELEASE: f32 = 0.85;

#[derive(Debug, Default)]
pub struct Levels {
    people: HashMap<ParticipantId, Person>,
}

#[derive(Debug)]
struct Person {
    level: f32,
    sent: f32,
    sent_at: Option<Instant>,
    heard_at: Instant,
}

impl Levels {
    /// Takes in 20 ms of `participant`'s audio; returns an event to send, if any.
    pub fn observe(
        &mut self,
        participant: ParticipantId,
        samples: &[f32],
        now: Instant,
    ) -> Option<SpeakingEvent> {
        let rms = if samples.is_empty() {
            0.0
        } else {
            (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
        };
        let measured = (rms * GAIN).min(1.0);
        let person = self.people.entry(participant).or_insert(Person {
            level: 0.0,
            sent: 0.0,
            sent_at: None,
            heard_at: now,
        });
        person.heard_at = now;
        person.level = measured.max(person.level * RELEASE);
        let due = person
            .sent_at
            .is_none_or(|at| now.duration_since(at) >= MIN_GAP);
        if due && (person.level - person.sent).abs() >= STEP {
            person.sent = person.level;
            person.sent_at = Some(now);
            return Some(event(participant, person.level));
        }
        None
    }

    /// Zeroes whoever has not been heard for [`SILENCE`] (and forgets them).
    pub fn silence(&mut self, now: Instant) -> Vec<SpeakingEvent> {
        let mut out = Vec::new();
        self.people.retain(|&participant, person| {
            if now.duration_since(person.heard_at) < SILENCE {
                return true;
            }
            if person.sent > 0.0 {
                out.push(event(participant, 0.0));
            }
            false
        });
        out
    }

    /// Zeroes everyone (media stopped).
    pub fn clear(&mut self) -> Vec<SpeakingEvent> {
        let out = self
            .people
            .iter()
            .filter(|(_, p)| p.sent > 0.0)
            .map(|(&participant, _)| event(participant, 0.0))
            .collect();
        self.people.clear();
        out
    }
}

fn event(participant: ParticipantId, level: f32) -> SpeakingEvent {
    SpeakingEvent {
        participant: participant.0,
        level: (level * 100.0).round() / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ParticipantId = ParticipantId(4);

    fn tone(amplitude: f32) -> Vec<f32> {
        (0..960)
            .map(|i| amplitude * (i as f32 * 0.1).sin())
            .collect()
    }

    #[test]
    fn a_voice_is_reported_then_its_silence() {
        let t0 = Instant::now();
        let mut levels = Levels::default();
        let first = levels.observe(P, &tone(0.3), t0).expect("a level");
        assert_eq!(first.participant, 4);
        assert!(first.level > 0.5, "{first:?}");
        // The same level again, soon after: nothing new to say.
        assert!(levels.observe(P, &tone(0.3), t0 + MIN_GAP).is_none());
        assert!(levels.silence(t0 + MIN_GAP).is_empty());
        let quiet = levels.silence(t0 + MIN_GAP + SILENCE);
        assert_eq!(quiet.len(), 1);
        assert_eq!(quiet[0].level, 0.0);
        assert!(levels.silence(t0 + SILENCE * 3).is_empty(), "said once");
    }

    #[test]
    fn changes_are_rate_limited_per_person() {
        let t0 = Instant::now();
        let mut levels = Levels::default();
        assert!(levels.observe(P, &tone(0.3), t0).is_some());
        let soon = t0 + Duration::from_millis(20);
        // Louder, but too soon after the last event.
        assert!(levels.observe(P, &tone(1.0), soon).is_none());
        let later = t0 + MIN_GAP;
        assert!(levels.observe(P, &tone(1.0), later).is_some());
        // Someone else is not held back by P.
        assert!(levels.observe(ParticipantId(5), &tone(0.3), soon).is_some());
    }

    #[test]
    fn silence_from_the_start_says_nothing() {
        let mut levels = Levels::default();
        let t0 = Instant::now();
        assert!(levels.observe(P, &vec![0.0; 960], t0).is_none());
        assert!(levels.silence(t0 + SILENCE).is_empty());
        assert!(levels.clear().is_empty());
    }
}
