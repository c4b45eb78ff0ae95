//! The recorder's files read back by ffprobe and ffmpeg (installed by
//! `scripts/setup.sh`): codec, length, and which voices are heard when.

use std::f64::consts::TAU;
use std::path::Path;

use breakout_core::ParticipantId;
use opus::{Application, Channels};

use super::*;

#[path = "../../tests/common/recording_files.rs"]
mod recording_files;
use recording_files::{decode, probe, share};

const A: ParticipantId = ParticipantId(1);
const B: ParticipantId = ParticipantId(2);
const A_HZ: f64 = 440.0;
const B_HZ: f64 = 1_000.0;

/// A publisher: a sine tone encoded in 20 ms Opus packets, as a client sends.
struct Tone {
    encoder: opus::Encoder,
    hz: f64,
    n: u64,
}

impl Tone {
    fn new(hz: f64) -> Tone {
        Tone {
            encoder: opus::Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip).unwrap(),
            hz,
            n: 0,
        }
    }

    fn packet(&mut self) -> Vec<u8> {
        let pcm: Vec<i16> = (0..FRAME_SAMPLES)
            .map(|_| {
                let t = self.n as f64 / f64::from(SAMPLE_RATE);
                self.n += 1;
                (0.3 * f64::from(i16::MAX) * (TAU * self.hz * t).sin()) as i16
            })
            .collect();
        self.encoder.encode_vec(&pcm, 1_500).unwrap()
    }
}

/// The middle 0.6 s of second `i`, clear of the switches between voices.
fn second(pcm: &[i16], i: usize) -> &[i16] {
    let rate = SAMPLE_RATE as usize;
    &pcm[i * rate + rate / 5..i * rate + rate * 4 / 5]
}

/// One second of A alone, one of both, one of B alone (A has left).
fn record_three_seconds(path: &Path) -> RoomRecorder {
    let mut rec = RoomRecorder::create(path).unwrap();
    let (mut a, mut b) = (Tone::new(A_HZ), Tone::new(B_HZ));
    for frame in 0..150 {
        if frame < 100 {
            rec.push(A, &a.packet()).unwrap();
        }
        if frame >= 50 {
            rec.push(B, &b.packet()).unwrap();
        }
        if frame == 100 {
            rec.retain_voices(|who| who != A);
        }
        rec.mix_frame().unwrap();
    }
    assert_eq!(rec.duration(), Duration::from_secs(3));
    rec
}

fn assert_voices(pcm: &[i16]) {
    // Three seconds, less the encoder's lookahead the header says to skip.
    let expected = 150 * FRAME_SAMPLES;
    assert!(
        pcm.len() <= expected && pcm.len() + FRAME_SAMPLES > expected,
        "{} samples decoded, {expected} written",
        pcm.len()
    );
    let heard = |i, hz| share(second(pcm, i), hz) > 0.2;
    assert!(heard(0, A_HZ) && !heard(0, B_HZ), "first second: A alone");
    assert!(heard(1, A_HZ) && heard(1, B_HZ), "second second: both");
    assert!(!heard(2, A_HZ) && heard(2, B_HZ), "third second: B alone");
}

#[test]
fn a_finished_recording_is_opus_in_webm_with_each_voice_where_it_spoke() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("room.webm");
    let rec = record_three_seconds(&path);
    assert_eq!(rec.finish(), path);
    assert_eq!(probe(&path, "stream=codec_name"), "opus");
    assert_voices(&decode(&path));
}

#[test]
fn a_recording_cut_off_without_finishing_still_plays_to_its_last_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.webm");
    let rec = record_three_seconds(&path);
    // What a kill -9 leaves: nothing more is written, not even on drop.
    std::mem::forget(rec);
    assert_eq!(probe(&path, "stream=codec_name"), "opus");
    assert_voices(&decode(&path));
}

#[test]
fn a_packet_that_does_not_decode_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = RoomRecorder::create(&dir.path().join("bad.webm")).unwrap();
    // TOC code 3 with its frame-count byte missing: not an Opus packet.
    rec.push(A, &[0x03]).unwrap();
    assert_eq!(rec.undecodable(), 1);
    rec.push(A, &Tone::new(A_HZ).packet()).unwrap();
    rec.mix_frame().unwrap();
    assert_eq!(rec.undecodable(), 1);
    assert_eq!(rec.duration(), FRAME);
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("taken.webm");
    std::fs::write(&path, b"earlier").unwrap();
    let Err(error) = RoomRecorder::create(&path) else {
        panic!("created over an existing file");
    };
    assert!(matches!(error, RecordError::Create { .. }), "{error:?}");
    assert!(error.to_string().starts_with("cannot create the recording"));
    assert_eq!(std::fs::read(&path).unwrap(), b"earlier");
}
