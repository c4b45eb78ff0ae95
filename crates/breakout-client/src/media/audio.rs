//! Opus at 48 kHz mono, 20 ms frames, in-band FEC on, sized to the loss
//! the SFU reports on the way up, at a bitrate that leaves the camera its
//! floor on a narrow uplink.

use opus::{Application, Bitrate, Channels};

use super::MediaError;

/// The one sample rate of the pipeline (Opus's native one: no resampling
/// inside the codec).
pub const SAMPLE_RATE: u32 = 48_000;
/// 20 ms at 48 kHz: one Opus frame, one RTP packet, one jitter-buffer slot.
pub const SAMPLES_PER_FRAME: usize = 960;
/// Largest Opus packet we produce (RFC 6716 allows 1275 per frame).
const MAX_PACKET: usize = 1500;

/// The loss expected before any report: a lost packet stays recoverable
/// from the next one at modest cost.
pub const INITIAL_LOSS_PERCENT: u8 = 10;
/// Never expect less: loss comes in bursts and reports a second late, and
/// a little FEC keeps the first loss of a burst recoverable.
const MIN_LOSS_PERCENT: f32 = 2.0;
/// Never expect more: Opus stops scaling its FEC at 25 %.
const MAX_LOSS_PERCENT: f32 = 25.0;
/// Smoothing of the reports (one a second or so): loss that rises is
/// followed quickly, loss that falls slowly.
const RISE: f32 = 0.5;
const FALL: f32 = 0.2;

/// Opus's bitrate with room to spare: speech is as good as it gets.
pub const FULL_VOICE_BPS: u32 = 32_000;
/// The least: wideband speech stays clear at 16 kbit/s.
const MIN_VOICE_BPS: u32 = 16_000;
/// What 50 packets a second cost besides Opus itself: IP, UDP, RTP with
/// its header extensions, and the SRTP tag.
const VOICE_HEADERS_BPS: u64 = 24_000;
/// What the camera's floor takes on the wire, headers included.
const CAMERA_FLOOR_BPS: u64 = 40_000;

/// The Opus bitrate for an uplink estimate of `estimate_bps`: full speech
/// while the estimate holds it and the camera's floor, less when it does
/// not (the camera gives up everything else first; see `ladder`). Without
/// this, a sender at its floors on a 120 kbit/s uplink offers more than
/// its own estimate, and the queue drops whole keyframes and voice alike.
pub fn voice_bitrate(estimate_bps: u64, camera_on: bool) -> u32 {
    let camera = if camera_on { CAMERA_FLOOR_BPS } else { 0 };
    let left = estimate_bps.saturating_sub(camera + VOICE_HEADERS_BPS);
    // Whole 4 kbit/s steps: the estimate wobbles, the encoder need not.
    let stepped = left / 4_000 * 4_000;
    u32::try_from(stepped)
        .unwrap_or(u32::MAX)
        .clamp(MIN_VOICE_BPS, FULL_VOICE_BPS)
}

/// Voice encoder tuned for a call.
pub struct OpusEncoder {
    inner: opus::Encoder,
    loss_percent: u8,
    bitrate: u32,
}

