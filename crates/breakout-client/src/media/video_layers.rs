//! The encoders of a simulcast camera: which layers each picture is
//! encoded for ([`Sharing`](super::simulcast::Sharing) of the estimate,
//! what the SFU wants), the pictures shrunk for them, and what the uplink's
//! statistics say the camera sends.
//!
//! Each smaller picture is made from the next larger one (the quarter from
//! the half), which halves the scaling work. A paused layer keeps its
//! encoder, but owes a keyframe when it starts again: the SFU switches a
//! subscriber to a layer only at one.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use breakout_protocol::media::Layer;

use super::MediaError;
use super::bwe::{Uplink, VideoSendStats};
use super::encodings::{Encoding, Job, Keyframes};
use super::events::{EventSink, MediaEvent};
use super::frame::VideoFrame;
use super::scale::downscale;
use super::simulcast::{LayerSet, Sharing, layer_size};
use super::video::Vp8Encoder;
use super::video_rate::{MAX_GAP, RETARGET_SHARE};

/// One layer's encoder between pictures.
#[derive(Default)]
struct LayerState {
    /// `None` while its picture is with the encoder (or before the first).
    encoder: Option<Vp8Encoder>,
    last_encoded: Option<Instant>,
    sending: bool,
}

pub struct LayerEncoders {
    camera: Arc<[Encoding]>,
    uplink: Arc<Uplink>,
    events: EventSink,
    fps: u32,
    sharing: Sharing,
    states: Vec<LayerState>,
    /// What the last report said: the layers sent and the top one's size.
    reported: Option<(Vec<bool>, (u32, u32))>,
}

impl LayerEncoders {
    /// The encoders of `camera`'s encodings (each with its layer, lowest
    /// first), for a source of `fps`; `cap_bps` is the most the uplink may
    /// carry (the estimator's ceiling).
    pub fn new(
        camera: Arc<[Encoding]>,
        (uplink, cap_bps): (Arc<Uplink>, u64),
        fps: u32,
        events: EventSink,
    ) -> LayerEncoders {
        let states = camera.iter().map(|_| LayerState::default()).collect();
        LayerEncoders {
            camera,
            uplink,
            events,
            fps: fps.max(1),
            sharing: Sharing::new(cap_bps),
            states,
            reported: None,
        }
    }

    /// The jobs for `picture` taken at `now`: one per layer sent, each
    /// with its picture and its encoder (give it back with
    /// [`LayerEncoders::put_back`]).
    pub fn prepare(
        &mut self,
        picture: VideoFrame,
        now: Instant,
        wanted: LayerSet,
        keyframes: &Keyframes,
    ) -> Result<Vec<Job>, MediaError> {
        let (width, height) = (picture.width, picture.height);
        let layers: Vec<(Layer, (u32, u32))> = self
            .camera
            .iter()
            .map(|e| {
                let layer = e.layer.unwrap_or(Layer::Full);
                (layer, layer_size(layer, width, height))
            })
            .collect();
        let estimate = self.uplink.estimate();
        let targets = self.sharing.update(&estimate, now, &layers, wanted);
        let mut pictures = shrink(picture, &layers, &targets);
        let mut jobs = Vec::new();
        for (i, target) in targets.iter().enumerate() {
            // Requests of a paused layer are served when it starts again.
            let asked = keyframes.take(i);
            let state = &mut self.states[i];
            let (Some(kbps), Some(picture)) = (*target, pictures[i].take()) else {
                state.sending = false;
                let counters = &self.camera[i].counters;
                counters.sending.store(false, Ordering::Relaxed);
                continue;
            };
            let keyframe = asked || !state.sending;
            let mut encoder = match state.encoder.take() {
                Some(e) if e.fits(&picture) => e,
                _ => Vp8Encoder::new(picture.width, picture.height, self.fps, kbps)?,
            };
            let current = f64::from(encoder.bitrate_kbps());
            if (f64::from(kbps) - current).abs() > current * RETARGET_SHARE {
                encoder.set_bitrate(kbps)?;
            }
            let gap = state
                .last_encoded
                .map_or(Duration::from_secs(1) / self.fps, |last| {
                    now.saturating_duration_since(last)
                })
                .min(MAX_GAP);
            state.last_encoded = Some(now);
            state.sending = true;
            jobs.push(Job {
                encoding: i,
                encoder,
                picture,
                gap,
                keyframe,
            });
        }
        self.report(&jobs);
        Ok(jobs)
    }

    /// Takes an encoder back after its picture went through it.
    pub fn put_back(&mut self, encoding: usize, encoder: Vp8Encoder) {
        if let Some(state) = self.states.get_mut(encoding) {
            state.encoder = Some(encoder);
        }
    }

