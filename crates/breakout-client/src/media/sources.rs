//! What feeds the session and what it plays to: the mic and camera
//! pipelines (source → encoder → sendonly track) and the playout (slots →
//! mixer → speaker). Each runs as its own task with the device it opened,
//! so a device picked in the middle of a meeting replaces one pipeline on
//! the same track: same connection, same RTP stream (sequence numbers and
//! timestamps go on), nothing renegotiated, nobody sees a reconnect.

use std::sync::{Arc, Mutex, MutexGuard};

use breakout_protocol::ParticipantId;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use super::MediaError;
use super::bwe::Uplink;
use super::config::{AudioOutput, AudioSource, VideoSource};
use super::devices::{self, PlayoutQueue};
use super::encodings::Encoding;
use super::events::{EventSink, MediaEvent};
use super::receive::{self, SlotState};
use super::screen::{self, KeyframeWanted, ScreenInput, ScreenSource};
use super::send::{self, AudioInput, Switches};
use super::send_video::{self, VideoInput};
use super::synthetic::{PATTERN_HEIGHT, PATTERN_WIDTH, Tone, pattern_size_error};

/// An open device: closed when dropped.
type Device = Box<dyn Send + Sync>;

/// An opened source or output and its device, if it has one.
pub(super) type Opened<T> = (T, Option<Device>);

/// A running pipeline and the device it reads or plays to.
struct Running {
    task: JoinHandle<()>,
    _device: Option<Device>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The session's pipelines; each can be replaced while the others run.
pub(super) struct Sources {
    wiring: Wiring,
    mic: Mutex<Option<Running>>,
    camera: Mutex<Option<Running>>,
    playout: Mutex<Option<Running>>,
    /// The shared screen, while sharing.
    screen: Mutex<Option<Running>>,
}

/// Where the session sends and plays, once negotiated.
pub(super) struct Wiring {
    pub participant: ParticipantId,
    pub events: EventSink,
    pub switches: Arc<Switches>,
    pub stop: watch::Receiver<bool>,
    pub slots: Vec<Arc<SlotState>>,
    pub mic_track: Arc<TrackLocalStaticSample>,
    /// The camera's encodings: one track, or one per simulcast layer.
    pub camera: Arc<[Encoding]>,
    /// The bandwidth estimate the camera's encoder follows, and the most
    /// it may send (the estimator's ceiling).
    pub uplink: Arc<Uplink>,
    pub uplink_cap_bps: u64,
    /// The screen track, when negotiated, and its keyframe requests.
    pub screen: Option<(Arc<TrackLocalStaticSample>, Arc<KeyframeWanted>)>,
}

impl Sources {
    pub fn new(wiring: Wiring) -> Self {
        Sources {
            wiring,
            mic: Mutex::new(None),
            camera: Mutex::new(None),
            playout: Mutex::new(None),
            screen: Mutex::new(None),
        }
    }

    /// Opens `source` and sends it on the mic track in place of what was
    /// sent before. On error nothing changes. `AudioSource::None` stops
    /// sending.
    pub fn set_audio(&self, source: &AudioSource) -> Result<(), MediaError> {
        let opened = open_audio(source, self.wiring.participant, &self.wiring.events)?;
        self.run_audio(opened);
        Ok(())
    }

    /// Sends `opened` on the mic track, replacing what ran before.
    pub fn run_audio(&self, opened: Option<Opened<AudioInput>>) {
        let running = opened.map(|(input, device)| Running {
            task: send::spawn_audio(
                input,
                self.wiring.mic_track.clone(),
                self.wiring.uplink.clone(),
                self.wiring.switches.clone(),
                self.wiring.events.clone(),
                self.wiring.stop.clone(),
            ),
            _device: device,
        });
        *lock(&self.mic) = running;
    }

    /// As [`Sources::set_audio`], for the camera track. The new source's
    /// first picture is a keyframe, so whoever watches decodes it at once.
    pub fn set_video(&self, source: &VideoSource) -> Result<(), MediaError> {
        let opened = open_video(source, self.wiring.participant, &self.wiring.events)?;
        self.run_video(opened);
        Ok(())
    }

    /// Sends `opened` on the camera track, replacing what ran before.
    pub fn run_video(&self, opened: Option<Opened<VideoInput>>) {
        let running = opened.map(|(input, device)| Running {
            task: send_video::spawn_video(
                input,
                self.wiring.camera.clone(),
                self.wiring.switches.clone(),
                (self.wiring.uplink.clone(), self.wiring.uplink_cap_bps),
                self.wiring.events.clone(),
                self.wiring.stop.clone(),
            ),
            _device: device,
        });
        self.wiring.switches.keyframes.request_all();
        *lock(&self.camera) = running;
    }

    /// Plays the slots to `output` from now on (the playout restarts; the
    /// jitter buffers keep what they hold). On error nothing changes.
    pub fn set_output(&self, output: &AudioOutput) -> Result<(), MediaError> {
        let opened = open_output(output, &self.wiring.events)?;
        self.run_output(opened);
        Ok(())
    }

    /// Plays the slots to `opened` (nothing: decoded only, for levels and
    /// tests), replacing the playout that ran before.
    pub fn run_output(&self, opened: Option<Opened<PlayoutQueue>>) {
        let (queue, device) = match opened {
            Some((queue, device)) => (Some(queue), device),
            None => (None, None),
        };
        let task = receive::spawn_playout(
            self.wiring.slots.clone(),
            queue,
            self.wiring.events.clone(),
            self.wiring.stop.clone(),
        );
        *lock(&self.playout) = Some(Running {
            task,
            _device: device,
        });
    }

