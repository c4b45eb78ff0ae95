//! The camera task: pictures in, VP8 out on the camera's track, or on its
//! tracks, one per simulcast layer.
//!
//! Without simulcast one encoder follows the uplink's estimate through the
//! ladder (`video_rate.rs`). With it, each picture is shrunk once per layer
//! the SFU wants and the estimate affords (`video_layers.rs`), and the
//! layers' encoders run side by side on the blocking pool: on two cores
//! three encoders in a row would take most of a frame's time. Keyframes
//! are owed per layer, since a PLI names one layer's stream; a layer that
//! starts again after a pause starts with one, as the SFU switches to a
//! layer only at a keyframe.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use breakout_protocol::ParticipantId;
use bytes::Bytes;
use futures_util::future::join_all;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, interval};
use tracing::{debug, warn};
use webrtc::media::Sample;

use super::MediaError;
use super::bwe::Uplink;
use super::encodings::{Encoding, Job};
use super::events::{EventSink, MediaEvent};
use super::frame::VideoFrame;
use super::send::{Switches, now_ms};
use super::synthetic::PatternSource;
use super::video::Vp8Encoder;
use super::video_layers::LayerEncoders;
use super::video_rate::CameraEncoder;

/// The most self-view pictures a second ([`MediaEvent::LocalVideo`]): a
/// preview needs no more, and a 30 fps camera should not double the events.
pub const LOCAL_VIDEO_FPS: u32 = 15;

/// Where pictures come from.
pub enum VideoInput {
    /// The participant's test pattern at this size.
    Pattern {
        participant: ParticipantId,
        fps: u32,
        width: u32,
        height: u32,
    },
    /// Camera pictures of this size from the capture thread (builds with
    /// `camera`).
    #[cfg_attr(not(feature = "camera"), allow(dead_code))]
    Frames {
        pictures: mpsc::Receiver<VideoFrame>,
        width: u32,
        height: u32,
    },
    /// A pre-encoded clip starting with a keyframe, replayed in a loop; a
    /// keyframe request restarts it.
    Encoded { frames: Arc<[Bytes]>, fps: u32 },
}

impl VideoInput {
    /// The size of the pictures, when they are encoded here (a replayed
    /// clip cannot be shrunk into layers).
    pub fn size(&self) -> Option<(u32, u32)> {
        match self {
            VideoInput::Pattern { width, height, .. }
            | VideoInput::Frames { width, height, .. } => Some((*width, *height)),
            VideoInput::Encoded { .. } => None,
        }
    }
}

/// The encoders of the camera's pictures.
enum Pipeline {
    Single(CameraEncoder),
    Layers(LayerEncoders),
}

impl Pipeline {
    /// The jobs for `picture` taken at `now`; none when it is skipped.
    fn prepare(
        &mut self,
        picture: VideoFrame,
        now: std::time::Instant,
        switches: &Switches,
    ) -> Result<Vec<Job>, MediaError> {
        match self {
            Pipeline::Single(camera) => {
                let keyframe = switches.keyframes.take(0);
                let Some(prepared) = camera.prepare(picture, now)? else {
                    // Skipped for a lower frame rate: the next one owes
                    // the keyframe.
                    if keyframe {
                        switches.keyframes.request(0);
                    }
                    return Ok(Vec::new());
                };
                Ok(vec![Job {
                    encoding: 0,
                    encoder: prepared.encoder,
                    picture: prepared.picture,
                    gap: prepared.gap,
                    keyframe,
                }])
            }
            Pipeline::Layers(layers) => {
                layers.prepare(picture, now, switches.wanted(), &switches.keyframes)
            }
        }
    }

    fn put_back(&mut self, encoding: usize, encoder: Vp8Encoder) {
        match self {
            Pipeline::Single(camera) => camera.put_back(encoder),
            Pipeline::Layers(layers) => layers.put_back(encoding, encoder),
        }
    }
}

