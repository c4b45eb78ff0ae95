//! Microphones and speakers through cpal, cameras through nokhwa (feature
//! `camera`): listing, choosing, and streams with small fixed buffers.
//!
//! cpal's default buffer is about 100 ms, which alone would blow a call's
//! latency budget; we ask for 10 ms ([`DEVICE_BUFFER_FRAMES`]) when the
//! device allows it. Each stream lives on its own thread (cpal streams are
//! not `Send` on every platform); dropping the handle stops it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::thread::JoinHandle;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{BufferSize, SampleFormat, StreamConfig, SupportedBufferSize};

use super::MediaError;
use super::audio::{SAMPLE_RATE, SAMPLES_PER_FRAME};
pub use super::device_info::{AudioDevice, CameraDevice, DeviceList};

/// Frames per device callback we ask for: 10 ms at 48 kHz.
pub const DEVICE_BUFFER_FRAMES: u32 = 480;
/// Most audio queued for the speaker before the oldest is dropped (60 ms).
const PLAYOUT_QUEUE_MAX: usize = SAMPLES_PER_FRAME * 3;

/// Lists microphones, speakers and cameras.
pub fn list() -> DeviceList {
    let mut list = DeviceList::default();
    let host = cpal::default_host();
    let default_in = host.default_input_device().and_then(|d| d.id().ok());
    let default_out = host.default_output_device().and_then(|d| d.id().ok());
    match host.devices() {
        Ok(devices) => {
            for device in devices {
                let Ok(id) = device.id() else { continue };
                let name = device
                    .description()
                    .map(|d| d.name().to_string())
                    .unwrap_or_else(|_| id.to_string());
                let entry = |default: &Option<cpal::DeviceId>| AudioDevice {
                    id: id.to_string(),
                    name: name.clone(),
                    default: default.as_ref() == Some(&id),
                };
                if device.supports_input() {
                    list.microphones.push(entry(&default_in));
                }
                if device.supports_output() {
                    list.speakers.push(entry(&default_out));
                }
            }
        }
        Err(e) => list.notes.push(format!("audio devices unavailable: {e}")),
    }
    if list.microphones.is_empty() {
        list.notes
            .push("no microphone found: others will not hear you".into());
    }
    if list.speakers.is_empty() {
        list.notes
            .push("no speaker found: you will not hear others".into());
    }
    match cameras() {
        Ok(cameras) if cameras.is_empty() => list
            .notes
            .push("no camera found: you can join with audio only".into()),
        Ok(cameras) => list.cameras = cameras,
        Err(e) => list.notes.push(e.to_string()),
    }
    list
}

/// The cameras present; an empty list when there are none.
pub fn cameras() -> Result<Vec<CameraDevice>, MediaError> {
    #[cfg(feature = "camera")]
    {
        super::camera::list()
    }
    #[cfg(not(feature = "camera"))]
    {
        Ok(Vec::new())
    }
}

fn find_device(input: bool, wanted: Option<&str>) -> Result<cpal::Device, MediaError> {
    let kind = if input { "microphone" } else { "speaker" };
    let host = cpal::default_host();
    let missing = |hint: &str| MediaError::NoDevice {
        kind,
        requested: wanted.map(str::to_string),
        hint: hint.to_string(),
    };
    match wanted {
        None => if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        }
        .ok_or_else(|| missing("the system has no default one (is a sound server running?)")),
        Some(wanted) => host
            .devices()
            .map_err(|e| missing(&e.to_string()))?
            .find(|d| {
                let id = d.id().map(|i| i.to_string()).unwrap_or_default();
                let name = d
                    .description()
                    .map(|n| n.name().to_string())
                    .unwrap_or_default();
                (id == wanted || name == wanted)
                    && if input {
                        d.supports_input()
                    } else {
                        d.supports_output()
                    }
            })
            .ok_or_else(|| missing("pick one from the device list")),
    }
}

/// A running device stream; dropping it stops the stream.
pub struct DeviceStream {
    stop: Option<std_mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub name: String,
    pub config: String,
}

