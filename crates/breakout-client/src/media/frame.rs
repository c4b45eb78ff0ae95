//! Decoded media as it leaves the pipeline.

use std::sync::Arc;

/// One decoded picture, I420 (Y plane, then U, then V; no padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFrame {
    pub width: u32,
    pub height: u32,
    /// Shared so a renderer and an analyser can hold the same frame.
    pub i420: Arc<[u8]>,
    /// Whether the frame came from a keyframe (decoding can start here).
    pub keyframe: bool,
}

impl VideoFrame {
    /// The picture as RGBA (BT.601 limited range), for a renderer.
    pub fn to_rgba(&self) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let (y_plane, chroma) = self.i420.split_at(w * h);
        let cw = w.div_ceil(2);
        let (u_plane, v_plane) = chroma.split_at(cw * h.div_ceil(2));
        let mut out = Vec::with_capacity(w * h * 4);
        for row in 0..h {
            for col in 0..w {
                let y = (y_plane[row * w + col] as f32 - 16.0) * 1.164;
                let c = (row / 2) * cw + col / 2;
                let u = u_plane[c] as f32 - 128.0;
                let v = v_plane[c] as f32 - 128.0;
                let clamp = |x: f32| x.clamp(0.0, 255.0) as u8;
                out.extend([
                    clamp(y + 1.596 * v),
                    clamp(y - 0.392 * u - 0.813 * v),
                    clamp(y + 2.017 * u),
                    255,
                ]);
            }
        }
        out
    }

    /// Packed RGB pixels (`channels` bytes each, red first: 3 for RGB24,
    /// 4 for RGBA) as I420 (BT.601 limited range), cropped to even
    /// dimensions.
    pub fn from_rgb(width: u32, height: u32, channels: usize, rgb: &[u8]) -> VideoFrame {
        let (w, h) = ((width & !1) as usize, (height & !1) as usize);
        let stride = width as usize * channels;
        let mut out = vec![0u8; w * h * 3 / 2];
        let (y_plane, chroma) = out.split_at_mut(w * h);
        let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
        for row in 0..h {
            let line = &rgb[row * stride..][..w * channels];
            for (col, p) in line.chunks_exact(channels).enumerate() {
                let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
                y_plane[row * w + col] = (16.0 + 0.257 * r + 0.504 * g + 0.098 * b) as u8;
                if row % 2 == 0 && col % 2 == 0 {
                    let c = (row / 2) * (w / 2) + col / 2;
                    u_plane[c] = (128.0 - 0.148 * r - 0.291 * g + 0.439 * b) as u8;
                    v_plane[c] = (128.0 + 0.439 * r - 0.368 * g - 0.071 * b) as u8;
                }
            }
        }
        VideoFrame {
            width: w as u32,
            height: h as u32,
            i420: out.into(),
            keyframe: false,
        }
    }

    /// Mean luma: a cheap "is there a picture at all" check.
    pub fn mean_luma(&self) -> f32 {
        let n = (self.width * self.height) as usize;
        let y = &self.i420[..n.min(self.i420.len())];
        y.iter().map(|&v| v as f32).sum::<f32>() / y.len().max(1) as f32
    }
}

/// Twenty milliseconds of decoded audio from one slot, as played out.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    /// 960 mono samples at 48 kHz.
    pub samples: Arc<[f32]>,
    /// Whether the frame was rebuilt (FEC) or invented (concealment)
    /// instead of decoded from its own packet.
    pub repaired: bool,
}
