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
