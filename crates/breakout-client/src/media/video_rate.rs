//! The camera's encoder following the uplink's bandwidth estimate: the
//! [`Ladder`] picks bitrate, frame rate and size, this applies them to the
//! pictures and to the encoder, and says what it did.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::MediaError;
use super::bwe::{Uplink, VideoSendStats};
use super::events::{EventSink, MediaEvent};
use super::frame::VideoFrame;
use super::ladder::{Ladder, VideoTarget};
use super::scale::downscale;
use super::video::Vp8Encoder;

/// A change of target smaller than this is not worth a reconfiguration.
pub const RETARGET_SHARE: f64 = 0.05;
/// The longest gap between frames the encoder is told about.
pub const MAX_GAP: Duration = Duration::from_millis(250);

/// One picture ready for the encoder.
pub struct Prepared {
    pub encoder: Vp8Encoder,
    pub picture: VideoFrame,
    /// Since the last picture encoded.
    pub gap: Duration,
}

/// The camera pipeline's encoder and its rate decisions.
pub struct CameraEncoder {
    uplink: Arc<Uplink>,
    events: EventSink,
    source_fps: u32,
    ladder: Option<Ladder>,
    encoder: Option<Vp8Encoder>,
    last_encoded: Option<Instant>,
    last_target: Option<VideoTarget>,
}

impl CameraEncoder {
    pub fn new(uplink: Arc<Uplink>, source_fps: u32, events: EventSink) -> Self {
        CameraEncoder {
            uplink,
            events,
            source_fps: source_fps.max(1),
            ladder: None,
            encoder: None,
            last_encoded: None,
            last_target: None,
        }
    }

    /// The encoder and the picture to give it, or `None` when this picture
    /// is skipped (the frame rate is lowered). `now` is when it was taken.
    pub fn prepare(
        &mut self,
        picture: VideoFrame,
        now: Instant,
    ) -> Result<Option<Prepared>, MediaError> {
        let (width, height, fps) = (picture.width, picture.height, self.source_fps);
        if self
            .ladder
            .as_ref()
            .is_some_and(|l| !l.fits(width, height, fps))
        {
            self.ladder = None;
        }
        let estimate = self.uplink.estimate().target_bps;
        let target = self
            .ladder
            .get_or_insert_with(|| Ladder::new(width, height, fps))
            .update(estimate, now);
        if target.fps < fps && !self.due(target.fps, now) {
            return Ok(None);
        }
        let picture = downscale(&picture, target.scale);
        let mut encoder = match self.encoder.take() {
            Some(e) if e.fits(&picture) => e,
            _ => Vp8Encoder::new(picture.width, picture.height, target.fps, target.kbps)?,
        };
        let current = f64::from(encoder.bitrate_kbps());
        if (f64::from(target.kbps) - current).abs() > current * RETARGET_SHARE {
            encoder.set_bitrate(target.kbps)?;
        }
        // A pause (camera off, a stalled source) is not a frame rate: libvpx
        // would budget the next frame for the whole pause.
        let gap = self
            .last_encoded
            .map_or(Duration::from_secs(1) / fps, |last| {
                now.saturating_duration_since(last)
            })
            .min(MAX_GAP);
        self.last_encoded = Some(now);
        self.report(target, &picture, encoder.bitrate_kbps());
        Ok(Some(Prepared {
            encoder,
            picture,
            gap,
        }))
    }

    /// Takes the encoder back after a picture went through it.
    pub fn put_back(&mut self, encoder: Vp8Encoder) {
        self.encoder = Some(encoder);
    }

    /// Whether a picture at `now` keeps to `fps` (a little early is fine,
    /// so a source whose frames jitter is not thinned further).
    fn due(&self, fps: u32, now: Instant) -> bool {
        let interval = Duration::from_secs(1) / fps.max(1);
        self.last_encoded
            .is_none_or(|last| now.saturating_duration_since(last) + interval / 8 >= interval)
    }

    fn report(&mut self, target: VideoTarget, picture: &VideoFrame, kbps: u32) {
        let stats = VideoSendStats {
            target_kbps: kbps,
            fps: target.fps,
            width: picture.width,
            height: picture.height,
        };
        self.uplink.set_video(Some(stats));
        let stepped = self
            .last_target
            .is_none_or(|last| (last.fps, last.scale) != (target.fps, target.scale));
        self.last_target = Some(target);
        if stepped {
            self.events.send(MediaEvent::Uplink {
                stats: self.uplink.stats(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::bwe::BweConfig;
    use crate::media::synthetic::{PatternStamp, draw_pattern};
    use breakout_protocol::ParticipantId;

    fn picture() -> VideoFrame {
        draw_pattern(PatternStamp {
            participant: ParticipantId(1),
            counter: 0,
            captured_ms: 0,
        })
    }

    /// Pictures at 30 fps for a second, against an estimate of `bps`:
    /// (pictures encoded, last size, last target).
    fn second_at(bps: u64) -> (u32, (u32, u32), u32) {
        let config = BweConfig {
            start_bps: bps,
            min_bps: bps,
            max_bps: bps,
            ..BweConfig::default()
        };
        let uplink = Uplink::new(config);
        let (events, _rx) = EventSink::new(16);
        let mut camera = CameraEncoder::new(uplink.clone(), 30, events);
        let t0 = Instant::now();
        let mut encoded = 0;
        for i in 0..30 {
            let now = t0 + Duration::from_secs(1) * i / 30;
            if let Some(p) = camera.prepare(picture(), now).unwrap() {
                encoded += 1;
                camera.put_back(p.encoder);
            }
        }
        let video = uplink.stats().video.expect("reported");
        (encoded, (video.width, video.height), video.target_kbps)
    }

    #[test]
    fn a_wide_uplink_gets_every_picture_at_full_size() {
        assert_eq!(second_at(2_000_000), (30, (320, 240), 300));
    }

    #[test]
    fn a_narrow_uplink_halves_the_frame_rate() {
        let (encoded, size, kbps) = second_at(180_000);
        assert_eq!((encoded, size), (15, (320, 240)));
        assert_eq!(kbps, 104);
    }

    #[test]
    fn a_large_picture_is_sent_smaller_on_a_narrower_uplink() {
        let config = BweConfig {
            start_bps: 150_000,
            min_bps: 150_000,
            max_bps: 150_000,
            ..BweConfig::default()
        };
        let uplink = Uplink::new(config);
        let (events, _rx) = EventSink::new(16);
        let mut camera = CameraEncoder::new(uplink.clone(), 30, events);
        let big = VideoFrame {
            width: 640,
            height: 480,
            i420: vec![128u8; 640 * 480 * 3 / 2].into(),
            keyframe: false,
        };
        let prepared = camera.prepare(big, Instant::now()).unwrap().expect("first");
        assert_eq!(
            (prepared.picture.width, prepared.picture.height),
            (320, 240)
        );
        let video = uplink.stats().video.expect("reported");
        assert_eq!((video.width, video.fps, video.target_kbps), (320, 15, 77));
    }
}
