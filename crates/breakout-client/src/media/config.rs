//! What a [`MediaSession`](super::MediaSession) is started with: its
//! sources, its output and its settings. Plain data shared by the session,
//! its start-up and its pipelines.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use breakout_protocol::ParticipantId;
use bytes::Bytes;

use super::send::{encode_pattern_clip, encode_tone_clip};
use crate::server_url;

/// What the mic track carries.
#[derive(Debug, Clone)]
pub enum AudioSource {
    /// Nothing (listen only).
    None,
    /// The participant's tone ([`super::synthetic::tone_frequency`]).
    Tone,
    /// The tone in bursts: `on` frames of sound every `period` frames; each
    /// onset is reported as [`MediaEvent::Onset`](super::MediaEvent::Onset)
    /// (latency measurements).
    ToneBursts { on: u64, period: u64 },
    /// A microphone: the default one, or this id or name.
    Microphone(Option<String>),
    /// Pre-encoded Opus 20 ms packets replayed in a loop (load generators).
    Replay(Arc<[Bytes]>),
}

/// What the camera track carries.
#[derive(Debug, Clone)]
pub enum VideoSource {
    None,
    /// The participant's moving test pattern, 320×240.
    Pattern {
        fps: u32,
    },
    /// The test pattern at `width` × `height` (a width that is a multiple
    /// of 160, see [`synthetic::pattern_size_error`](super::synthetic::pattern_size_error)):
    /// big enough for simulcast layers, and as costly to encode as a
    /// camera.
    SizedPattern {
        fps: u32,
        width: u32,
        height: u32,
    },
    /// A camera: the first one, or this index.
    Camera(Option<u32>),
    /// A pre-encoded VP8 clip starting with a keyframe, replayed in a loop.
    Replay {
        frames: Arc<[Bytes]>,
        fps: u32,
    },
}

/// Where the mix of the audio slots goes (slot frames are always reported
/// as [`MediaEvent::Audio`](super::MediaEvent::Audio) too).
#[derive(Debug, Clone)]
pub enum AudioOutput {
    None,
    /// A speaker: the default one, or this id or name.
    Speaker(Option<String>),
}

/// How media reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTransport {
    /// UDP, or the media tunnel (a WebSocket to the server's HTTP(S)
    /// port) when ICE over UDP has not connected within `udp_wait`.
    Auto { udp_wait: Duration },
    /// UDP only: a network that blocks it leaves the session without media.
    Udp,
    /// The media tunnel from the start.
    Tunnel,
}

impl MediaTransport {
    /// ICE over UDP connects within a round trip or two when it can; a
    /// network that blocks UDP never answers, and people are waiting.
    pub const DEFAULT_UDP_WAIT: Duration = Duration::from_millis(1000);
}

impl Default for MediaTransport {
    fn default() -> Self {
        MediaTransport::Auto {
            udp_wait: Self::DEFAULT_UDP_WAIT,
        }
    }
}

impl std::str::FromStr for MediaTransport {
    type Err = String;

    /// `auto`, `udp` or `tunnel`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(MediaTransport::default()),
            "udp" => Ok(MediaTransport::Udp),
            "tunnel" => Ok(MediaTransport::Tunnel),
            other => Err(format!(
                "unknown media transport {other:?} (auto, udp or tunnel)"
            )),
        }
    }
}

/// No floor of our own: the spread of arrival delays measured on the slot
/// is the whole need (the playout clock never pops early, and its 20 ms
/// phase adds a margin of its own).
const DEFAULT_JITTER_MIN: Duration = Duration::ZERO;
/// Beyond this a conversation suffers more from the delay than from the
/// losses.
const DEFAULT_JITTER_MAX: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub audio: AudioSource,
    pub video: VideoSource,
    pub output: AudioOutput,
    /// Mic and camera state to start with; sent to the meeting as
    /// `SetMedia` once media is up.
    pub mic_on: bool,
    pub camera_on: bool,
    pub audio_slots: usize,
    pub video_slots: usize,
    /// Audio slots for the room a host listens in on (see
    /// `breakout_protocol::media`'s "Listening in and speaking to all rooms").
    pub listen_slots: usize,
    /// An audio slot for whoever speaks to all rooms.
    pub all_rooms_slot: bool,
    /// A sendonly video m-line for sharing a screen, silent until
    /// [`MediaSession::share_screen`](super::MediaSession::share_screen).
    pub screen_track: bool,
    /// A video slot for the screen shared in one's room.
    pub screen_slot: bool,
    /// Decode what the slots receive (the default); without, the slots only
    /// count it: a load generator that subscribes like a participant at the
    /// cost of receiving only.
    pub decode: bool,
    /// Bounds of the jitter buffers' delay, which follows the jitter
    /// measured on each audio slot.
    pub jitter_min: Duration,
    pub jitter_max: Duration,
    /// The local address to gather candidates on (`None`: every interface;
    /// a server on this machine needs loopback, see [`MediaConfig::for_server`]).
    pub bind_ip: Option<IpAddr>,
    /// Events buffered for the caller before new ones are dropped.
    pub event_capacity: usize,
    pub transport: MediaTransport,
    /// The most this client sends (bit/s, audio included), whatever the
    /// bandwidth estimate says: a metered link's limit. `None`: what the
    /// camera can use.
    pub send_limit_bps: Option<u64>,
    /// Send the camera as simulcast layers when it is big enough (640×360
    /// or more: full, half and quarter size), so subscribers showing it
    /// small get a small picture, and layers nobody receives are not even
    /// encoded. Decided once, from the source open when media starts; a
    /// source replaced later is sent as the layers negotiated then.
    /// Replayed clips are always one picture.
    pub simulcast: bool,
}