    /// Opens `source` for sharing; nothing is sent until
    /// [`Sources::run_screen`].
    pub fn open_screen(&self, source: &ScreenSource) -> Result<ScreenInput, MediaError> {
        if self.wiring.screen.is_none() {
            return Err(MediaError::Protocol(
                "this connection was negotiated without a screen track".into(),
            ));
        }
        screen::open(source, self.wiring.participant)
    }

    /// Sends `input` on the screen track, replacing a share running before;
    /// its first picture is a keyframe.
    pub fn run_screen(&self, input: ScreenInput) {
        let Some((track, keyframe)) = &self.wiring.screen else {
            return;
        };
        let task = screen::spawn(
            input,
            track.clone(),
            keyframe.clone(),
            self.wiring.uplink.clone(),
            self.wiring.events.clone(),
            self.wiring.stop.clone(),
        );
        *lock(&self.screen) = Some(Running {
            task,
            _device: None,
        });
    }

    /// Stops sending the screen; whether it was being sent.
    pub fn stop_screen(&self) -> bool {
        lock(&self.screen).take().is_some()
    }

    pub fn sharing(&self) -> bool {
        lock(&self.screen).is_some()
    }

    pub fn has_audio(&self) -> bool {
        lock(&self.mic).is_some()
    }

    pub fn has_video(&self) -> bool {
        lock(&self.camera).is_some()
    }

    /// Stops every pipeline and closes every device.
    pub fn stop_all(&self) {
        lock(&self.mic).take();
        lock(&self.camera).take();
        lock(&self.playout).take();
        lock(&self.screen).take();
    }
}

fn lock(running: &Mutex<Option<Running>>) -> MutexGuard<'_, Option<Running>> {
    running.lock().unwrap_or_else(|e| e.into_inner())
}

/// `None` for [`AudioSource::None`].
pub(super) fn open_audio(
    source: &AudioSource,
    participant: ParticipantId,
    events: &EventSink,
) -> Result<Option<Opened<AudioInput>>, MediaError> {
    let input = match source {
        AudioSource::None => return Ok(None),
        AudioSource::Tone => AudioInput::Tone(Tone::for_participant(participant)),
        AudioSource::ToneBursts { on, period } => {
            AudioInput::Tone(Tone::for_participant(participant).bursts(*on, *period))
        }
        AudioSource::Replay(packets) => AudioInput::Encoded(packets.clone()),
        AudioSource::Microphone(name) => {
            let (tx, rx) = mpsc::channel(8);
            let lost = events.clone();
            let stream = devices::capture(
                name.as_deref(),
                move |frame| {
                    // The encoder is behind: drop rather than queue latency.
                    let _ = tx.try_send(frame);
                },
                move |message| {
                    lost.send(MediaEvent::DeviceLost {
                        kind: "microphone",
                        message,
                    })
                },
            )?;
            return Ok(Some((AudioInput::Frames(rx), Some(Box::new(stream)))));
        }
    };
    Ok(Some((input, None)))
}

/// `None` for [`VideoSource::None`].
pub(super) fn open_video(
    source: &VideoSource,
    participant: ParticipantId,
    events: &EventSink,
) -> Result<Option<Opened<VideoInput>>, MediaError> {
    let input = match source {
        VideoSource::None => return Ok(None),
        VideoSource::Pattern { fps } => VideoInput::Pattern {
            participant,
            fps: *fps,
            width: PATTERN_WIDTH,
            height: PATTERN_HEIGHT,
        },
        &VideoSource::SizedPattern { fps, width, height } => {
            if let Some(reason) = pattern_size_error(width, height) {
                return Err(MediaError::Device {
                    kind: "camera",
                    name: "test pattern".into(),
                    reason,
                });
            }
            VideoInput::Pattern {
                participant,
                fps,
                width,
                height,
            }
        }
        VideoSource::Replay { frames, fps } => VideoInput::Encoded {
            frames: frames.clone(),
            fps: *fps,
        },
        VideoSource::Camera(index) => {
            let (input, device) = open_camera(*index, events)?;
            return Ok(Some((input, Some(device))));
        }
    };
    Ok(Some((input, None)))
}

#[cfg(feature = "camera")]
fn open_camera(index: Option<u32>, events: &EventSink) -> Result<(VideoInput, Device), MediaError> {
    let (tx, rx) = mpsc::channel(2);
    let lost = events.clone();
    let stream = super::camera::open(
        index,
        move |frame| {
            let _ = tx.try_send(frame);
        },
        move |message| {
            lost.send(MediaEvent::DeviceLost {
                kind: "camera",
                message,
            })
        },
    )?;
    tracing::info!(camera = %stream.name, stream.width, stream.height, "camera open");
    let input = VideoInput::Frames {
        pictures: rx,
        width: stream.width,
        height: stream.height,
    };
    Ok((input, Box::new(stream)))
}

#[cfg(not(feature = "camera"))]
fn open_camera(
    index: Option<u32>,
    _events: &EventSink,
) -> Result<(VideoInput, Device), MediaError> {
    Err(MediaError::NoDevice {
        kind: "camera",
        requested: index.map(|i| i.to_string()),
        hint: "this build has no camera support (feature `camera`)".into(),
    })
}

/// `None` for [`AudioOutput::None`].
pub(super) fn open_output(
    output: &AudioOutput,
    events: &EventSink,
) -> Result<Option<Opened<PlayoutQueue>>, MediaError> {
    let AudioOutput::Speaker(name) = output else {
        return Ok(None);
    };
    let lost = events.clone();
    let (stream, queue) = devices::playout(name.as_deref(), move |message| {
        lost.send(MediaEvent::DeviceLost {
            kind: "speaker",
            message,
        })
    })?;
    Ok(Some((queue, Some(Box::new(stream)))))
}
