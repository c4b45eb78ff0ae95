//! VP8 through libvpx, tuned for live video.
//!
//! libvpx's defaults are for files: "good quality" deadline, lookahead and
//! cpu-used 0 take ~4× longer than real time allows here. A call wants the
//! realtime deadline, no lag, cpu-used -6 (what WebRTC uses on desktops),
//! CBR, and keyframes on demand (a new subscriber or a switch asks for one)
//! with a slow periodic one as a safety net. The target bitrate follows the
//! bandwidth estimate while the encoder runs, and frames carry their real
//! timing (a 90 kHz clock, as RTP's), so a lowered frame rate leaves each
//! frame more bits instead of undershooting.

use std::num::NonZero;
use std::time::Duration;

use vpx_rs::enc::CodecId as EncCodec;
use vpx_rs::enc::ctrl::{EncoderControlSet, Vp8ScreenContentMode};
use vpx_rs::{
    DecodedImageData, Decoder, DecoderConfig, Encoder, EncoderConfig, EncoderFrameFlags,
    EncodingDeadline, ImageFormat, Packet, RateControl, Timebase, YUVImageData,
};

use super::MediaError;
use super::frame::VideoFrame;

/// A keyframe at least this often even if nobody asks (frames).
const KEYFRAME_MAX_DISTANCE: u32 = 300;
/// Ticks per second of the encoder's timebase.
const CLOCK: u32 = 90_000;

/// One compressed frame, ready to packetize.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

pub struct Vp8Encoder {
    inner: Encoder<u8>,
    width: u32,
    height: u32,
    /// In ticks of [`CLOCK`].
    pts: i64,
    /// A frame's length at the nominal rate, in ticks.
    frame_ticks: u64,
    bitrate_kbps: u32,
}

impl Vp8Encoder {
    /// `bitrate_kbps` is the CBR target; `fps` the nominal frame rate
    /// ([`Vp8Encoder::encode`] assumes it, [`Vp8Encoder::encode_after`]
    /// says the real gap).
    pub fn new(width: u32, height: u32, fps: u32, bitrate_kbps: u32) -> Result<Self, MediaError> {
        let err = |e| MediaError::codec("vp8", e);
        // libvpx takes a clock this fast as "30 fps until the timestamps
        // say otherwise", then learns the rate from them.
        let timebase = Timebase {
            num: NonZero::new(1).expect("one"),
            den: NonZero::new(CLOCK).expect("positive"),
        };
        let mut config = EncoderConfig::<u8>::new(
            EncCodec::VP8,
            width,
            height,
            timebase,
            RateControl::ConstantBitRate(bitrate_kbps),
        )
        .map_err(err)?;
        config.lag_in_frames = 0;
        config.threads = 1;
        config.rc_dropframe_thresh = 0;
        // A one-second rate buffer, as WebRTC's own VP8 setup: a new target
        // (the bandwidth estimate moved) holds within a second instead of
        // the default six, and a burst above it stays short.
        config.rc_buf_sz = Duration::from_millis(1_000);
        config.rc_buf_initial_sz = Duration::from_millis(500);
        config.rc_buf_optimal_sz = Duration::from_millis(600);
        config.rc_undershoot_pct = 100;
        config.rc_overshoot_pct = 15;
        config.kf_mode = vpx_rs::enc::KeyFrameMode::Auto {
            min_dist: 0,
            max_dist: KEYFRAME_MAX_DISTANCE,
        };
        let mut inner = Encoder::new(config).map_err(err)?;
        inner
            .codec_control_set(EncoderControlSet::CpuUsed(-6))
            .map_err(err)?;
        // A keyframe at most 9 average frames big (WebRTC's figure for this
        // buffer): on a narrow uplink a bigger one would queue up behind
        // itself and delay the audio that shares the link.
        inner
            .codec_control_set(EncoderControlSet::MaxIntraBitratePct(900))
            .map_err(err)?;
        Ok(Vp8Encoder {
            inner,
            width,
            height,
            pts: 0,
            frame_ticks: u64::from(CLOCK / fps.clamp(1, CLOCK)),
            bitrate_kbps,
        })
    }

    /// An encoder for screen content (VP8's screen content mode: text and
    /// flat areas stay sharp, unchanged areas cost almost nothing).
    pub fn for_screen(
        width: u32,
        height: u32,
        fps: u32,
        bitrate_kbps: u32,
    ) -> Result<Self, MediaError> {
        let mut encoder = Self::new(width, height, fps, bitrate_kbps)?;
        encoder
            .inner
            .codec_control_set(EncoderControlSet::Vp8ScreenContentMode(
                Vp8ScreenContentMode::On,
            ))
            .map_err(|e| MediaError::codec("vp8", e))?;
        Ok(encoder)
    }