    /// The uplink's statistics see the top layer sent and the layers'
    /// targets together; a change of the layers sent is an event.
    fn report(&mut self, jobs: &[Job]) {
        let Some(top) = jobs.last() else {
            self.uplink.set_video(None);
            return;
        };
        let stats = VideoSendStats {
            target_kbps: jobs.iter().map(|j| j.encoder.bitrate_kbps()).sum(),
            fps: self.fps,
            width: top.picture.width,
            height: top.picture.height,
        };
        self.uplink.set_video(Some(stats));
        let sending: Vec<bool> = self.states.iter().map(|s| s.sending).collect();
        let now = (sending, (stats.width, stats.height));
        if self.reported.as_ref() != Some(&now) {
            self.reported = Some(now);
            self.events.send(MediaEvent::Uplink {
                stats: self.uplink.stats(),
            });
        }
    }
}

/// The picture of each layer with a target (`layers` lowest first), each
/// shrunk from the next larger one made.
fn shrink(
    picture: VideoFrame,
    layers: &[(Layer, (u32, u32))],
    targets: &[Option<u32>],
) -> Vec<Option<VideoFrame>> {
    let mut pictures = vec![None; layers.len()];
    let (mut scale, mut current) = (1, picture);
    for i in (0..layers.len()).rev() {
        if targets[i].is_none() {
            continue;
        }
        let wanted = layers[i].0.scale_down_by();
        if wanted > scale {
            current = downscale(&current, wanted / scale);
            scale = wanted;
        }
        pictures[i] = Some(current.clone());
    }
    pictures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::bwe::BweConfig;
    use crate::media::peer::vp8_capability;
    use crate::media::synthetic::{PatternStamp, draw_pattern_sized};
    use breakout_protocol::ParticipantId;
    use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

    fn camera() -> Arc<[Encoding]> {
        Layer::ALL
            .iter()
            .map(|&layer| {
                let track = TrackLocalStaticSample::new_with_rid(
                    vp8_capability(),
                    "camera".into(),
                    layer.rid().into(),
                    "test".into(),
                );
                Encoding::new(Some(layer), Arc::new(track))
            })
            .collect()
    }

    fn encoders(bps: u64) -> (LayerEncoders, Arc<Uplink>) {
        let uplink = Uplink::new(BweConfig {
            start_bps: bps,
            min_bps: bps,
            max_bps: bps,
            ..BweConfig::default()
        });
        let (events, _rx) = EventSink::new(16);
        let encoders = LayerEncoders::new(camera(), (uplink.clone(), bps), 30, events);
        (encoders, uplink)
    }

    fn picture(counter: u32) -> VideoFrame {
        let stamp = PatternStamp {
            participant: ParticipantId(1),
            counter,
            captured_ms: 0,
        };
        draw_pattern_sized(stamp, 1280, 720)
    }

    /// (encoding, picture size, keyframe) of each job.
    fn run(
        encoders: &mut LayerEncoders,
        counter: u32,
        wanted: LayerSet,
    ) -> Vec<(usize, (u32, u32), bool)> {
        let keyframes = Keyframes::default();
        let now = Instant::now() + Duration::from_millis(33) * counter;
        let jobs = encoders
            .prepare(picture(counter), now, wanted, &keyframes)
            .unwrap();
        let seen = jobs
            .iter()
            .map(|j| (j.encoding, (j.picture.width, j.picture.height), j.keyframe))
            .collect();
        for job in jobs {
            encoders.put_back(job.encoding, job.encoder);
        }
        seen
    }

    #[test]
    fn every_layer_at_its_size_and_a_keyframe_to_start_with() {
        let (mut encoders, uplink) = encoders(2_600_000);
        let first = run(&mut encoders, 0, LayerSet::ALL);
        assert_eq!(
            first,
            vec![
                (0, (320, 180), true),
                (1, (640, 360), true),
                (2, (1280, 720), true)
            ]
        );
        let next = run(&mut encoders, 1, LayerSet::ALL);
        assert!(next.iter().all(|&(_, _, keyframe)| !keyframe), "{next:?}");
        let video = uplink.stats().video.expect("reported");
        assert_eq!((video.width, video.height), (1280, 720));
        assert_eq!(video.target_kbps, 115 + 460 + 1_707);
    }

    #[test]
    fn a_paused_layer_starts_again_with_a_keyframe() {
        let (mut encoders, _) = encoders(2_600_000);
        run(&mut encoders, 0, LayerSet::ALL);
        let q = LayerSet::of(&[Layer::Quarter]);
        assert_eq!(run(&mut encoders, 1, q), vec![(0, (320, 180), false)]);
        assert!(!encoders.camera[2].stats().sending);
        let resumed = run(&mut encoders, 2, LayerSet::ALL);
        assert_eq!(
            resumed,
            vec![
                (0, (320, 180), false),
                (1, (640, 360), true),
                (2, (1280, 720), true)
            ]
        );
    }

    #[test]
    fn a_narrow_uplink_sends_the_lowest_layer_only() {
        let (mut encoders, uplink) = encoders(200_000);
        assert_eq!(
            run(&mut encoders, 0, LayerSet::ALL),
            vec![(0, (320, 180), true)]
        );
        let video = uplink.stats().video.expect("reported");
        assert_eq!((video.width, video.target_kbps), (320, 122));
    }
}
