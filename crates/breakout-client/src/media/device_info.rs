//! What a device picker shows: plain data, shared by the listing in
//! `devices` and the camera backend it asks.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AudioDevice {
    /// Stable id to select it with (cpal's device id).
    pub id: String,
    pub name: String,
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CameraDevice {
    pub index: u32,
    pub name: String,
}

/// Everything a device picker shows. Never an error: a backend that cannot
/// list is reported in `notes`, and an empty list is a normal answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeviceList {
    pub microphones: Vec<AudioDevice>,
    pub speakers: Vec<AudioDevice>,
    pub cameras: Vec<CameraDevice>,
    /// Sentences for the person ("no camera found", "audio unavailable: …").
    pub notes: Vec<String>,
}