/// The camera task. Pictures it encodes itself follow `uplink`'s estimate,
/// never above `cap_bps` (replayed clips cannot, and go out on the lowest
/// encoding, which the SFU keeps wanted while anyone watches).
pub fn spawn_video(
    input: VideoInput,
    camera: Arc<[Encoding]>,
    switches: Arc<Switches>,
    (uplink, cap_bps): (Arc<Uplink>, u64),
    events: EventSink,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let fps = match &input {
            VideoInput::Pattern { fps, .. } | VideoInput::Encoded { fps, .. } => *fps,
            VideoInput::Frames { .. } => 30,
        };
        let mut ticks = interval(Duration::from_secs(1) / fps.max(1));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut pipeline = if camera.len() > 1 {
            Pipeline::Layers(LayerEncoders::new(
                camera.clone(),
                (uplink, cap_bps),
                fps,
                events.clone(),
            ))
        } else {
            Pipeline::Single(CameraEncoder::new(uplink, fps, events.clone()))
        };
        let mut writer = Writer::new(camera.clone());
        let mut replayed = 0usize;
        let mut preview = Preview::default();
        let (mut pattern, mut frames, clip) = match input {
            VideoInput::Pattern {
                participant,
                width,
                height,
                ..
            } => (
                Some(PatternSource::new(participant, width, height)),
                None,
                None,
            ),
            VideoInput::Frames { pictures, .. } => (None, Some(pictures), None),
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
                for encoding in camera.iter() {
                    encoding.counters.sending.store(false, Ordering::Relaxed);
                }
                continue;
            }
            if let Some(clip) = &clip {
                let mut keyframe = false;
                for index in 0..camera.len() {
                    keyframe |= switches.keyframes.take(index);
                }
                if keyframe {
                    replayed = 0;
                }
                let Some(frame) = clip.get(replayed % clip.len().max(1)) else {
                    continue;
                };
                replayed += 1;
                writer.write(0, vec![frame.clone()]).await;
                continue;
            }
            let picture = match (raw, pattern.as_mut()) {
                (Some(frame), _) => frame,
                (None, Some(pattern)) => pattern.next_picture(now_ms()),
                (None, None) => continue,
            };
            if preview.due(Instant::now()) {
                // Shares the pixels (an `Arc`), and `send` never waits.
                events.send(MediaEvent::LocalVideo {
                    frame: picture.clone(),
                });
            }
            let jobs = match pipeline.prepare(picture, Instant::now().into_std(), &switches) {
                Ok(jobs) => jobs,
                Err(e) => return warn!(error = %e, "no video encoder"),
            };
            for job in &jobs {
                let counters = &camera[job.encoding].counters;
                counters.set_target(&job.picture, job.encoder.bitrate_kbps());
            }
            // Encoding takes milliseconds: keep it off the async workers,
            // the layers side by side.
            let running = jobs.into_iter().map(|mut job| {
                tokio::task::spawn_blocking(move || {
                    let out = job
                        .encoder
                        .encode_after(&job.picture, job.keyframe, job.gap);
                    (job.encoding, job.encoder, out)
                })
            });
            for finished in join_all(running).await {
                let Ok((index, encoder, out)) = finished else {
                    return;
                };
                pipeline.put_back(index, encoder);
                match out {
                    Ok(frames) => {
                        camera[index].counters.count(&frames);
                        writer
                            .write(index, frames.into_iter().map(|f| f.data.into()).collect())
                            .await;
                    }
                    Err(e) => debug!(error = %e, "vp8"),
                }
            }
        }
    })
}

/// Writes encoded frames to the encodings' tracks.
struct Writer {
    camera: Arc<[Encoding]>,
    /// When each track was last written to.
    last: Vec<Instant>,
}

impl Writer {
    fn new(camera: Arc<[Encoding]>) -> Writer {
        let last = vec![Instant::now(); camera.len()];
        Writer { camera, last }
    }

    async fn write(&mut self, index: usize, frames: Vec<Bytes>) {
        let (Some(encoding), Some(last)) = (self.camera.get(index), self.last.get_mut(index))
        else {
            return;
        };
        // Each track's RTP clock follows real time, whatever the pace and
        // however long the layer was paused.
        let now = Instant::now();
        let duration = now.duration_since(*last).max(Duration::from_millis(1));
        *last = now;
        for data in frames {
            let sample = Sample {
                data,
                duration,
                ..Default::default()
            };
            if let Err(e) = encoding.track.write_sample(&sample).await {
                debug!(error = %e, "camera write");
            }
        }
    }
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

pub(super) async fn recv_frame(rx: Option<&mut mpsc::Receiver<VideoFrame>>) -> Option<VideoFrame> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::encodings::EncodingStats;
    use crate::media::peer::vp8_capability;
    use crate::media::simulcast::LayerSet;
    use crate::media::synthetic::{PATTERN_HEIGHT, PATTERN_WIDTH, read_pattern};
    use breakout_protocol::media::Layer;
    use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

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

    fn camera(layers: &[Option<Layer>]) -> Arc<[Encoding]> {
        layers
            .iter()
            .map(|&layer| {
                let track = match layer {
                    Some(l) => TrackLocalStaticSample::new_with_rid(
                        vp8_capability(),
                        "camera".into(),
                        l.rid().into(),
                        "test".into(),
                    ),
                    None => TrackLocalStaticSample::new(
                        vp8_capability(),
                        "camera".into(),
                        "test".into(),
                    ),
                };
                Encoding::new(layer, Arc::new(track))
            })
            .collect()
    }

