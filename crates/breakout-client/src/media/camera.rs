//! Cameras through nokhwa (V4L2 on Linux). With no camera, `query` answers
//! an empty list: that is a normal state, reported as such by the caller.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use nokhwa::Camera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};

use super::MediaError;
use super::device_info::CameraDevice;
use super::frame::VideoFrame;

pub fn list() -> Result<Vec<CameraDevice>, MediaError> {
    let found = nokhwa::query(ApiBackend::Auto).map_err(|e| MediaError::Device {
        kind: "camera",
        name: "any".into(),
        reason: format!("cameras could not be listed: {e}"),
    })?;
    Ok(found
        .into_iter()
        .filter_map(|info| {
            Some(CameraDevice {
                index: info.index().as_index().ok()?,
                name: info.human_name(),
            })
        })
        .collect())
}

/// A running camera; dropping it stops capture.
pub struct CameraStream {
    running: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub name: String,
    pub width: u32,
    pub height: u32,
}

impl Drop for CameraStream {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens camera `index` (the first one if `None`) near 640×480 at 30 fps
/// and hands each frame, as even-sized I420, to `on_frame`. `on_error` gets
/// a sentence if the camera stops (unplugged); capture then ends.
pub fn open(
    index: Option<u32>,
    mut on_frame: impl FnMut(VideoFrame) + Send + 'static,
    mut on_error: impl FnMut(String) + Send + 'static,
) -> Result<CameraStream, MediaError> {
    let cameras = list()?;
    let chosen = match index {
        Some(i) => cameras.iter().find(|c| c.index == i),
        None => cameras.first(),
    }
    .cloned()
    .ok_or_else(|| MediaError::NoDevice {
        kind: "camera",
        requested: index.map(|i| i.to_string()),
        hint: if cameras.is_empty() {
            "none is connected".into()
        } else {
            format!("{} other camera(s) are connected", cameras.len())
        },
    })?;
    let failed = |reason: String| MediaError::Device {
        kind: "camera",
        name: chosen.name.clone(),
        reason,
    };
    let wanted = CameraFormat::new_from(640, 480, FrameFormat::YUYV, 30);
    let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let running = Arc::new(AtomicBool::new(true));
    let keep_going = running.clone();
    let camera_index = chosen.index;
    let thread = std::thread::Builder::new()
        .name("breakout-camera".into())
        .spawn(move || {
            let opened = Camera::new(CameraIndex::Index(camera_index), format)
                .and_then(|mut c| c.open_stream().map(|()| c));
            let mut camera = match opened {
                Ok(camera) => {
                    let r = camera.resolution();
                    let _ = ready_tx.send(Ok((r.width(), r.height())));
                    camera
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            while keep_going.load(Ordering::Relaxed) {
                let rgb = camera
                    .frame()
                    .and_then(|buffer| buffer.decode_image::<RgbFormat>());
                match rgb {
                    Ok(image) => on_frame(rgb_to_i420(image.width(), image.height(), &image)),
                    Err(e) => {
                        on_error(format!("camera stopped: {e}"));
                        break;
                    }
                }
            }
            let _ = camera.stop_stream();
        })
        .map_err(|e| failed(e.to_string()))?;
    match ready_rx.recv() {
        Ok(Ok((width, height))) => Ok(CameraStream {
            running,
            thread: Some(thread),
            name: chosen.name,
            width: width & !1,
            height: height & !1,
        }),
        Ok(Err(reason)) => Err(failed(reason)),
        Err(_) => Err(failed("camera thread ended".into())),
    }
}

/// RGB24 → I420 (BT.601 limited range), cropped to even dimensions.
pub fn rgb_to_i420(width: u32, height: u32, rgb: &[u8]) -> VideoFrame {
    VideoFrame::from_rgb(width, height, 3, rgb)
}
