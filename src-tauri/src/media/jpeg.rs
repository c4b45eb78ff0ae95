//! A decoded I420 picture → a JPEG at tile size, the form the webview
//! decodes natively (`createImageBitmap`). Why JPEG: a 320×240 picture is
//! ~10 KB instead of 300 KB of RGBA, encoding it costs about a millisecond,
//! and no colour conversion is needed: the decoder's YUV goes straight into
//! the encoder's YCbCr (only the range changes, video's 16–235 to JPEG's
//! 0–255).

use breakout_client::media::VideoFrame;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// Good enough for a tile, a third smaller than the usual 85.
pub const QUALITY: u8 = 70;

/// The size `frame` is served at for a `max_w`×`max_h` tile: just large
/// enough to cover it (tiles crop, like `object-fit: cover`), aspect kept,
/// never enlarged, even sides (the encoder subsamples chroma 2×2).
pub fn fit(width: u32, height: u32, max_w: u32, max_h: u32) -> (u32, u32) {
    let scale = (max_w as f64 / width as f64)
        .max(max_h as f64 / height as f64)
        .min(1.0);
    let even = |v: f64| ((v.round() as u32) & !1).max(2);
    (even(width as f64 * scale), even(height as f64 * scale))
}

/// Encodes `frame` scaled to cover `max_w`×`max_h` ([`fit`]). `None` when the frame is
/// malformed (its buffer shorter than its size says).
pub fn encode(frame: &VideoFrame, max_w: u32, max_h: u32) -> Option<Vec<u8>> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    if w == 0 || h == 0 || frame.i420.len() < w * h + 2 * cw * ch {
        return None;
    }
    let (ow, oh) = fit(frame.width, frame.height, max_w.max(2), max_h.max(2));
    let ycbcr = scale_to_ycbcr(frame, ow as usize, oh as usize);
    let mut out = Vec::with_capacity(ycbcr.len() / 10);
    let mut encoder = Encoder::new(&mut out, QUALITY);
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder
        .encode(&ycbcr, ow as u16, oh as u16, ColorType::Ycbcr)
        .ok()?;
    Some(out)
}

/// Interleaved full-range YCbCr at `ow`×`oh`: each output pixel takes the
/// source pixel under its centre, averaged over 2×2 when shrinking by more
/// than half (cheap, and enough against aliasing on a tile).
fn scale_to_ycbcr(frame: &VideoFrame, ow: usize, oh: usize) -> Vec<u8> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let cw = w.div_ceil(2);
    let (y_plane, chroma) = frame.i420.split_at(w * h);
    let (u_plane, v_plane) = chroma.split_at(cw * h.div_ceil(2));
    let luma = range_table(16.0, 219.0, 0.0);
    let chrome = range_table(128.0, 224.0, 128.0);
    let average = ow * 2 <= w && oh * 2 <= h;
    let xs: Vec<usize> = (0..ow).map(|x| ((2 * x + 1) * w) / (2 * ow)).collect();
    let mut out = Vec::with_capacity(ow * oh * 3);
    for oy in 0..oh {
        let sy = ((2 * oy + 1) * h) / (2 * oh);
        let row = &y_plane[sy * w..(sy + 1) * w];
        let next = &y_plane[(sy + 1).min(h - 1) * w..][..w];
        let crow = (sy / 2) * cw;
        for &sx in &xs {
            let y = if average {
                let sx1 = (sx + 1).min(w - 1);
                ((row[sx] as u16 + row[sx1] as u16 + next[sx] as u16 + next[sx1] as u16 + 2) / 4)
                    as u8
            } else {
                row[sx]
            };
            let c = crow + sx / 2;
            out.extend_from_slice(&[
                luma[y as usize],
                chrome[u_plane[c] as usize],
                chrome[v_plane[c] as usize],
            ]);
        }
    }
    out
}

/// Maps video range (`offset` ± `span`) to JPEG's full 0–255.
fn range_table(offset: f32, span: f32, centre: f32) -> [u8; 256] {
    let mut table = [0u8; 256];
    for (v, out) in table.iter_mut().enumerate() {
        *out = ((v as f32 - offset) * 255.0 / span + centre)
            .round()
            .clamp(0.0, 255.0) as u8;
    }
    table
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A grey picture with a white left half.
    fn picture(w: u32, h: u32) -> VideoFrame {
        let (wu, hu) = (w as usize, h as usize);
        let mut i420 = vec![128u8; wu * hu + 2 * wu.div_ceil(2) * hu.div_ceil(2)];
        for row in 0..hu {
            for col in 0..wu / 2 {
                i420[row * wu + col] = 235;
            }
        }
        VideoFrame {
            width: w,
            height: h,
            i420: Arc::from(i420),
            keyframe: true,
        }
    }

    #[test]
    fn fitting_covers_the_tile_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit(320, 240, 160, 90), (160, 120));
        assert_eq!(fit(320, 240, 160, 160), (212, 160));
        assert_eq!(fit(320, 240, 1920, 1080), (320, 240));
        assert_eq!(fit(1280, 720, 427, 240), (426, 240));
        assert_eq!(fit(3, 3, 1, 1), (2, 2));
    }

    #[test]
    fn a_frame_becomes_a_jpeg_of_the_fitted_size() {
        let jpeg = encode(&picture(320, 240), 160, 90).expect("encoded");
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "JPEG start of image");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "end of image");
        // The SOF0 segment carries height then width.
        let sof = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("SOF0");
        let dims = &jpeg[sof + 5..sof + 9];
        assert_eq!(u16::from_be_bytes([dims[0], dims[1]]), 120);
        assert_eq!(u16::from_be_bytes([dims[2], dims[3]]), 160);
        assert!(jpeg.len() < 160 * 120, "compressed: {} bytes", jpeg.len());
    }

    #[test]
    fn video_range_becomes_full_range() {
        let frame = picture(64, 48);
        let ycbcr = scale_to_ycbcr(&frame, 64, 48);
        assert_eq!(ycbcr[0], 255, "video white 235 is JPEG white");
        let right = (64 - 1) * 3;
        assert_eq!(ycbcr[right + 1], 128, "neutral chroma stays neutral");
    }

    #[test]
    fn a_short_buffer_is_refused() {
        let mut frame = picture(32, 32);
        frame.i420 = Arc::from(vec![0u8; 10]);
        assert!(encode(&frame, 32, 32).is_none());
    }
}