/// The test pattern's size for simulcast: drawing it, shrinking it and
/// encoding its three layers (640×360, 320×180, 160×90) take about 5.5 ms
/// a picture in a debug build, a sixth of a core at 30 fps. 1280×720 takes
/// 23 ms (70 % of a core): one sender with two watchers in one process
/// encoded 28.8 of its 30 pictures a second, where 640×360 kept all 30;
/// tests and benchmarks run several senders on two cores.
pub const SIMULCAST_PATTERN: (u32, u32) = (640, 360);

impl MediaConfig {
    /// Devices by default, nothing published until switched on.
    pub fn new(audio: AudioSource, video: VideoSource, output: AudioOutput) -> Self {
        MediaConfig {
            audio,
            video,
            output,
            mic_on: false,
            camera_on: false,
            audio_slots: breakout_protocol::media::AUDIO_SLOTS,
            video_slots: breakout_protocol::media::VIDEO_SLOTS,
            listen_slots: breakout_protocol::media::LISTEN_SLOTS,
            all_rooms_slot: true,
            screen_track: true,
            screen_slot: true,
            decode: true,
            jitter_min: DEFAULT_JITTER_MIN,
            jitter_max: DEFAULT_JITTER_MAX,
            bind_ip: None,
            event_capacity: 1024,
            transport: MediaTransport::default(),
            send_limit_bps: None,
            simulcast: false,
        }
    }

    /// Tone and test pattern, both on; no speaker.
    pub fn synthetic() -> Self {
        let mut config = Self::new(
            AudioSource::Tone,
            VideoSource::Pattern { fps: 30 },
            AudioOutput::None,
        );
        config.mic_on = true;
        config.camera_on = true;
        config
    }

    /// Tone and the [`SIMULCAST_PATTERN`]-sized test pattern sent as three
    /// simulcast layers, both on; no speaker.
    pub fn synthetic_simulcast() -> Self {
        let mut config = Self::synthetic();
        let (width, height) = SIMULCAST_PATTERN;
        config.video = VideoSource::SizedPattern {
            fps: 30,
            width,
            height,
        };
        config.simulcast = true;
        config
    }

    /// `participant`'s tone and test pattern encoded once and sent in a
    /// loop (two seconds of video at `fps`), both on; no speaker. Costs only
    /// the packets, so many can run on one machine as remote people would.
    pub fn replaying(participant: ParticipantId, fps: u32) -> Self {
        let mut config = Self::new(
            AudioSource::Replay(encode_tone_clip(participant, 50).into()),
            VideoSource::Replay {
                frames: encode_pattern_clip(participant, 2 * fps).into(),
                fps,
            },
            AudioOutput::None,
        );
        config.mic_on = true;
        config.camera_on = true;
        config
    }

    /// The default microphone, camera and speaker.
    pub fn devices() -> Self {
        Self::new(
            AudioSource::Microphone(None),
            VideoSource::Camera(None),
            AudioOutput::Speaker(None),
        )
    }

    /// Gathers on loopback when `server` is on this machine, unless an
    /// address to gather on was chosen already.
    pub fn for_server(mut self, server: &str) -> Self {
        if self.bind_ip.is_some() {
            return self;
        }
        let local = server_url::http_base(server).ok().and_then(|url| {
            let host = url.host_str()?.trim_matches(['[', ']']).to_string();
            let ip: Option<IpAddr> = host.parse().ok();
            (host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()))
                .then_some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        });
        if local.is_some() {
            self.bind_ip = local;
        }
        self
    }
}