    /// The rate control's target now.
    pub fn bitrate_kbps(&self) -> u32 {
        self.bitrate_kbps
    }

    /// Changes the target from the next frame on, without a keyframe.
    pub fn set_bitrate(&mut self, kbps: u32) -> Result<(), MediaError> {
        if kbps != self.bitrate_kbps {
            self.inner
                .set_target_bitrate(kbps)
                .map_err(|e| MediaError::codec("vp8", e))?;
            self.bitrate_kbps = kbps;
        }
        Ok(())
    }

    /// Whether `frame` has the size this encoder was made for.
    pub fn fits(&self, frame: &VideoFrame) -> bool {
        frame.width == self.width && frame.height == self.height
    }

    /// Encodes one I420 frame of the configured size, one nominal frame
    /// after the last; `keyframe` forces one (answering a PLI).
    pub fn encode(
        &mut self,
        frame: &VideoFrame,
        keyframe: bool,
    ) -> Result<Vec<EncodedFrame>, MediaError> {
        self.encode_ticks(frame, keyframe, self.frame_ticks)
    }

    /// As [`Vp8Encoder::encode`], `gap` after the frame before.
    pub fn encode_after(
        &mut self,
        frame: &VideoFrame,
        keyframe: bool,
        gap: Duration,
    ) -> Result<Vec<EncodedFrame>, MediaError> {
        let ticks = (gap.as_secs_f64() * f64::from(CLOCK)).round() as u64;
        self.encode_ticks(frame, keyframe, ticks.max(1))
    }

    fn encode_ticks(
        &mut self,
        frame: &VideoFrame,
        keyframe: bool,
        ticks: u64,
    ) -> Result<Vec<EncodedFrame>, MediaError> {
        let err = |e| MediaError::codec("vp8", e);
        if frame.width != self.width || frame.height != self.height {
            return Err(MediaError::codec(
                "vp8",
                format!(
                    "frame is {}x{}, encoder is {}x{}",
                    frame.width, frame.height, self.width, self.height
                ),
            ));
        }
        let image = YUVImageData::<u8>::from_raw_data(
            ImageFormat::I420,
            frame.width as usize,
            frame.height as usize,
            &frame.i420,
        )
        .map_err(err)?;
        let flags = if keyframe {
            EncoderFrameFlags::FORCE_KF
        } else {
            EncoderFrameFlags::empty()
        };
        self.pts += ticks as i64;
        let packets = self
            .inner
            .encode(self.pts, ticks, image, EncodingDeadline::Realtime, flags)
            .map_err(err)?;
        Ok(packets
            .filter_map(|packet| match packet {
                Packet::CompressedFrame(f) => Some(EncodedFrame {
                    keyframe: f.flags.is_key,
                    data: f.data,
                }),
                _ => None,
            })
            .collect())
    }
}

pub struct Vp8Decoder {
    inner: Decoder,
}

impl Vp8Decoder {
    pub fn new() -> Result<Self, MediaError> {
        // Size 0×0: the decoder takes it from the first keyframe.
        let config = DecoderConfig::new(vpx_rs::dec::CodecId::VP8, 0, 0);
        let inner = Decoder::new(config).map_err(|e| MediaError::codec("vp8", e))?;
        Ok(Vp8Decoder { inner })
    }

