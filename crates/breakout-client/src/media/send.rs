//! Upstream: the mic task that encodes and writes to its sendonly track,
//! the switches it and the camera's task (`send_video`) obey, and the RTCP
//! readers that turn a PLI into a keyframe.
//!
//! A muted mic or a camera turned off sends nothing at all (the SFU has
//! nothing to forward and the bandwidth is free); sources keep running so
//! unmuting is instant.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use breakout_bwe::Uplink;
use breakout_protocol::ParticipantId;
use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, interval};
use tracing::{debug, warn};
use webrtc::media::Sample;
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtcp::receiver_report::ReceiverReport;
use webrtc::rtcp::sender_report::SenderReport;
use webrtc::rtp::extension::HeaderExtension;
use webrtc::rtp::extension::audio_level_extension::AudioLevelExtension;
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use super::audio::{ExpectedLoss, OpusEncoder, voice_bitrate};
use super::encodings::{Encoding, Keyframes};
use super::events::{EventSink, MediaEvent};
use super::simulcast::LayerSet;
use super::synthetic::{PATTERN_HEIGHT, PATTERN_WIDTH, PatternStamp, Tone, draw_pattern, rms};
use super::video::Vp8Encoder;

const FRAME: Duration = Duration::from_millis(20);
/// VP8 target for pre-encoding the 320×240 pattern.
const PATTERN_KBPS: u32 = 300;

/// Mic/camera switches shared by the tasks and the session.
#[derive(Debug)]
pub struct Switches {
    pub mic: AtomicBool,
    /// Held while speaking to all rooms: the mic is sent even when muted,
    /// and the mute itself is left as it was.
    pub to_all: AtomicBool,
    pub camera: AtomicBool,
    /// Which of the camera's encodings owe a keyframe.
    pub keyframes: Keyframes,
    /// The simulcast layers the SFU says anyone receives ([`LayerSet`]
    /// bits): every layer until it says otherwise.
    pub wanted: AtomicU8,
    /// Percent of the mic's packets the SFU reports lost, smoothed: what
    /// the Opus encoder sizes its FEC for.
    pub audio_loss: AtomicU8,
}

impl Switches {
    /// Mic and camera as given, nothing owed, every layer wanted.
    pub fn new(mic: bool, camera: bool, audio_loss: u8) -> Switches {
        Switches {
            mic: AtomicBool::new(mic),
            to_all: AtomicBool::new(false),
            camera: AtomicBool::new(camera),
            keyframes: Keyframes::default(),
            wanted: AtomicU8::new(LayerSet::ALL.bits()),
            audio_loss: AtomicU8::new(audio_loss),
        }
    }

    pub fn wanted(&self) -> LayerSet {
        LayerSet::from_bits(self.wanted.load(Ordering::Relaxed))
    }
}

/// Where 20 ms audio frames come from.
pub enum AudioInput {
    Tone(Tone),
    /// Mic frames from the device thread.
    Frames(mpsc::Receiver<Vec<f32>>),
    /// Pre-encoded Opus packets, replayed in a loop (load generators).
    Encoded(Arc<[Bytes]>),
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 6464 level: 0 is loudest, 127 silence (-dBov). Replayed packets
/// (no PCM at hand) claim a speaking level.
fn audio_level(pcm: &[f32]) -> HeaderExtension {
    let level = if pcm.is_empty() { 0.1 } else { rms(pcm) };
    let dbov = if level > 0.0 {
        -20.0 * level.log10()
    } else {
        127.0
    };
    HeaderExtension::AudioLevel(AudioLevelExtension {
        level: dbov.clamp(0.0, 127.0) as u8,
        voice: level > 0.01,
    })
}

pub fn spawn_audio(
    mut input: AudioInput,
    track: Arc<TrackLocalStaticSample>,
    uplink: Arc<Uplink>,
    switches: Arc<Switches>,
    events: EventSink,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut encoder = match OpusEncoder::new() {
            Ok(e) => e,
            Err(e) => return warn!(error = %e, "no audio encoder"),
        };
        let mut ticks = interval(FRAME);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut replayed = 0usize;
        loop {
            let next = tokio::select! {
                _ = stop.changed() => return,
                next = next_audio(&mut ticks, &mut input, &mut replayed) => next,
            };
            let Some((pcm, packet, onset)) = next else {
                return;
            };
            if !switches.mic.load(Ordering::Relaxed) && !switches.to_all.load(Ordering::Relaxed) {
                continue;
            }
            if onset {
                events.send(MediaEvent::Onset { at: Instant::now() });
            }
            let loss = switches.audio_loss.load(Ordering::Relaxed);
            if let Err(e) = encoder.set_expected_loss(loss) {
                debug!(error = %e, "opus loss");
            }
            let camera_on = switches.camera.load(Ordering::Relaxed);
            let bitrate = voice_bitrate(uplink.estimate().target_bps, camera_on);
            if let Err(e) = encoder.set_bitrate(bitrate) {
                debug!(error = %e, "opus bitrate");
            }
            let (payload, level) = match (packet, pcm) {
                (Some(packet), _) => (packet, audio_level(&[])),
                (None, Some(pcm)) => match encoder.encode(&pcm) {
                    Ok(p) => (Bytes::from(p), audio_level(&pcm)),
                    Err(e) => {
                        debug!(error = %e, "opus");
                        continue;
                    }
                },
                (None, None) => continue,
            };
            let sample = Sample {
                data: payload,
                duration: FRAME,
                ..Default::default()
            };
            if let Err(e) = track.write_sample_with_extensions(&sample, &[level]).await {
                debug!(error = %e, "mic write");
            }
        }
    })
}

