//! Downstream: one reader task per slot and one playout clock.
//!
//! Readers never block on the caller: audio packets go into the slot's
//! jitter buffer, video frames are assembled and decoded as they complete
//! and handed on with `try_send` (a full channel is a counted drop). The
//! playout clock pops every audio slot each 20 ms, decodes (with FEC or
//! concealment for losses), reports each slot's frame and sends the mix to
//! the speaker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use breakout_protocol::ParticipantId;
use breakout_protocol::media::MediaKind;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};
use tracing::debug;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::track::track_remote::TrackRemote;

use super::audio::OpusDecoder;
use super::devices::PlayoutQueue;
use super::events::{EventSink, MediaEvent};
use super::frame::{AudioFrame, VideoFrame};
use super::jitter::{JitterBuffer, Playout};
use super::mixer::mix;
use super::video_receive::VideoReceiver;

/// Client-side counters of one slot.
#[derive(Debug, Default)]
pub struct Counters {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    pub frames_decoded: AtomicU64,
    pub keyframes_decoded: AtomicU64,
    pub keyframe_requests: AtomicU64,
    pub decode_errors: AtomicU64,
    pub frames_lost: AtomicU64,
}

/// One downstream slot as the session knows it.
pub struct SlotState {
    pub mid: String,
    pub kind: MediaKind,
    pub participant: RwLock<Option<ParticipantId>>,
    pub counters: Counters,
    /// Audio slots only, unless the slot only counts what arrives.
    pub jitter: Option<Mutex<JitterBuffer>>,
    /// Whether what arrives is decoded, or only counted.
    decode: bool,
    /// The origin of the times given to the slot's pure parts.
    epoch: Instant,
}

impl SlotState {
    /// `jitter`: the bounds of an audio slot's playout delay.
    pub fn new(mid: String, kind: MediaKind, jitter: (Duration, Duration)) -> Self {
        SlotState {
            mid,
            kind,
            participant: RwLock::new(None),
            counters: Counters::default(),
            jitter: (kind == MediaKind::Audio)
                .then(|| Mutex::new(JitterBuffer::new(jitter.0, jitter.1))),
            decode: true,
            epoch: Instant::now(),
        }
    }

    /// A slot that counts the packets arriving and decodes nothing.
    pub fn counting_only(mut self) -> Self {
        self.decode = false;
        self.jitter = None;
        self
    }

    pub fn participant(&self) -> Option<ParticipantId> {
        *self.participant.read().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// Reads one slot's RTP until the track ends or the session stops.
pub fn spawn_reader(
    slot: Arc<SlotState>,
    track: Arc<TrackRemote>,
    pc: Arc<RTCPeerConnection>,
    events: EventSink,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut video = (slot.kind == MediaKind::Video && slot.decode).then(VideoReceiver::new);
        loop {
            let next_due = video.as_ref().and_then(VideoReceiver::next_due);
            let packet = tokio::select! {
                _ = stop.changed() => return,
                read = track.read_rtp() => match read {
                    Ok((packet, _)) => packet,
                    Err(e) => return debug!(mid = %slot.mid, error = %e, "slot ended"),
                },
                _ = sleep_until(slot.epoch + next_due.unwrap_or_default()), if next_due.is_some() => {
                    if let Some(video) = video.as_mut() {
                        show(&slot, &events, video.due(slot.now()));
                    }
                    continue;
                }
            };
            bump(&slot.counters.packets, 1);
            bump(&slot.counters.bytes, packet.payload.len() as u64);
            let h = &packet.header;
            if let Some(jitter) = &slot.jitter {
                let mut jitter = jitter.lock().unwrap_or_else(|e| e.into_inner());
                jitter.push(h.sequence_number, h.timestamp, packet.payload, slot.now());
                continue;
            }
            let Some(video) = video.as_mut() else {
                continue;
            };
            let out = match video.push(
                h.sequence_number,
                h.timestamp,
                h.marker,
                &packet.payload,
                slot.now(),
            ) {
                Ok(out) => out,
                Err(e) => return debug!(error = %e, "no video decoder"),
            };
            slot.counters
                .frames_lost
                .store(video.lost_frames(), Ordering::Relaxed);
            bump(&slot.counters.decode_errors, out.decode_errors);
            show(&slot, &events, out.pictures);
            if out.request_keyframe {
                bump(&slot.counters.keyframe_requests, 1);
                let pli = PictureLossIndication {
                    sender_ssrc: 0,
                    media_ssrc: track.ssrc(),
                };
                if let Err(e) = pc.write_rtcp(&[Box::new(pli)]).await {
                    debug!(error = %e, "keyframe request");
                }
            }
        }
    })
}

/// Passes a video slot's due pictures on.
fn show(slot: &SlotState, events: &EventSink, pictures: Vec<VideoFrame>) {
    for picture in pictures {
        bump(&slot.counters.frames_decoded, 1);
        if picture.keyframe {
            bump(&slot.counters.keyframes_decoded, 1);
        }
        events.send(MediaEvent::Video {
            mid: slot.mid.clone(),
            participant: slot.participant(),
            frame: picture,
        });
    }
}

/// Every 20 ms: pop, decode and report each audio slot; mix to `speaker`.
pub fn spawn_playout(
    slots: Vec<Arc<SlotState>>,
    speaker: Option<PlayoutQueue>,
    events: EventSink,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut decoders: Vec<Option<OpusDecoder>> = slots.iter().map(|_| None).collect();
        let mut ticks = interval(Duration::from_millis(20));
        // A late tick is caught up (Burst): the clock must not fall behind
        // the senders, or the jitter buffers would only grow.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = ticks.tick() => {}
            }
            let mut frames = Vec::new();
            for (slot, decoder) in slots.iter().zip(decoders.iter_mut()) {
                let Some(jitter) = &slot.jitter else { continue };
                let now = slot.now();
                let next = jitter.lock().unwrap_or_else(|e| e.into_inner()).pop(now);
                if next == Playout::Idle {
                    continue;
                }
                let decoder = match decoder {
                    Some(d) => d,
                    None => match OpusDecoder::new() {
                        Ok(d) => decoder.insert(d),
                        Err(e) => return debug!(error = %e, "no audio decoder"),
                    },
                };
                let (decoded, repaired) = match &next {
                    Playout::Packet(p) => (decoder.decode(p), false),
                    Playout::Recover(p) => (decoder.recover(p), true),
                    Playout::Conceal => (decoder.conceal(), true),
                    Playout::Idle => unreachable!("skipped above"),
                };
                let samples: Arc<[f32]> = match decoded {
                    Ok(s) => s.into(),
                    Err(e) => {
                        bump(&slot.counters.decode_errors, 1);
                        debug!(mid = %slot.mid, error = %e, "opus decode");
                        continue;
                    }
                };
                bump(&slot.counters.frames_decoded, 1);
                frames.push(samples.clone());
                events.send(MediaEvent::Audio {
                    mid: slot.mid.clone(),
                    participant: slot.participant(),
                    frame: AudioFrame { samples, repaired },
                });
            }
            if let Some(speaker) = &speaker {
                speaker.push(&mix(frames.iter().map(|f| &f[..])));
            }
        }
    })
}
