//! The recorder's files read back by ffprobe and ffmpeg (installed by
//! `scripts/setup.sh`): codecs, length, which voices are heard when, and
//! which picture is shown when.

use std::f64::consts::TAU;
use std::path::Path;

use breakout_core::ParticipantId;
use opus::{Application, Channels};

use super::*;

#[path = "../../tests/common/recording_files.rs"]
mod recording_files;
use recording_files::{decode, ivf_frames, mean_colours, probe, share};
use webrtc::rtp::codecs::vp8::Vp8Payloader;
use webrtc::rtp::header::Header;
use webrtc::rtp::packet::Packet;
use webrtc::rtp::packetizer::Payloader;

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
    assert_eq!(probe(&path, "stream=codec_name"), "vp8\nopus");
    assert_voices(&decode(&path));
}

#[test]
fn a_recording_cut_off_without_finishing_still_plays_to_its_last_picture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.webm");
    let rec = record_three_seconds(&path);
    // What a kill -9 leaves: nothing more is written, not even on drop.
    std::mem::forget(rec);
    assert_eq!(probe(&path, "stream=codec_name"), "vp8\nopus");
    // libwebm holds audio back until the next picture, and with no video
    // in the room the blank comes every half second: at most that is lost.
    let pcm = decode(&path);
    let written = 150 * FRAME_SAMPLES;
    let lost = written.saturating_sub(pcm.len());
    assert!(
        lost <= (BLANK_EVERY.as_millis() as usize + 20) * 48,
        "{} samples decoded of {written} written",
        pcm.len()
    );
    let heard = |i, hz| share(second(&pcm, i), hz) > 0.2;
    assert!(heard(0, A_HZ) && !heard(0, B_HZ), "first second: A alone");
    assert!(heard(1, A_HZ) && heard(1, B_HZ), "second second: both");
}

/// `count` frames of a flat `colour` picture at 25 fps, a keyframe every
/// ten, as libvpx (through ffmpeg) encodes them.
fn flat_vp8(colour: &str, count: usize) -> Vec<Vec<u8>> {
    let source = format!("color=c={colour}:s=320x240:r=25");
    let count = count.to_string();
    let ivf = recording_files::ffmpeg(
        &["-f", "lavfi"],
        source,
        &[
            "-frames:v",
            &count,
            "-c:v",
            "libvpx",
            "-g",
            "10",
            "-keyint_min",
            "10",
            "-f",
            "ivf",
            "-",
        ],
    );
    ivf_frames(&ivf)
        .into_iter()
        .map(|(_, frame)| frame.to_vec())
        .collect()
}

/// A camera: VP8 frames packetized as a client sends them.
struct Camera {
    payloader: Vp8Payloader,
    sequence: u16,
}

impl Camera {
    fn new(first_sequence: u16) -> Camera {
        Camera {
            payloader: Vp8Payloader::default(),
            sequence: first_sequence,
        }
    }

    fn packets(&mut self, frame: &[u8], index: usize) -> Vec<Packet> {
        let payloads = self
            .payloader
            .payload(600, &bytes::Bytes::copy_from_slice(frame))
            .unwrap();
        let last = payloads.len() - 1;
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| {
                self.sequence = self.sequence.wrapping_add(1);
                Packet {
                    header: Header {
                        version: 2,
                        payload_type: 96,
                        sequence_number: self.sequence,
                        timestamp: index as u32 * 3_600,
                        marker: i == last,
                        ..Header::default()
                    },
                    payload,
                }
            })
            .collect()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Red,
    Green,
    Black,
    Other([u8; 3]),
}

fn seen([r, g, b]: [u8; 3]) -> Seen {
    match (r, g, b) {
        (150.., ..80, ..80) => Seen::Red,
        (..80, 90.., ..80) => Seen::Green,
        (..30, ..30, ..30) => Seen::Black,
        _ => Seen::Other([r, g, b]),
    }
}

#[test]
fn the_picture_switches_source_at_a_keyframe_and_goes_blank_when_none_comes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("video.webm");
    let mut rec = RoomRecorder::create(&path).unwrap();
    let (red, green) = (flat_vp8("red", 50), flat_vp8("green", 50));
    let (mut red_camera, mut green_camera) = (Camera::new(100), Camera::new(30_000));
    let mut tone = Tone::new(A_HZ);
    rec.show(Some(1));
    // Four seconds: red for the first; from 1 s the green camera is shown,
    // joined mid-stream (its keyframe is frame 10, at 1.2 s) while red
    // goes on arriving; from 2 s no picture comes.
    for frame in 0..200 {
        if frame == 50 {
            rec.show(Some(2));
            assert!(rec.wants_keyframe());
        }
        if frame == 70 {
            assert!(!rec.wants_keyframe(), "green's keyframe came at 1.2 s");
        }
        if frame % 2 == 0 {
            let i = frame / 2;
            let since_mix = Duration::from_millis(3);
            if let Some(picture) = red.get(i) {
                for packet in red_camera.packets(picture, i) {
                    rec.push_video(1, packet, since_mix).unwrap();
                }
            }
            if let Some(picture) = green.get(i) {
                for packet in green_camera.packets(picture, i) {
                    rec.push_video(2, packet, since_mix).unwrap();
                }
            }
        }
        rec.push(A, &tone.packet()).unwrap();
        rec.mix_frame().unwrap();
    }
    assert!(
        rec.wants_keyframe(),
        "after the blank, green starts at a keyframe again"
    );
    rec.finish();

    assert_eq!(probe(&path, "stream=codec_name"), "vp8\nopus");
    // As written: nothing between red's last picture and green's keyframe
    // (frame 30, at 1.2 s), none of green's deltas before it.
    let written: Vec<(u64, Vec<u8>)> = recording_files::video_frames(&path);
    let first_green = written
        .iter()
        .position(|(_, frame)| *frame == green[30])
        .expect("green's keyframe is in the file");
    // (Written as the next frame's first packet comes: 40 ms later.)
    let at = written[first_green].0;
    assert!((1_200..=1_250).contains(&at), "green's keyframe at {at} ms");
    let (last_red, _) = &written[first_green - 1];
    assert!(
        *last_red < 1_000,
        "red until the switch, then nothing: {last_red} ms"
    );
    let at_10fps: Vec<Seen> = mean_colours(&path, 10).into_iter().map(seen).collect();
    assert!(
        at_10fps.len() >= 38,
        "{} pictures: {at_10fps:?}",
        at_10fps.len()
    );
    let shown = |from: usize, to: usize| &at_10fps[from..to];
    assert!(shown(1, 10).iter().all(|s| *s == Seen::Red), "{at_10fps:?}");
    // Green only from its keyframe: red stays until then.
    assert!(
        shown(10, 12).iter().all(|s| *s == Seen::Red),
        "{at_10fps:?}"
    );
    assert!(
        shown(13, 29).iter().all(|s| *s == Seen::Green),
        "{at_10fps:?}"
    );
    // The last green picture stays a second, then the blank.
    assert!(
        shown(31, 38).iter().all(|s| *s == Seen::Black),
        "{at_10fps:?}"
    );
    assert_voices_for(&decode(&path), 200);
}

fn assert_voices_for(pcm: &[i16], frames: usize) {
    let expected = frames * FRAME_SAMPLES;
    assert!(
        pcm.len() <= expected && pcm.len() + FRAME_SAMPLES > expected,
        "{} samples decoded, {expected} written",
        pcm.len()
    );
    assert!(share(second(pcm, 3), A_HZ) > 0.2, "A throughout");
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
