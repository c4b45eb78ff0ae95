//! One recorded room's file: every member's Opus decoded, mixed in 20 ms
//! frames, encoded again as one Opus track and written as WebM.
//!
//! Sans-IO in time: the caller hands in packets as they arrive
//! ([`RoomRecorder::push`]) and asks for one mixed frame every 20 ms
//! ([`RoomRecorder::mix_frame`]), so tests drive it faster than real time.
//! Who is mixed is the caller's decision (the room's members now); a voice
//! that leaves is dropped with [`RoomRecorder::retain_voices`].
//!
//! The muxer is libwebm in live mode writing straight to the file (no
//! buffer of ours): every frame is in the kernel once `mix_frame` returns,
//! so a server killed mid-recording leaves a file that plays up to its
//! last frame. [`RoomRecorder::finish`] only adds the cues.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use breakout_core::ParticipantId;
use opus::{Application, Channels};
use webm::mux::{AudioCodecId, AudioTrack, Segment, SegmentBuilder, SegmentMode, Writer};

pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 20 ms frame, mono.
pub const FRAME_SAMPLES: usize = 960;
pub const FRAME: Duration = Duration::from_millis(20);
/// A voice more than this far ahead of the mix loses its oldest samples:
/// a publisher whose clock runs fast must not delay the room's audio.
const MAX_BACKLOG: usize = FRAME_SAMPLES * 10;
/// The longest Opus packet (120 ms at 48 kHz).
const MAX_PACKET_SAMPLES: usize = 5_760;

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("cannot create the recording {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    /// libwebm refused a track or frame (a full disk shows up here too).
    #[error("the WebM muxer failed writing {path}: {error:?}")]
    Mux {
        path: PathBuf,
        error: webm::mux::Error,
    },
    #[error("the Opus encoder failed: {0}")]
    Opus(#[from] opus::Error),
}

struct Voice {
    decoder: opus::Decoder,
    samples: VecDeque<i16>,
}

pub struct RoomRecorder {
    path: PathBuf,
    segment: Segment<File>,
    audio: AudioTrack,
    encoder: opus::Encoder,
    voices: BTreeMap<ParticipantId, Voice>,
    frames: u64,
    /// Packets that did not decode (a corrupt packet skips, never stops).
    undecodable: u64,
    decoded: Vec<i16>,
    mixed: Vec<i16>,
    encoded: Vec<u8>,
}

impl RoomRecorder {
    /// Creates `path` (which must not exist) and writes the WebM header.
    pub fn create(path: &Path) -> Result<RoomRecorder, RecordError> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| RecordError::Create {
                path: path.to_owned(),
                source,
            })?;
        let mux = |error| RecordError::Mux {
            path: path.to_owned(),
            error,
        };
        let mut encoder = opus::Encoder::new(SAMPLE_RATE, Channels::Mono, Application::Voip)?;
        encoder.set_bitrate(opus::Bitrate::Bits(48_000))?;
        let pre_skip = u16::try_from(encoder.get_lookahead()?).unwrap_or(0);
        let builder = SegmentBuilder::new(Writer::new_non_seek(file))
            .and_then(|b| b.set_mode(SegmentMode::Live))
            .and_then(|b| b.set_writing_app("breakout-server"))
            .map_err(mux)?;
        let (builder, audio) = builder
            .add_audio_track(SAMPLE_RATE, 1, AudioCodecId::Opus, None)
            .map_err(mux)?;
        let builder = builder
            .set_codec_private(audio, &opus_head(pre_skip))
            .map_err(mux)?;
        Ok(RoomRecorder {
            path: path.to_owned(),
            segment: builder.build(),
            audio,
            encoder,
            voices: BTreeMap::new(),
            frames: 0,
            undecodable: 0,
            decoded: vec![0; MAX_PACKET_SAMPLES],
            mixed: vec![0; FRAME_SAMPLES],
            encoded: vec![0; 1_500],
        })
    }

    /// How much has been written.
    pub fn duration(&self) -> Duration {
        FRAME * u32::try_from(self.frames).unwrap_or(u32::MAX)
    }

    /// Packets skipped because they did not decode.
    pub fn undecodable(&self) -> u64 {
        self.undecodable
    }

    /// One RTP payload (an Opus packet) from `who`.
    pub fn push(&mut self, who: ParticipantId, payload: &[u8]) -> Result<(), RecordError> {
        let voice = match self.voices.entry(who) {
            std::collections::btree_map::Entry::Occupied(v) => v.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(Voice {
                decoder: opus::Decoder::new(SAMPLE_RATE, Channels::Mono)?,
                samples: VecDeque::new(),
            }),
        };
        match voice.decoder.decode(payload, &mut self.decoded, false) {
            Ok(n) => {
                voice.samples.extend(&self.decoded[..n]);
                let excess = voice.samples.len().saturating_sub(MAX_BACKLOG);
                voice.samples.drain(..excess);
            }
            Err(_) => self.undecodable += 1,
        }
        Ok(())
    }

    /// Forgets the voices `keep` says no longer belong to the room.
    pub fn retain_voices(&mut self, keep: impl Fn(ParticipantId) -> bool) {
        self.voices.retain(|who, _| keep(*who));
    }

    /// Mixes the next 20 ms of every voice (silence for those with nothing
    /// queued) and writes it as one Opus frame.
    pub fn mix_frame(&mut self) -> Result<(), RecordError> {
        let mut sum = [0i32; FRAME_SAMPLES];
        for voice in self.voices.values_mut() {
            let n = voice.samples.len().min(FRAME_SAMPLES);
            for (acc, s) in sum.iter_mut().zip(voice.samples.drain(..n)) {
                *acc += i32::from(s);
            }
        }
        for (out, s) in self.mixed.iter_mut().zip(sum) {
            *out = s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
        let len = self.encoder.encode(&self.mixed, &mut self.encoded)?;
        let at = FRAME.as_nanos() as u64 * self.frames;
        self.segment
            .add_frame(self.audio, &self.encoded[..len], at, true)
            .map_err(|error| RecordError::Mux {
                path: self.path.clone(),
                error,
            })?;
        self.frames += 1;
        Ok(())
    }

    /// Closes the file properly (cues and duration); a recording that
    /// never got a frame is left as its header alone.
    pub fn finish(self) -> PathBuf {
        let RoomRecorder {
            path,
            segment,
            frames,
            ..
        } = self;
        // libwebm refuses to finalize an empty segment; the header stays.
        if frames > 0 && segment.finalize(None).is_err() {
            tracing::warn!(path = %path.display(), "the recording's cues could not be written; it plays without seeking");
        }
        path
    }
}

/// The Opus identification header (RFC 7845 §5.1), which WebM carries as
/// the track's CodecPrivate.
fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family: mono/stereo
    head
}

#[cfg(test)]
#[path = "recorder_tests.rs"]
mod tests;