impl OpusEncoder {
    pub fn new() -> Result<Self, MediaError> {
        let mut inner = opus::Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip)
            .map_err(|e| MediaError::codec("opus", e))?;
        let setup = |e: &mut opus::Encoder| -> Result<(), opus::Error> {
            e.set_bitrate(Bitrate::Bits(FULL_VOICE_BPS as i32))?;
            // FEC is only spent when the encoder expects loss.
            e.set_inband_fec(true)?;
            e.set_packet_loss_perc(INITIAL_LOSS_PERCENT.into())?;
            e.set_complexity(5)
        };
        setup(&mut inner).map_err(|e| MediaError::codec("opus", e))?;
        Ok(OpusEncoder {
            inner,
            loss_percent: INITIAL_LOSS_PERCENT,
            bitrate: FULL_VOICE_BPS,
        })
    }

    /// Aims the encoder at `bps` from the next frame on (seamless: Opus
    /// changes its rate between any two frames).
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), MediaError> {
        if bps != self.bitrate {
            let bits = i32::try_from(bps).unwrap_or(i32::MAX);
            self.inner
                .set_bitrate(Bitrate::Bits(bits))
                .map_err(|e| MediaError::codec("opus", e))?;
            self.bitrate = bps;
        }
        Ok(())
    }

    pub fn bitrate(&self) -> u32 {
        self.bitrate
    }

    /// The share of packets (percent) expected to be lost: the more, the
    /// more of each packet goes to a copy of the one before.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<(), MediaError> {
        if percent != self.loss_percent {
            self.inner
                .set_packet_loss_perc(percent.into())
                .map_err(|e| MediaError::codec("opus", e))?;
            self.loss_percent = percent;
        }
        Ok(())
    }

    pub fn expected_loss(&self) -> u8 {
        self.loss_percent
    }

    /// Encodes exactly one 20 ms frame ([`SAMPLES_PER_FRAME`] samples).
    pub fn encode(&mut self, pcm: &[f32]) -> Result<Vec<u8>, MediaError> {
        debug_assert_eq!(pcm.len(), SAMPLES_PER_FRAME);
        self.inner
            .encode_vec_float(pcm, MAX_PACKET)
            .map_err(|e| MediaError::codec("opus", e))
    }
}

/// Decoder with the three ways a frame can come out: the packet itself, the
/// FEC copy carried by the next packet, or concealment.
pub struct OpusDecoder {
    inner: opus::Decoder,
}

impl OpusDecoder {
    pub fn new() -> Result<Self, MediaError> {
        let inner = opus::Decoder::new(SAMPLE_RATE, Channels::Mono)
            .map_err(|e| MediaError::codec("opus", e))?;
        Ok(OpusDecoder { inner })
    }

    /// Decodes one received packet into a 20 ms frame.
    pub fn decode(&mut self, packet: &[u8]) -> Result<Vec<f32>, MediaError> {
        self.run(packet, false)
    }

    /// Rebuilds a lost frame from the FEC data in the packet that follows it.
    pub fn recover(&mut self, next_packet: &[u8]) -> Result<Vec<f32>, MediaError> {
        self.run(next_packet, true)
    }

    /// Invents a plausible frame for a loss nothing can repair.
    pub fn conceal(&mut self) -> Result<Vec<f32>, MediaError> {
        self.run(&[], false)
    }

    fn run(&mut self, packet: &[u8], fec: bool) -> Result<Vec<f32>, MediaError> {
        let mut out = vec![0.0; SAMPLES_PER_FRAME];
        let n = self
            .inner
            .decode_float(packet, &mut out, fec)
            .map_err(|e| MediaError::codec("opus", e))?;
        out.truncate(n);
        out.resize(SAMPLES_PER_FRAME, 0.0);
        Ok(out)
    }
}

/// The loss the mic's encoder should expect, from the receiver reports the
/// SFU sends about the mic's stream. Pure: reports in, a percentage out.
#[derive(Debug, Clone)]
pub struct ExpectedLoss {
    percent: f32,
}

impl Default for ExpectedLoss {
    fn default() -> Self {
        ExpectedLoss {
            percent: INITIAL_LOSS_PERCENT.into(),
        }
    }
}

impl ExpectedLoss {
    /// Takes in a report's fraction lost (RFC 3550: lost since the last
    /// report, in 256ths).
    pub fn report(&mut self, fraction_lost: u8) {
        let reported = f32::from(fraction_lost) * 100.0 / 256.0;
        let gain = if reported > self.percent { RISE } else { FALL };
        self.percent += gain * (reported - self.percent);
    }

