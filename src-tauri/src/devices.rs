//! Which microphones, speakers and cameras this computer has, as the media
//! stack will see them: audio through cpal (the library the media engine
//! captures with), cameras through Video4Linux's sysfs entries (what nokhwa
//! enumerates on Linux), read directly to avoid building a camera stack just
//! to list names. Nothing is invented: no device, empty list. Blocking; call
//! it off the async runtime.

use cpal::traits::{DeviceTrait, HostTrait};
use tracing::warn;

use crate::ipc::{Device, DeviceKind, Devices};

pub fn list() -> Devices {
    let (microphones, speakers) = audio();
    Devices {
        microphones,
        cameras: cameras(),
        speakers,
    }
}

/// Whether `id` is a device of `kind` on this computer now.
pub fn exists(devices: &Devices, kind: DeviceKind, id: &str) -> bool {
    let list = match kind {
        DeviceKind::Microphone => &devices.microphones,
        DeviceKind::Camera => &devices.cameras,
        DeviceKind::Speaker => &devices.speakers,
    };
    list.iter().any(|d| d.id == id)
}

fn audio() -> (Vec<Device>, Vec<Device>) {
    let host = cpal::default_host();
    let id_of = |d: &cpal::Device| d.id().ok().map(|id| id.to_string());
    let default_in = host.default_input_device().as_ref().and_then(id_of);
    let default_out = host.default_output_device().as_ref().and_then(id_of);
    let describe = |devices: Result<_, cpal::Error>, default: &Option<String>, what: &str| {
        let devices: Box<dyn Iterator<Item = cpal::Device>> = match devices {
            Ok(devices) => Box::new(devices),
            Err(error) => {
                warn!(%error, "cannot list audio {what}");
                Box::new(std::iter::empty())
            }
        };
        devices
            .filter_map(|d| {
                let id = id_of(&d)?;
                let label = d
                    .description()
                    .map(|desc| desc.name().to_string())
                    .unwrap_or_else(|_| d.to_string());
                Some(Device {
                    default: default.as_deref() == Some(id.as_str()),
                    id,
                    label,
                })
            })
            .collect::<Vec<_>>()
    };
    let inputs = describe(host.input_devices(), &default_in, "inputs");
    let outputs = describe(host.output_devices(), &default_out, "outputs");
    (inputs, outputs)
}

/// `/sys/class/video4linux/videoN/name` for every capture node.
fn cameras() -> Vec<Device> {
    let Ok(entries) = std::fs::read_dir("/sys/class/video4linux") else {
        return Vec::new();
    };
    let mut cameras: Vec<Device> = entries
        .flatten()
        .filter_map(|entry| {
            let node = entry.file_name().to_string_lossy().into_owned();
            let name = std::fs::read_to_string(entry.path().join("name")).ok()?;
            Some(Device {
                id: format!("/dev/{node}"),
                label: name.trim().to_string(),
                default: false,
            })
        })
        .collect();
    cameras.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(first) = cameras.first_mut() {
        first.default = true;
    }
    cameras
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_never_fails_and_invents_nothing() {
        let devices = list();
        for d in devices
            .microphones
            .iter()
            .chain(&devices.speakers)
            .chain(&devices.cameras)
        {
            assert!(!d.id.is_empty() && !d.label.is_empty(), "{d:?}");
        }
        for list in [&devices.microphones, &devices.speakers, &devices.cameras] {
            assert!(list.iter().filter(|d| d.default).count() <= 1);
        }
        assert!(!exists(&devices, DeviceKind::Camera, "/dev/no-such-camera"));
    }
}
