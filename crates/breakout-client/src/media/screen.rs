//! Sharing a screen or one window: pictures captured a few times a second
//! (builds with `screen`: X11, Wayland through the desktop portal, and the
//! native APIs on Windows and macOS, all through `xcap`), encoded as VP8 in
//! its screen content mode and sent on the connection's screen track,
//! which was negotiated with everything else when media started. Starting
//! and stopping a share renegotiates nothing.
//!
//! Screen content is sharp text over flat areas that rarely change: a few
//! pictures a second at full resolution serve it better than a camera's
//! 30 at a fraction of it, and the encoder spends almost nothing on what
//! did not change.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use breakout_protocol::ParticipantId;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, interval};
use tracing::debug;
use webrtc::media::Sample;
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use super::MediaError;
use super::bwe::Uplink;
use super::events::{EventSink, MediaEvent};
use super::frame::VideoFrame;
use super::scale::downscale;
use super::send::now_ms;
use super::send_video::recv_frame;
use super::synthetic::PatternSource;
use super::video::Vp8Encoder;

/// Pictures a second of a shared screen.
pub const SCREEN_FPS: u32 = 5;
/// Wider screens are halved (a 4K screen is sent at 1920 wide).
const MAX_WIDTH: u32 = 1920;
/// The share's bitrate: half the uplink's estimate (the camera and voice
/// keep the rest), within these bounds.
const MIN_KBPS: u64 = 150;
const MAX_KBPS: u64 = 1_500;

/// What to share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScreenSource {
    /// A whole screen, by the name [`screen_sources`] gives it (the first
    /// screen without one).
    Monitor { name: Option<String> },
    /// One window, by the id [`screen_sources`] gives it.
    Window { id: u32 },
    /// The participant's test pattern at this size, a picture that tells
    /// who sent it (tests and benchmarks).
    Pattern { width: u32, height: u32 },
}

/// A screen or window that can be shared, as a picker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScreenTarget {
    pub source: ScreenSource,
    /// The screen's name or the window's title.
    pub title: String,
    pub width: u32,
    pub height: u32,
}

/// The screens and windows of this desktop that can be shared: screens
/// first, then windows front to back (minimised ones left out).
#[cfg(feature = "screen")]
pub fn screen_sources() -> Result<Vec<ScreenTarget>, MediaError> {
    let failed = |e: xcap::XCapError| MediaError::Device {
        kind: "screen",
        name: "desktop".into(),
        reason: e.to_string(),
    };
    let mut targets = Vec::new();
    for monitor in xcap::Monitor::all().map_err(failed)? {
        let name = monitor.name().map_err(failed)?;
        targets.push(ScreenTarget {
            source: ScreenSource::Monitor {
                name: Some(name.clone()),
            },
            title: name,
            width: monitor.width().map_err(failed)?,
            height: monitor.height().map_err(failed)?,
        });
    }
    // Without a window manager there is no list of windows; screens remain.
    let windows = xcap::Window::all().unwrap_or_else(|error| {
        debug!(%error, "no list of windows");
        Vec::new()
    });
    for window in windows {
        // A window manager that does not say counts as "not minimised".
        if window.is_minimized().unwrap_or(false) {
            continue;
        }
        let (Ok(id), Ok(width), Ok(height)) = (window.id(), window.width(), window.height()) else {
            continue;
        };
        targets.push(ScreenTarget {
            source: ScreenSource::Window { id },
            title: window.title().unwrap_or_default(),
            width,
            height,
        });
    }
    Ok(targets)
}

/// Where a share's pictures come from once opened.
pub(super) enum ScreenInput {
    Pattern {
        participant: ParticipantId,
        width: u32,
        height: u32,
    },
    /// Pictures from the capture thread, which stops when this is dropped
    /// (builds with `screen`).
    #[cfg_attr(not(feature = "screen"), allow(dead_code))]
    Captured(mpsc::Receiver<VideoFrame>),
}

/// Opens `source`: a capture is tried once before this returns, so a
/// window that is gone or a desktop that refuses is an error now, not a
/// black share.
pub(super) fn open(
    source: &ScreenSource,
    participant: ParticipantId,
) -> Result<ScreenInput, MediaError> {
    match source {
        ScreenSource::Pattern { width, height } => Ok(ScreenInput::Pattern {
            participant,
            width: *width,
            height: *height,
        }),
        #[cfg(feature = "screen")]
        captured => capture::start(captured.clone()).map(ScreenInput::Captured),
        #[cfg(not(feature = "screen"))]
        _ => Err(MediaError::NoDevice {
            kind: "screen",
            requested: None,
            hint: "this build shares test patterns only (built without `screen`)".into(),
        }),
    }
}

