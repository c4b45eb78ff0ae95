//! Which microphones, speakers and cameras this computer has, as the media
//! engine (breakout-client's `media`) sees them: cpal for audio, nokhwa for
//! cameras. Nothing is invented: no device, empty list, and the engine's
//! sentences saying why ("no camera found: …") ride along as `notes`.
//! Blocking (ALSA probes every card); call it off the async runtime.

use breakout_client::media::{self, DeviceList};

use crate::ipc::{Device, DeviceKind, Devices};

pub fn list() -> Devices {
    from_engine(media::devices::list())
}

/// Whether `id` is a device of `kind` in `devices`.
pub fn exists(devices: &Devices, kind: DeviceKind, id: &str) -> bool {
    let list = match kind {
        DeviceKind::Microphone => &devices.microphones,
        DeviceKind::Camera => &devices.cameras,
        DeviceKind::Speaker => &devices.speakers,
    };
    list.iter().any(|d| d.id == id)
}

/// The engine's list in the IPC contract's shape. Cameras are chosen by
/// index there, so their id is the index; the first one is the default.
fn from_engine(list: DeviceList) -> Devices {
    let audio = |devices: Vec<media::AudioDevice>| {
        devices
            .into_iter()
            .map(|d| Device {
                id: d.id,
                label: d.name,
                default: d.default,
            })
            .collect()
    };
    Devices {
        microphones: audio(list.microphones),
        speakers: audio(list.speakers),
        cameras: list
            .cameras
            .into_iter()
            .enumerate()
            .map(|(i, c)| Device {
                id: c.index.to_string(),
                label: c.name,
                default: i == 0,
            })
            .collect(),
        notes: list.notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engines_list_keeps_ids_defaults_and_reasons() {
        let engine = DeviceList {
            microphones: vec![media::AudioDevice {
                id: "alsa:default".into(),
                name: "Default".into(),
                default: true,
            }],
            speakers: vec![],
            cameras: vec![media::CameraDevice {
                index: 2,
                name: "USB camera".into(),
            }],
            notes: vec!["no speaker found: you will not hear others".into()],
        };
        let devices = from_engine(engine);
        assert!(exists(&devices, DeviceKind::Microphone, "alsa:default"));
        assert!(exists(&devices, DeviceKind::Camera, "2"));
        assert!(!exists(&devices, DeviceKind::Speaker, "alsa:default"));
        assert!(devices.cameras[0].default && devices.microphones[0].default);
        assert_eq!(devices.notes.len(), 1);
    }

    #[test]
    fn listing_the_real_machine_never_fails() {
        let devices = list();
        for d in devices.microphones.iter().chain(&devices.speakers) {
            assert!(!d.id.is_empty(), "{d:?}");
        }
    }
}
