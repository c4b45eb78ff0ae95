//! Recordings read back the way a player reads them, with ffprobe and
//! ffmpeg (installed by `scripts/setup.sh`). Shared by the recorder's unit
//! tests, the client's recording tests and the end-to-end kill test,
//! each of which includes this file by path.

#![allow(dead_code, reason = "each test uses its part")]

use std::f64::consts::TAU;
use std::path::Path;
use std::process::Command;

/// What recordings are decoded to: 48 kHz mono.
pub const RATE: usize = 48_000;

fn tool(name: &str) -> Command {
    let found = Command::new(name).arg("-version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "{name} is missing: run scripts/setup.sh (it installs ffmpeg)"
    );
    Command::new(name)
}

/// What `command` prints; it must succeed.
fn stdout_of(mut command: Command) -> Vec<u8> {
    let out = command.output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// What ffmpeg, quiet but for errors, prints for `input` with the options
/// `before` and `after` it.
pub fn ffmpeg(before: &[&str], input: impl AsRef<std::ffi::OsStr>, after: &[&str]) -> Vec<u8> {
    let mut command = tool("ffmpeg");
    command.args(["-v", "error"]).args(before);
    command.arg("-i").arg(input).args(after);
    stdout_of(command)
}

/// One ffprobe entry of `path`, e.g. `stream=codec_name`.
pub fn probe(path: &Path, entries: &str) -> String {
    let mut command = tool("ffprobe");
    command
        .args(["-v", "error", "-show_entries", entries, "-of"])
        .args(["default=nw=1:nk=1"])
        .arg(path);
    String::from_utf8_lossy(&stdout_of(command))
        .trim()
        .to_owned()
}

/// The file decoded to 48 kHz mono samples; ffmpeg must read it to its end
/// without an error.
pub fn decode(path: &Path) -> Vec<i16> {
    ffmpeg(
        &["-xerror"],
        path,
        &["-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
    )
    .chunks_exact(2)
    .map(|b| i16::from_le_bytes([b[0], b[1]]))
    .collect()
}

/// Power of `hz` in `pcm` relative to its total power (Goertzel), in 0..=1.
pub fn share(pcm: &[i16], hz: f64) -> f64 {
    let coeff = 2.0 * (TAU * hz / RATE as f64).cos();
    let (mut s1, mut s2, mut total) = (0.0, 0.0, 0.0);
    for &x in pcm {
        let x = f64::from(x);
        total += x * x;
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    if total == 0.0 {
        return 0.0;
    }
    2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (pcm.len() as f64 * total)
}

/// The video track's frames as written, in order, with their times in ms
/// (copied out of the WebM by ffmpeg, not decoded).
pub fn video_frames(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let ivf = ffmpeg(&[], path, &["-map", "0:v", "-c", "copy", "-f", "ivf", "-"]);
    ivf_frames(&ivf)
        .into_iter()
        .map(|(pts, frame)| (pts, frame.to_vec()))
        .collect()
}

/// The frames of an IVF stream with their timestamps (in the stream's
/// time base, which ffmpeg sets to ms for a WebM source).
pub fn ivf_frames(ivf: &[u8]) -> Vec<(u64, &[u8])> {
    let header_len = usize::from(u16::from_le_bytes([ivf[6], ivf[7]]));
    let mut rest = &ivf[header_len..];
    let mut frames = Vec::new();
    while rest.len() >= 12 {
        let size = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        let pts = u64::from_le_bytes(rest[4..12].try_into().unwrap());
        frames.push((pts, &rest[12..12 + size]));
        rest = &rest[12 + size..];
    }
    frames
}

/// The video decoded at `fps` pictures a second, each reduced to its mean
/// red, green and blue.
pub fn mean_colours(path: &Path, fps: u32) -> Vec<[u8; 3]> {
    const SIDE: usize = 16;
    let filter = format!("fps={fps},scale={SIDE}:{SIDE}");
    ffmpeg(
        &[],
        path,
        &[
            "-map", "0:v", "-vf", &filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        ],
    )
    .chunks_exact(SIDE * SIDE * 3)
    .map(|picture| {
        let mut sum = [0usize; 3];
        for pixel in picture.chunks_exact(3) {
            for (s, c) in sum.iter_mut().zip(pixel) {
                *s += usize::from(*c);
            }
        }
        sum.map(|s| (s / (SIDE * SIDE)) as u8)
    })
    .collect()
}
