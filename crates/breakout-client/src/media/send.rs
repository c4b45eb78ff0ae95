//! Upstream: the mic and camera tasks that encode and write to the two
//! sendonly tracks, and the RTCP readers that turn a PLI into a keyframe.
//!
//! A muted mic or a camera turned off sends nothing at all (the SFU has
//! nothing to forward and the bandwidth is free); sources keep running so
//! unmuting is instant.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

use super::audio::{ExpectedLoss, OpusEncoder};
use super::bwe::Uplink;
use super::events::{EventSink, MediaEvent};
use super::frame::VideoFrame;
use super::synthetic::{PATTERN_HEIGHT, PATTERN_WIDTH, PatternStamp, Tone, draw_pattern, rms};
use super::video::Vp8Encoder;
use super::video_rate::{CameraEncoder, Prepared};

const FRAME: Duration = Duration::from_millis(20);
/// VP8 target for pre-encoding the 320×240 pattern.
const PATTERN_KBPS: u32 = 300;
/// The most self-view pictures a second ([`MediaEvent::LocalVideo`]): a
/// preview needs no more, and a 30 fps camera should not double the events.
pub const LOCAL_VIDEO_FPS: u32 = 15;

/// Mic/camera switches shared by the tasks and the session.
#[derive(Debug)]
pub struct Switches {
    pub mic: AtomicBool,
    pub camera: AtomicBool,
    /// Set by a PLI/FIR (or turning the camera on): next frame is a keyframe.
    pub keyframe: AtomicBool,
    /// Percent of the mic's packets the SFU reports lost, smoothed: what
    /// the Opus encoder sizes its FEC for.
    pub audio_loss: AtomicU8,
}

/// Where 20 ms audio frames come from.
pub enum AudioInput {
    Tone(Tone),
    /// Mic frames from the device thread.
    Frames(mpsc::Receiver<Vec<f32>>),
    /// Pre-encoded Opus packets, replayed in a loop (load generators).
    Encoded(Arc<[Bytes]>),
}

/// Where pictures come from.
pub enum VideoInput {
    Pattern {
        participant: ParticipantId,
        fps: u32,
    },
    /// Camera pictures from the capture thread (builds with `camera`).
    #[cfg_attr(not(feature = "camera"), allow(dead_code))]
    Frames(mpsc::Receiver<VideoFrame>),
    /// A pre-encoded clip starting with a keyframe, replayed in a loop; a
    /// keyframe request restarts it.
    Encoded { frames: Arc<[Bytes]>, fps: u32 },
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
            if !switches.mic.load(Ordering::Relaxed) {
                continue;
            }
            if onset {
                events.send(MediaEvent::Onset { at: Instant::now() });
            }
            let loss = switches.audio_loss.load(Ordering::Relaxed);
            if let Err(e) = encoder.set_expected_loss(loss) {
                debug!(error = %e, "opus loss");
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

/// The camera task; pictures it encodes itself follow `uplink`'s estimate
/// (replayed clips cannot).
pub fn spawn_video(
    input: VideoInput,
    track: Arc<TrackLocalStaticSample>,
    switches: Arc<Switches>,
    uplink: Arc<Uplink>,
    events: EventSink,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let fps = match &input {
            VideoInput::Pattern { fps, .. } | VideoInput::Encoded { fps, .. } => *fps,
            VideoInput::Frames(_) => 30,
        };
        let mut ticks = interval(Duration::from_secs(1) / fps.max(1));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut camera = CameraEncoder::new(uplink, fps, events.clone());
        let mut counter = 0u32;
        let mut replayed = 0usize;
        let mut last_write = Instant::now();
        let mut preview = Preview::default();
        let (pattern_of, mut frames, clip) = match input {
            VideoInput::Pattern { participant, .. } => (Some(participant), None, None),
            VideoInput::Frames(rx) => (None, Some(rx), None),
            VideoInput::Encoded { frames, .. } => (None, None, Some(frames)),
        };
        loop {
            let raw = tokio::select! {
                _ = stop.changed() => return,
                _ = ticks.tick(), if frames.is_none() => None,
                frame = recv_frame(frames.as_mut()), if frames.is_some() => match frame {
                    Some(f) => Some(f),
                    None => return,
                },
            };
            if !switches.camera.load(Ordering::Relaxed) {
                continue;
            }
            let keyframe = switches.keyframe.swap(false, Ordering::Relaxed);
            let encoded: Vec<Bytes> = if let Some(clip) = &clip {
                if keyframe {
                    replayed = 0;
                }
                let Some(frame) = clip.get(replayed % clip.len().max(1)) else {
                    continue;
                };
                replayed += 1;
                vec![frame.clone()]
            } else {
                let picture = match (raw, pattern_of) {
                    (Some(frame), _) => frame,
                    (None, Some(participant)) => {
                        counter += 1;
                        draw_pattern(PatternStamp {
                            participant,
                            counter,
                            captured_ms: now_ms(),
                        })
                    }
                    (None, None) => continue,
                };
                if preview.due(Instant::now()) {
                    // Shares the pixels (an `Arc`), and `send` never waits.
                    events.send(MediaEvent::LocalVideo {
                        frame: picture.clone(),
                    });
                }
                let Prepared {
                    encoder: mut enc,
                    picture,
                    gap,
                } = match camera.prepare(picture, Instant::now().into_std()) {
                    Ok(Some(prepared)) => prepared,
                    Ok(None) => {
                        // Skipped for a lower frame rate: the next one owes
                        // the keyframe.
                        switches.keyframe.fetch_or(keyframe, Ordering::Relaxed);
                        continue;
                    }
                    Err(e) => return warn!(error = %e, "no video encoder"),
                };
                // Encoding takes milliseconds: keep it off the async workers.
                let result = tokio::task::spawn_blocking(move || {
                    let out = enc.encode_after(&picture, keyframe, gap);
                    (enc, out)
                })
                .await;
                let Ok((enc, out)) = result else { return };
                camera.put_back(enc);
                match out {
                    Ok(frames) => frames.into_iter().map(|f| Bytes::from(f.data)).collect(),
                    Err(e) => {
                        debug!(error = %e, "vp8");
                        continue;
                    }
                }
            };
            // The RTP clock follows real time, whatever the pace.
            let now = Instant::now();
            let duration = now.duration_since(last_write).max(Duration::from_millis(1));
            last_write = now;
            for data in encoded {
                let sample = Sample {
                    data,
                    duration,
                    ..Default::default()
                };
                if let Err(e) = track.write_sample(&sample).await {
                    debug!(error = %e, "camera write");
                }
            }
        }
    })
}

