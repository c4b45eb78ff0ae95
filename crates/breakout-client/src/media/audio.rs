//! Opus at 48 kHz mono, 20 ms frames, in-band FEC on.

use opus::{Application, Bitrate, Channels};

use super::MediaError;

/// The one sample rate of the pipeline (Opus's native one: no resampling
/// inside the codec).
pub const SAMPLE_RATE: u32 = 48_000;
/// 20 ms at 48 kHz: one Opus frame, one RTP packet, one jitter-buffer slot.
pub const SAMPLES_PER_FRAME: usize = 960;
/// Largest Opus packet we produce (RFC 6716 allows 1275 per frame).
const MAX_PACKET: usize = 1500;

/// Voice encoder tuned for a call.
pub struct OpusEncoder {
    inner: opus::Encoder,
}

impl OpusEncoder {
    pub fn new() -> Result<Self, MediaError> {
        let mut inner = opus::Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip)
            .map_err(|e| MediaError::codec("opus", e))?;
        let setup = |e: &mut opus::Encoder| -> Result<(), opus::Error> {
            e.set_bitrate(Bitrate::Bits(32_000))?;
            e.set_inband_fec(true)?;
            // FEC is only spent when the encoder expects loss; 10 % keeps a
            // lost packet recoverable from the next one at modest cost.
            e.set_packet_loss_perc(10)?;
            e.set_complexity(5)
        };
        setup(&mut inner).map_err(|e| MediaError::codec("opus", e))?;
        Ok(OpusEncoder { inner })
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
}
