//! One recorded room's file, WebM with two tracks: every member's Opus
//! decoded, mixed in 20 ms frames and encoded again as one Opus track, and
//! one VP8 track showing one source at a time, as it was sent (no decoding).
//!
//! Sans-IO in time: the caller hands in packets as they arrive
//! ([`RoomRecorder::push`], [`RoomRecorder::push_video`]) and asks for one
//! mixed frame every 20 ms ([`RoomRecorder::mix_frame`]), so tests drive it
//! faster than real time. Who is mixed and whose video is shown are the
//! caller's decisions (the room's members now, the room's screen or
//! speaker); a voice that leaves is dropped with
//! [`RoomRecorder::retain_voices`], the video changes source with
//! [`RoomRecorder::show`].
//!
//! The file's clock is the mix: audio frame `n` is at `n × 20 ms`, and a
//! picture is placed between the audio frame written last and the next
//! one, by how long after the last mix it arrived. libwebm needs every
//! track's frames in time order together, which this keeps by
//! construction.
//!
//! The muxer is libwebm in live mode writing straight to the file (no
//! buffer of ours), so a server killed mid-recording leaves a file that
//! plays up to what was written. With a video track libwebm holds audio
//! back until the next picture (so a cluster starts at a keyframe with its
//! audio): while no source's video arrives, a blank keyframe is written
//! every [`BLANK_EVERY`], which bounds what a kill can cost. A source that
//! stalls for [`SOURCE_STALL`] gives way to the blank too.
//! [`RoomRecorder::finish`] only adds the cues.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use breakout_core::ParticipantId;
use opus::{Application, Channels};
use webm::mux::{
    AudioCodecId, AudioTrack, Segment, SegmentBuilder, SegmentMode, VideoCodecId, VideoTrack,
    Writer,
};
use webrtc::rtp::packet::Packet;

use super::recorder_video::{BLANK_KEYFRAME, BLANK_SIZE, VideoFeed};

pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 20 ms frame, mono.
pub const FRAME_SAMPLES: usize = 960;
pub const FRAME: Duration = Duration::from_millis(20);
/// A voice more than this far ahead of the mix loses its oldest samples:
/// a publisher whose clock runs fast must not delay the room's audio.
const MAX_BACKLOG: usize = FRAME_SAMPLES * 10;
/// The longest Opus packet (120 ms at 48 kHz).
const MAX_PACKET_SAMPLES: usize = 5_760;
/// How often the blank picture is written while no source's video arrives
/// (the most audio a kill can cost in a room without video).
pub const BLANK_EVERY: Duration = Duration::from_millis(500);
/// A shown source silent this long gives way to the blank.
pub const SOURCE_STALL: Duration = Duration::from_secs(1);

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
    video: VideoTrack,
    feed: VideoFeed,
    /// When the last picture was written (file time, ns) and whether it
    /// was the blank.
    last_picture: Option<(u64, bool)>,
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
        let (builder, video) = builder
            .add_video_track(BLANK_SIZE.0, BLANK_SIZE.1, VideoCodecId::VP8, None)
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
            video,
            feed: VideoFeed::default(),
            last_picture: None,
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

    /// Shows the upstream `source` from its next keyframe on (`None`: the
    /// blank).
    pub fn show(&mut self, source: Option<u64>) {
        self.feed.switch(source);
    }

    /// Whether the shown source should be asked for a keyframe.
    pub fn wants_keyframe(&self) -> bool {
        self.feed.wants_keyframe()
    }

    /// One RTP packet of upstream `source`'s video, arrived `since_mix`
    /// after the last [`RoomRecorder::mix_frame`]. Only the shown source's
    /// packets are taken.
    pub fn push_video(
        &mut self,
        source: u64,
        packet: Packet,
        since_mix: Duration,
    ) -> Result<(), RecordError> {
        for picture in self.feed.push(source, packet) {
            // Between the audio frame written last and the next one.
            let next_audio = file_time(self.frames);
            let last_audio = file_time(self.frames.saturating_sub(1));
            let last = self.last_picture.map_or(0, |(at, _)| at);
            let at = (last_audio + since_mix.as_nanos() as u64)
                .min(next_audio)
                .max(last);
            self.write_picture(&picture.data, at, picture.keyframe, false)?;
        }
        Ok(())
    }

    fn write_picture(
        &mut self,
        data: &[u8],
        at: u64,
        keyframe: bool,
        blank: bool,
    ) -> Result<(), RecordError> {
        self.segment
            .add_frame(self.video, data, at, keyframe)
            .map_err(|error| RecordError::Mux {
                path: self.path.clone(),
                error,
            })?;
        self.last_picture = Some((at, blank));
        Ok(())
    }

    /// Writes the blank at `at` if nothing was shown for long enough.
    fn blank_if_due(&mut self, at: u64) -> Result<(), RecordError> {
        let due = match self.last_picture {
            None => true,
            Some((last, blank)) => {
                let limit = if blank { BLANK_EVERY } else { SOURCE_STALL };
                at.saturating_sub(last) >= limit.as_nanos() as u64
            }
        };
        if due {
            self.write_picture(BLANK_KEYFRAME, at, true, true)?;
            self.feed.interrupt();
        }
        Ok(())
    }

    /// Mixes the next 20 ms of every voice (silence for those with nothing
    /// queued) and writes it as one Opus frame, and the blank picture if
    /// nothing was shown for a while.
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
        let at = file_time(self.frames);
        self.segment
            .add_frame(self.audio, &self.encoded[..len], at, true)
            .map_err(|error| RecordError::Mux {
                path: self.path.clone(),
                error,
            })?;
        self.frames += 1;
        self.blank_if_due(at)
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

/// Where audio frame `frames` sits in the file, in ns.
fn file_time(frames: u64) -> u64 {
    FRAME.as_nanos() as u64 * frames
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