    fn pattern(participant: ParticipantId, (width, height): (u32, u32)) -> VideoInput {
        VideoInput::Pattern {
            participant,
            fps: 30,
            width,
            height,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_pattern_is_previewed_only_while_the_camera_is_on() {
        let switches = Arc::new(Switches::new(false, false, 0));
        let (events, mut rx) = EventSink::new(16);
        let (stop_tx, stop_rx) = watch::channel(false);
        let participant = ParticipantId(7);
        let input = pattern(participant, (PATTERN_WIDTH, PATTERN_HEIGHT));
        let uplink = Uplink::new(Default::default());
        let camera = camera(&[None]);
        let uplink = (uplink, 2_600_000);
        let task = spawn_video(input, camera, switches.clone(), uplink, events, stop_rx);

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

    /// Waits until `check` holds for the encodings' stats, looking again at
    /// every event the task sends (a preview at least every other picture).
    async fn until(
        events: &mut mpsc::Receiver<MediaEvent>,
        camera: &[Encoding],
        check: impl Fn(&[EncodingStats]) -> bool,
    ) {
        loop {
            let stats: Vec<EncodingStats> = camera.iter().map(Encoding::stats).collect();
            if check(&stats) {
                return;
            }
            let next = tokio::time::timeout(Duration::from_secs(30), events.recv()).await;
            assert!(matches!(next, Ok(Some(_))), "stuck at {stats:?}");
        }
    }

    /// The layers the SFU does not want stop; one wanted again starts with
    /// a keyframe; a keyframe request names one layer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn layers_follow_what_the_sfu_wants() {
        let switches = Arc::new(Switches::new(false, true, 0));
        let (events, mut rx) = EventSink::new(64);
        let (stop_tx, stop_rx) = watch::channel(false);
        // Wide enough for every layer from the start.
        let uplink = Uplink::new(crate::media::bwe::BweConfig {
            start_bps: 2_000_000,
            min_bps: 2_000_000,
            max_bps: 2_000_000,
            ..Default::default()
        });
        let layers = [Some(Layer::Quarter), Some(Layer::Half), Some(Layer::Full)];
        let camera = camera(&layers);
        let input = pattern(ParticipantId(3), (640, 360));
        let task = spawn_video(
            input,
            camera.clone(),
            switches.clone(),
            (uplink, 2_000_000),
            events,
            stop_rx,
        );
        until(&mut rx, &camera, |s| {
            s.iter().all(|l| l.frames_encoded >= 3)
        })
        .await;
        let sizes: Vec<_> = camera.iter().map(|e| e.stats()).collect();
        assert_eq!(
            sizes
                .iter()
                .map(|s| (s.width, s.height))
                .collect::<Vec<_>>(),
            vec![(160, 90), (320, 180), (640, 360)]
        );
        assert!(sizes.iter().all(|s| s.keyframes_encoded >= 1), "{sizes:?}");

        // Only q: h and f stop (at most the picture under way finishes).
        let q = LayerSet::of(&[Layer::Quarter]);
        switches.wanted.store(q.bits(), Ordering::Relaxed);
        let at = camera[0].stats().frames_encoded;
        until(&mut rx, &camera, |s| s[0].frames_encoded >= at + 2).await;
        let paused: Vec<_> = camera.iter().map(|e| e.stats()).collect();
        until(&mut rx, &camera, |s| s[0].frames_encoded >= at + 10).await;
        for i in [1, 2] {
            let now = camera[i].stats();
            assert_eq!(now.frames_encoded, paused[i].frames_encoded, "{now:?}");
            assert!(!now.sending, "{now:?}");
        }

        // f again: it starts with a keyframe; h stays paused.
        let keyframes = camera[2].stats().keyframes_encoded;
        let qf = LayerSet::of(&[Layer::Quarter, Layer::Full]);
        switches.wanted.store(qf.bits(), Ordering::Relaxed);
        until(&mut rx, &camera, |s| s[2].keyframes_encoded > keyframes).await;
        assert_eq!(camera[1].stats().frames_encoded, paused[1].frames_encoded);

        // A PLI on q's stream: a keyframe of q, not of f.
        until(&mut rx, &camera, |s| {
            s[2].frames_encoded >= paused[2].frames_encoded + 5
        })
        .await;
        let before: Vec<_> = camera.iter().map(|e| e.stats()).collect();
        switches.keyframes.request(0);
        until(&mut rx, &camera, |s| {
            s[0].keyframes_encoded > before[0].keyframes_encoded
        })
        .await;
        until(&mut rx, &camera, |s| {
            s[2].frames_encoded >= before[2].frames_encoded + 3
        })
        .await;
        assert_eq!(
            camera[2].stats().keyframes_encoded,
            before[2].keyframes_encoded
        );

        stop_tx.send_replace(true);
        task.await.unwrap();
    }
}