/// The next 20 ms: PCM to encode or a packet to replay, and whether it is
/// a burst onset; `None` when the mic is gone.
async fn next_audio(
    ticks: &mut tokio::time::Interval,
    input: &mut AudioInput,
    replayed: &mut usize,
) -> Option<(Option<Vec<f32>>, Option<Bytes>, bool)> {
    match input {
        AudioInput::Tone(tone) => {
            ticks.tick().await;
            let onset = tone.next_is_onset();
            Some((Some(tone.next_frame()), None, onset))
        }
        AudioInput::Frames(rx) => rx.recv().await.map(|f| (Some(f), None, false)),
        AudioInput::Encoded(clip) => {
            ticks.tick().await;
            *replayed += 1;
            let packet = (!clip.is_empty()).then(|| clip[*replayed % clip.len()].clone());
            Some((None, packet, false))
        }
    }
}

/// Reads the RTCP of encoding `index` of the camera (which also drives the
/// NACK responder for its stream) and turns PLI/FIR into a keyframe of
/// that encoding.
pub fn spawn_camera_rtcp_reader(
    sender: Arc<RTCRtpSender>,
    camera: Arc<[Encoding]>,
    index: usize,
    switches: Arc<Switches>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(encoding) = camera.get(index) else {
            return;
        };
        loop {
            let read = match encoding.layer {
                Some(layer) => sender.read_rtcp_simulcast(layer.rid()).await,
                None => sender.read_rtcp().await,
            };
            let Ok((packets, _)) = read else { return };
            for packet in packets {
                let any = packet.as_any();
                if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                    switches.keyframes.request(index);
                    let requests = &encoding.counters.keyframe_requests;
                    requests.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
}

/// Reads the mic sender's RTCP (which also drives the NACK responder) and
/// keeps [`Switches::audio_loss`] at what the SFU's reports about the mic's
/// stream say.
pub fn spawn_mic_rtcp_reader(sender: Arc<RTCRtpSender>, switches: Arc<Switches>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let ssrc = sender
            .get_parameters()
            .await
            .encodings
            .first()
            .map(|e| e.ssrc);
        let mut loss = ExpectedLoss::default();
        while let Ok((packets, _)) = sender.read_rtcp().await {
            for packet in packets {
                let any = packet.as_any();
                // A compound packet can report on the camera's stream too.
                let reports = if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                    &rr.reports
                } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
                    &sr.reports
                } else {
                    continue;
                };
                for report in reports.iter().filter(|r| Some(r.ssrc) == ssrc) {
                    loss.report(report.fraction_lost);
                    switches.audio_loss.store(loss.percent(), Ordering::Relaxed);
                }
            }
        }
    })
}

/// Pre-encodes `frames` of the participant's test pattern (a keyframe
/// first) for replaying without an encoder per bot.
pub fn encode_pattern_clip(participant: ParticipantId, frames: u32) -> Vec<Bytes> {
    let Ok(mut encoder) = Vp8Encoder::new(PATTERN_WIDTH, PATTERN_HEIGHT, 30, PATTERN_KBPS) else {
        return Vec::new();
    };
    (0..frames)
        .flat_map(|counter| {
            let stamp = PatternStamp {
                participant,
                counter,
                captured_ms: now_ms(),
            };
            encoder
                .encode(&draw_pattern(stamp), counter == 0)
                .unwrap_or_default()
        })
        .map(|f| Bytes::from(f.data))
        .collect()
}

/// Pre-encodes `frames` 20 ms frames of the participant's tone.
pub fn encode_tone_clip(participant: ParticipantId, frames: u32) -> Vec<Bytes> {
    let Ok(mut encoder) = OpusEncoder::new() else {
        return Vec::new();
    };
    let mut tone = Tone::for_participant(participant);
    (0..frames)
        .filter_map(|_| encoder.encode(&tone.next_frame()).ok())
        .map(Bytes::from)
        .collect()
}