    /// Decodes one complete VP8 frame.
    pub fn decode(&mut self, data: &[u8]) -> Result<Option<VideoFrame>, MediaError> {
        let keyframe = is_keyframe(data);
        let mut images = self
            .inner
            .decode(data)
            .map_err(|e| MediaError::codec("vp8", e))?;
        let Some(image) = images.next() else {
            return Ok(None);
        };
        let DecodedImageData::Data8b(yuv) = image.data() else {
            return Err(MediaError::codec("vp8", "high bit depth output"));
        };
        let (w, h) = (image.width() as usize, image.height() as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let planes = yuv.planes();
        let mut out = Vec::with_capacity(w * h + 2 * cw * ch);
        copy_plane(&mut out, planes.y, planes.y_stride(), w, h);
        match planes.uv {
            vpx_rs::image::UVImagePlanes::Separate(uv) => {
                copy_plane(&mut out, uv.u, uv.u_stride(), cw, ch);
                copy_plane(&mut out, uv.v, uv.v_stride(), cw, ch);
            }
            vpx_rs::image::UVImagePlanes::Interleaved(_) => {
                return Err(MediaError::codec("vp8", "interleaved chroma output"));
            }
        }
        Ok(Some(VideoFrame {
            width: w as u32,
            height: h as u32,
            i420: out.into(),
            keyframe,
        }))
    }
}

fn copy_plane(out: &mut Vec<u8>, plane: &[u8], stride: usize, width: usize, height: usize) {
    for row in 0..height {
        out.extend_from_slice(&plane[row * stride..row * stride + width]);
    }
}

/// Whether a VP8 frame (not an RTP payload) is a keyframe: bit 0 of the
/// frame tag is 0 (RFC 6386 §9.1).
pub fn is_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 1 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synthetic::{
        PATTERN_HEIGHT, PATTERN_WIDTH, PatternStamp, draw_pattern, read_pattern,
    };
    use breakout_protocol::ParticipantId;

    #[test]
    fn the_pattern_survives_vp8() {
        let mut encoder = Vp8Encoder::new(PATTERN_WIDTH, PATTERN_HEIGHT, 30, 400).unwrap();
        let mut decoder = Vp8Decoder::new().unwrap();
        let mut read = Vec::new();
        for counter in 0..10 {
            let stamp = PatternStamp {
                participant: ParticipantId(9),
                counter,
                captured_ms: 1_000 + counter as u64,
            };
            for encoded in encoder.encode(&draw_pattern(stamp), false).unwrap() {
                assert_eq!(encoded.keyframe, counter == 0);
                let frame = decoder.decode(&encoded.data).unwrap().expect("a picture");
                read.push(read_pattern(&frame).map(|s| s.counter));
            }
        }
        assert_eq!(read, (0..10).map(Some).collect::<Vec<_>>());
        let forced = encoder
            .encode(
                &draw_pattern(PatternStamp {
                    participant: ParticipantId(9),
                    counter: 10,
                    captured_ms: 0,
                }),
                true,
            )
            .unwrap();
        assert!(forced[0].keyframe);
    }

    /// Pictures of faint noise: every bit the rate control allows gets
    /// spent, so what comes out measures the target.
    fn noise(seed: &mut u32) -> VideoFrame {
        let len = (PATTERN_WIDTH * PATTERN_HEIGHT * 3 / 2) as usize;
        let pixels: Vec<u8> = (0..len)
            .map(|_| {
                *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                124 + (*seed >> 29) as u8
            })
            .collect();
        VideoFrame {
            width: PATTERN_WIDTH,
            height: PATTERN_HEIGHT,
            i420: pixels.into(),
            keyframe: false,
        }
    }

    /// kbit/s over `seconds` of frames `gap` apart, after a second to settle.
    fn measure(encoder: &mut Vp8Encoder, seed: &mut u32, gap: Duration, seconds: u32) -> f64 {
        let per_second = (Duration::from_secs(1).as_secs_f64() / gap.as_secs_f64()) as u32;
        let mut bytes = 0;
        for i in 0..per_second * (seconds + 1) {
            let out = encoder.encode_after(&noise(seed), false, gap).unwrap();
            if i >= per_second {
                bytes += out.iter().map(|f| f.data.len()).sum::<usize>();
            }
        }
        bytes as f64 * 8.0 / 1e3 / f64::from(seconds)
    }

    #[test]
    fn the_encoder_follows_a_new_target_at_any_frame_rate() {
        let mut seed = 7;
        let mut encoder = Vp8Encoder::new(PATTERN_WIDTH, PATTERN_HEIGHT, 30, 800).unwrap();
        let gap = Duration::from_secs(1) / 30;
        let high = measure(&mut encoder, &mut seed, gap, 2);
        encoder.set_bitrate(200).unwrap();
        assert_eq!(encoder.bitrate_kbps(), 200);
        let low = measure(&mut encoder, &mut seed, gap, 2);
        assert!((high - 800.0).abs() < 800.0 * 0.35, "{high} kbit/s at 800");
        assert!((low - 200.0).abs() < 200.0 * 0.35, "{low} kbit/s at 200");
        // Half the frames, same target: each frame gets twice the bits.
        let slow = measure(&mut encoder, &mut seed, gap * 2, 2);
        assert!(
            (slow - 200.0).abs() < 200.0 * 0.35,
            "{slow} kbit/s at 15 fps"
        );
    }
}