#[cfg(feature = "screen")]
mod capture {
    use std::time::{Duration, Instant};

    use tokio::sync::mpsc;

    use super::{MediaError, SCREEN_FPS, ScreenSource, VideoFrame};

    /// One capturable thing, looked up on the capture thread (the
    /// platform's handles stay on the thread that made them).
    enum Target {
        Monitor(xcap::Monitor),
        Window(xcap::Window),
    }

    impl Target {
        fn find(source: &ScreenSource) -> Result<Target, String> {
            match source {
                ScreenSource::Monitor { name } => {
                    let monitors = xcap::Monitor::all().map_err(|e| e.to_string())?;
                    monitors
                        .into_iter()
                        .find(|m| name.is_none() || m.name().ok().as_ref() == name.as_ref())
                        .map(Target::Monitor)
                        .ok_or_else(|| format!("no screen named {name:?}"))
                }
                ScreenSource::Window { id } => {
                    let windows = xcap::Window::all().map_err(|e| e.to_string())?;
                    windows
                        .into_iter()
                        .find(|w| w.id().ok() == Some(*id))
                        .map(Target::Window)
                        .ok_or_else(|| format!("window {id} is gone"))
                }
                ScreenSource::Pattern { .. } => Err("a pattern is not captured".into()),
            }
        }

        fn capture(&self) -> Result<VideoFrame, String> {
            let image = match self {
                Target::Monitor(m) => m.capture_image(),
                Target::Window(w) => w.capture_image(),
            }
            .map_err(|e| e.to_string())?;
            let (width, height) = image.dimensions();
            if width < 2 || height < 2 {
                return Err(format!("nothing to capture ({width}×{height})"));
            }
            Ok(VideoFrame::from_rgb(width, height, 4, image.as_raw()))
        }
    }

    pub fn start(source: ScreenSource) -> Result<mpsc::Receiver<VideoFrame>, MediaError> {
        let failed = |reason: String| MediaError::Device {
            kind: "screen",
            name: format!("{source:?}"),
            reason,
        };
        let (frames, rx) = mpsc::channel(2);
        let (opened_tx, opened) = std::sync::mpsc::channel();
        let thread_source = source.clone();
        std::thread::Builder::new()
            .name("screen-capture".into())
            .spawn(move || {
                let first = Target::find(&thread_source)
                    .and_then(|target| target.capture().map(|frame| (target, frame)));
                let (target, first) = match first {
                    Ok(ok) => ok,
                    Err(reason) => {
                        let _ = opened_tx.send(Err(reason));
                        return;
                    }
                };
                let _ = opened_tx.send(Ok(()));
                if frames.blocking_send(first).is_err() {
                    return;
                }
                let period = Duration::from_secs(1) / SCREEN_FPS;
                let mut next = Instant::now() + period;
                loop {
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    next += period;
                    match target.capture() {
                        Ok(frame) => {
                            if frames.blocking_send(frame).is_err() {
                                return; // The share stopped.
                            }
                        }
                        // A window being resized or briefly unmapped: the
                        // share shows the last picture until it is back.
                        Err(reason) => tracing::debug!(%reason, "screen capture"),
                    }
                    if frames.is_closed() {
                        return;
                    }
                }
            })
            .map_err(|e| failed(e.to_string()))?;
        match opened.recv() {
            Ok(Ok(())) => Ok(rx),
            Ok(Err(reason)) => Err(failed(reason)),
            Err(_) => Err(failed("the capture thread ended".into())),
        }
    }
}

/// A keyframe the SFU asked for (a new viewer): answered at once with the
/// last picture, not at the next capture up to 200 ms later.
#[derive(Default)]
pub(super) struct KeyframeWanted {
    wanted: AtomicBool,
    notify: Notify,
}

impl KeyframeWanted {
    pub fn request(&self) {
        self.wanted.store(true, Ordering::Relaxed);
        self.notify.notify_one();
    }

    fn take(&self) -> bool {
        self.wanted.swap(false, Ordering::Relaxed)
    }
}