/// Paces the self-view to [`LOCAL_VIDEO_FPS`].
#[derive(Default)]
struct Preview {
    last: Option<Instant>,
}

impl Preview {
    fn due(&mut self, now: Instant) -> bool {
        let gap = Duration::from_secs(1) / LOCAL_VIDEO_FPS;
        // A little slack so a 15 fps source whose ticks jitter is not halved.
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) + gap / 8 >= gap);
        if due {
            self.last = Some(now);
        }
        due
    }
}

async fn recv_frame(rx: Option<&mut mpsc::Receiver<VideoFrame>>) -> Option<VideoFrame> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Reads a sender's RTCP (which also drives the NACK responder) and turns
/// PLI/FIR into a keyframe request for the encoder.
pub fn spawn_rtcp_reader(
    sender: Arc<RTCRtpSender>,
    switches: Option<Arc<Switches>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((packets, _)) = sender.read_rtcp().await {
            let Some(switches) = &switches else { continue };
            for packet in packets {
                let any = packet.as_any();
                if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                    switches.keyframe.store(true, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synthetic::read_pattern;

    #[test]
    fn the_preview_keeps_to_its_rate() {
        let start = Instant::now();
        let mut preview = Preview::default();
        // A 60 fps source for one second.
        let shown = (0..60)
            .filter(|i| preview.due(start + Duration::from_secs(1) * *i / 60))
            .count() as u32;
        assert!(
            (LOCAL_VIDEO_FPS - 1..=LOCAL_VIDEO_FPS + 1).contains(&shown),
            "{shown}"
        );
        // A 15 fps source is not thinned.
        let mut preview = Preview::default();
        let shown = (0..15)
            .filter(|i| preview.due(start + Duration::from_secs(1) * *i / 15))
            .count();
        assert_eq!(shown, 15);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pattern_is_previewed_only_while_the_camera_is_on() {
        let track = Arc::new(TrackLocalStaticSample::new(
            super::super::peer::vp8_capability(),
            "camera".into(),
            "test".into(),
        ));
        let switches = Arc::new(Switches {
            mic: AtomicBool::new(false),
            camera: AtomicBool::new(false),
            keyframe: AtomicBool::new(false),
            audio_loss: AtomicU8::new(0),
        });
        let (events, mut rx) = EventSink::new(16);
        let (stop_tx, stop_rx) = watch::channel(false);
        let participant = ParticipantId(7);
        let input = VideoInput::Pattern {
            participant,
            fps: 30,
        };
        let uplink = Uplink::new(Default::default());
        let task = spawn_video(input, track, switches.clone(), uplink, events, stop_rx);

        // Off: the source ticks on (paused time skips ahead), nothing is shown.
        let quiet = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
        assert!(quiet.is_err(), "no preview while the camera is off");

        switches.camera.store(true, Ordering::Relaxed);
        let event = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a preview soon after the camera is on")
            .expect("channel open");
        let MediaEvent::LocalVideo { frame } = event else {
            panic!("expected LocalVideo, got {event:?}");
        };
        assert_eq!((frame.width, frame.height), (PATTERN_WIDTH, PATTERN_HEIGHT));
        let stamp = read_pattern(&frame).expect("our own test pattern");
        assert_eq!(stamp.participant, participant);

        stop_tx.send_replace(true);
        task.await.unwrap();
    }
}
