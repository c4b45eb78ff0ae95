//! Shrinking a picture before the encoder when the uplink cannot carry its
//! full size: a box filter is enough for a factor of 2 or 4 and costs less
//! than the encoder saves.

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
    }
}