/// The share task: pictures in, VP8 for screen content out on `track`,
/// until `stop`. A keyframe is sent first, after a size change, and
/// whenever one is wanted (a PLI from the SFU).
pub(super) fn spawn(
    input: ScreenInput,
    track: Arc<TrackLocalStaticSample>,
    keyframe: Arc<KeyframeWanted>,
    uplink: Arc<Uplink>,
    events: EventSink,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = interval(Duration::from_secs(1) / SCREEN_FPS);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let (mut pattern, mut captured) = match input {
            ScreenInput::Pattern {
                participant,
                width,
                height,
            } => (Some(PatternSource::new(participant, width, height)), None),
            ScreenInput::Captured(rx) => (None, Some(rx)),
        };
        let mut encoder: Option<Vp8Encoder> = None;
        let mut last_write = Instant::now();
        let mut last_picture: Option<VideoFrame> = None;
        loop {
            let picture = tokio::select! {
                _ = stop.changed() => return,
                () = keyframe.notify.notified(), if last_picture.is_some() => {
                    match &last_picture {
                        Some(picture) => picture.clone(),
                        None => continue,
                    }
                }
                _ = ticks.tick(), if captured.is_none() => {
                    let Some(pattern) = pattern.as_mut() else { return };
                    pattern.next_picture(now_ms())
                }
                frame = recv_frame(captured.as_mut()) => match frame {
                    Some(frame) => frame,
                    None => return,
                },
            };
            let picture = fit(picture);
            events.send(MediaEvent::LocalScreen {
                frame: picture.clone(),
            });
            last_picture = Some(picture.clone());
            let kbps = (uplink.estimate().target_bps / 2_000).clamp(MIN_KBPS, MAX_KBPS) as u32;
            let mut current = match encoder.take() {
                Some(e) if e.fits(&picture) => e,
                _ => {
                    match Vp8Encoder::for_screen(picture.width, picture.height, SCREEN_FPS, kbps) {
                        Ok(e) => e,
                        Err(error) => {
                            debug!(%error, "screen encoder");
                            return;
                        }
                    }
                }
            };
            let encoded = current.set_bitrate(kbps).and_then(|()| {
                current.encode_after(&picture, keyframe.take(), last_write.elapsed())
            });
            encoder = Some(current);
            let frames = match encoded {
                Ok(frames) => frames,
                Err(error) => {
                    debug!(%error, "screen encode");
                    continue;
                }
            };
            let now = Instant::now();
            let duration = now.duration_since(last_write).max(Duration::from_millis(1));
            last_write = now;
            for frame in frames {
                let sample = Sample {
                    data: Bytes::from(frame.data),
                    duration,
                    ..Default::default()
                };
                if let Err(error) = track.write_sample(&sample).await {
                    debug!(%error, "screen write");
                }
            }
        }
    })
}

/// Screens wider than [`MAX_WIDTH`] are halved until they fit.
fn fit(mut picture: VideoFrame) -> VideoFrame {
    while picture.width > MAX_WIDTH {
        picture = downscale(&picture, 2);
    }
    picture
}

/// Reads the screen sender's RTCP (which also drives its NACK responder)
/// and raises `keyframe` on every picture loss report.
pub(super) fn spawn_rtcp_reader(
    sender: Arc<RTCRtpSender>,
    keyframe: Arc<KeyframeWanted>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((packets, _)) = sender.read_rtcp().await {
            for packet in packets {
                let any = packet.as_any();
                if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                    keyframe.request();
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Vp8Decoder;

    #[test]
    fn a_wide_screen_is_halved_until_it_fits() {
        let picture = VideoFrame::from_rgb(3840, 2160, 4, &vec![200u8; 3840 * 2160 * 4]);
        let fitted = fit(picture);
        assert_eq!((fitted.width, fitted.height), (1920, 1080));
    }

    /// Screen content mode keeps a picture of flat colours and a sharp
    /// edge: decoded, each half keeps its colour.
    #[test]
    fn screen_content_survives_the_encoder() {
        let (w, h) = (640u32, 360u32);
        let mut rgba = Vec::with_capacity((w * h * 4) as usize);
        for _row in 0..h {
            for col in 0..w {
                let pixel = if col < w / 2 {
                    [255, 255, 255, 255]
                } else {
                    [0, 0, 0, 255]
                };
                rgba.extend(pixel);
            }
        }
        let picture = VideoFrame::from_rgb(w, h, 4, &rgba);
        let mut encoder = Vp8Encoder::for_screen(w, h, SCREEN_FPS, 500).expect("encoder");
        let mut decoder = Vp8Decoder::new().expect("decoder");
        let mut decoded = None;
        for frame in encoder.encode(&picture, true).expect("encoded") {
            decoded = decoder.decode(&frame.data).expect("decoded").or(decoded);
        }
        let decoded = decoded.expect("a picture");
        let rgb = decoded.to_rgba();
        let luma_at = |x: u32, y: u32| rgb[((y * w + x) * 4) as usize];
        assert!(luma_at(w / 4, h / 2) > 230, "white half");
        assert!(luma_at(3 * w / 4, h / 2) < 25, "black half");
        // The edge stays within a few pixels.
        assert!(luma_at(w / 2 - 4, h / 2) > 200 && luma_at(w / 2 + 4, h / 2) < 55);
    }
}