impl Drop for DeviceStream {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Chooses f32 at 48 kHz (any channel count) if offered, else the device's
/// default; and a small fixed buffer if the device allows one.
fn choose_config(device: &cpal::Device, input: bool) -> Result<StreamConfig, String> {
    let ranges: Vec<_> = if input {
        device
            .supported_input_configs()
            .map_err(|e| e.to_string())?
            .collect()
    } else {
        device
            .supported_output_configs()
            .map_err(|e| e.to_string())?
            .collect()
    };
    let supported = ranges
        .into_iter()
        .filter(|r| r.sample_format() == SampleFormat::F32)
        .filter_map(|r| r.try_with_sample_rate(SAMPLE_RATE))
        .min_by_key(|c| c.channels())
        .ok_or("no 32-bit float format at 48 kHz")?;
    let buffer_size = match supported.buffer_size() {
        SupportedBufferSize::Range { min, max } => {
            BufferSize::Fixed(DEVICE_BUFFER_FRAMES.clamp(*min, *max))
        }
        SupportedBufferSize::Unknown => BufferSize::Fixed(DEVICE_BUFFER_FRAMES),
    };
    Ok(StreamConfig {
        channels: supported.channels(),
        sample_rate: SAMPLE_RATE,
        buffer_size,
    })
}

/// Starts a stream on its own thread and waits until it plays (or failed).
fn spawn_stream(
    input: bool,
    wanted: Option<&str>,
    build: impl FnOnce(&cpal::Device, &StreamConfig) -> Result<cpal::Stream, cpal::Error>
    + Send
    + 'static,
) -> Result<DeviceStream, MediaError> {
    let kind = if input { "microphone" } else { "speaker" };
    let device = find_device(input, wanted)?;
    let name = device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let failed = |reason: String| MediaError::Device {
        kind,
        name: name.clone(),
        reason,
    };
    let config = choose_config(&device, input).map_err(&failed)?;
    let described = format!("{:?}, {} ch", config.buffer_size, config.channels);
    let (ready_tx, ready_rx) = std_mpsc::channel::<Result<(), String>>();
    let (stop_tx, stop_rx) = std_mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("breakout-{kind}"))
        .spawn(move || {
            let stream = build(&device, &config).and_then(|s| s.play().map(|()| s));
            match stream {
                Ok(stream) => {
                    let _ = ready_tx.send(Ok(()));
                    // Returns when the handle is dropped.
                    let _ = stop_rx.recv();
                    drop(stream);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                }
            }
        })
        .map_err(|e| failed(e.to_string()))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(DeviceStream {
            stop: Some(stop_tx),
            thread: Some(thread),
            name,
            config: described,
        }),
        Ok(Err(reason)) => Err(failed(reason)),
        Err(_) => Err(failed("stream thread ended".into())),
    }
}

/// Captures a microphone: `on_frame` gets mono 20 ms frames (960 samples),
/// `on_error` a sentence when the device fails (unplugged).
pub fn capture(
    wanted: Option<&str>,
    mut on_frame: impl FnMut(Vec<f32>) + Send + 'static,
    mut on_error: impl FnMut(String) + Send + 'static,
) -> Result<DeviceStream, MediaError> {
    spawn_stream(true, wanted, move |device, config| {
        let channels = config.channels as usize;
        let mut pending = Vec::with_capacity(SAMPLES_PER_FRAME * 2);
        device.build_input_stream::<f32, _, _>(
            *config,
            move |data, _| {
                pending.extend(
                    data.chunks(channels)
                        .map(|c| c.iter().sum::<f32>() / channels as f32),
                );
                while pending.len() >= SAMPLES_PER_FRAME {
                    let rest = pending.split_off(SAMPLES_PER_FRAME);
                    on_frame(std::mem::replace(&mut pending, rest));
                }
            },
            move |e| report(e, &mut on_error),
            None,
        )
    })
}

/// Only a vanished device ends a stream; cpal recovers from the rest
/// (xruns, a sound server still settling) on its own, so those are logged.
fn report(error: cpal::Error, on_error: &mut impl FnMut(String)) {
    if error.kind() == cpal::ErrorKind::DeviceNotAvailable {
        on_error(error.to_string());
    } else {
        tracing::debug!(%error, "audio device hiccup");
    }
}

/// Where the mixer puts audio for the speaker; the device callback takes it.
#[derive(Clone, Default)]
pub struct PlayoutQueue {
    samples: Arc<Mutex<VecDeque<f32>>>,
}

impl PlayoutQueue {
    /// Queues one mixed frame; the oldest audio goes if the device lags.
    pub fn push(&self, frame: &[f32]) {
        let mut q = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        q.extend(frame.iter().copied());
        let excess = q.len().saturating_sub(PLAYOUT_QUEUE_MAX);
        q.drain(..excess);
    }

    /// Mono samples waiting for the device.
    pub fn queued(&self) -> usize {
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Fills `out` (interleaved, `channels` wide) with queued mono audio,
    /// silence when there is none.
    fn fill(&self, out: &mut [f32], channels: usize) {
        let mut q = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        for frame in out.chunks_mut(channels) {
            let s = q.pop_front().unwrap_or(0.0);
            frame.fill(s);
        }
    }
}

/// Plays whatever is pushed into the returned queue on a speaker.
pub fn playout(
    wanted: Option<&str>,
    mut on_error: impl FnMut(String) + Send + 'static,
) -> Result<(DeviceStream, PlayoutQueue), MediaError> {
    let queue = PlayoutQueue::default();
    let feed = queue.clone();
    let stream = spawn_stream(false, wanted, move |device, config| {
        let channels = config.channels as usize;
        device.build_output_stream::<f32, _, _>(
            *config,
            move |out, _| feed.fill(out, channels),
            move |e| report(e, &mut on_error),
            None,
        )
    })?;
    Ok((stream, queue))
}