    /// What to tell the encoder.
    pub fn percent(&self) -> u8 {
        self.percent
            .clamp(MIN_LOSS_PERCENT, MAX_LOSS_PERCENT)
            .round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synthetic::{Tone, dominant_frequency};

    #[test]
    fn a_tone_survives_the_codec_and_fec_recovers_a_loss() {
        let mut tone = Tone::new(1_000.0);
        let mut encoder = OpusEncoder::new().unwrap();
        let mut decoder = OpusDecoder::new().unwrap();
        let packets: Vec<Vec<u8>> = (0..20)
            .map(|_| encoder.encode(&tone.next_frame()).unwrap())
            .collect();
        let mut last = Vec::new();
        for packet in &packets[..15] {
            last = decoder.decode(packet).unwrap();
        }
        assert_eq!(dominant_frequency(&last), Some(1_000.0));
        // Packet 15 is lost: rebuild it from 16's FEC copy.
        let recovered = decoder.recover(&packets[16]).unwrap();
        assert_eq!(recovered.len(), SAMPLES_PER_FRAME);
        assert_eq!(dominant_frequency(&recovered), Some(1_000.0));
        let concealed = decoder.conceal().unwrap();
        assert_eq!(concealed.len(), SAMPLES_PER_FRAME);
    }

    #[test]
    fn voice_gives_way_only_when_the_uplink_cannot_hold_it_and_the_camera_floor() {
        // Plenty, or the 300 kbit/s an estimator starts from: full speech.
        assert_eq!(voice_bitrate(300_000, true), FULL_VOICE_BPS);
        assert_eq!(voice_bitrate(96_000, true), FULL_VOICE_BPS);
        // At the estimator's 80 kbit/s floor with the camera on: the least.
        assert_eq!(voice_bitrate(80_000, true), MIN_VOICE_BPS);
        // In between, whole steps.
        assert_eq!(voice_bitrate(87_000, true), 20_000);
        // Without the camera the voice has the uplink to itself.
        assert_eq!(voice_bitrate(56_000, false), FULL_VOICE_BPS);
        assert_eq!(voice_bitrate(0, false), MIN_VOICE_BPS);
    }

    #[test]
    fn a_lower_bitrate_makes_smaller_packets_that_still_carry_the_tone() {
        let mut tone = Tone::new(1_000.0);
        let mut encoder = OpusEncoder::new().unwrap();
        let mut decoder = OpusDecoder::new().unwrap();
        let mut run = |encoder: &mut OpusEncoder| {
            let mut bytes = 0;
            let mut last = Vec::new();
            for _ in 0..50 {
                let packet = encoder.encode(&tone.next_frame()).unwrap();
                bytes += packet.len();
                last = decoder.decode(&packet).unwrap();
            }
            (bytes, dominant_frequency(&last))
        };
        let (full, heard) = run(&mut encoder);
        assert_eq!(heard, Some(1_000.0));
        encoder.set_bitrate(MIN_VOICE_BPS).unwrap();
        assert_eq!(encoder.bitrate(), MIN_VOICE_BPS);
        let (less, heard) = run(&mut encoder);
        assert_eq!(heard, Some(1_000.0));
        assert!(
            less * 3 < full * 2,
            "{less} bytes at 16 kbit/s, {full} at 32"
        );
    }

    /// `percent` of 256ths, as a receiver report carries it.
    fn fraction(percent: u32) -> u8 {
        (percent * 256 / 100) as u8
    }

    #[test]
    fn the_expected_loss_follows_the_reports_within_bounds() {
        let mut loss = ExpectedLoss::default();
        assert_eq!(loss.percent(), INITIAL_LOSS_PERCENT);
        // A clean link: down to the floor, not to zero, within seconds.
        for _ in 0..20 {
            loss.report(0);
        }
        assert_eq!(loss.percent(), 2);
        // Loss appears: followed within a few reports.
        let mut seen = Vec::new();
        for _ in 0..4 {
            loss.report(fraction(15));
            seen.push(loss.percent());
        }
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!((13..=15).contains(&seen[3]), "{seen:?}");
        // It falls more slowly than it rose: one clean report does not
        // undo it.
        loss.report(0);
        assert!(loss.percent() >= 10, "{}", loss.percent());
        // A link losing most packets: capped.
        for _ in 0..10 {
            loss.report(fraction(80));
        }
        assert_eq!(loss.percent(), 25);
    }

    #[test]
    fn the_encoder_takes_the_expected_loss() {
        let mut encoder = OpusEncoder::new().unwrap();
        assert_eq!(encoder.expected_loss(), INITIAL_LOSS_PERCENT);
        encoder.set_expected_loss(20).unwrap();
        assert_eq!(encoder.expected_loss(), 20);
        assert_eq!(encoder.inner.get_packet_loss_perc().unwrap(), 20);
        let packet = encoder.encode(&vec![0.0; SAMPLES_PER_FRAME]).unwrap();
        assert!(!packet.is_empty());
    }
}
