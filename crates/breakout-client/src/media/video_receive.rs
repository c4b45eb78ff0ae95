//! One video slot's receive path without I/O: RTP packets in, decoded
//! pictures (when they are due, see [`VideoPlayout`]) and keyframe requests
//! out. Times are passed in.
//!
//! The assembler notices a frame that went missing and the decoder a frame
//! it cannot decode; both ask for a keyframe at once. What neither notices
//! is a picture that stops while packets keep coming (the keyframe asked
//! for was lost too, packets that never make a frame): a slot that has had
//! packets but no picture for [`FREEZE_AFTER`] asks as well. Requests are
//! at most one per [`REQUEST_INTERVAL`], and a freeze asks again only after
//! another [`FREEZE_AFTER`], time for the keyframe to arrive.

use std::time::Duration;

use super::MediaError;
use super::assemble::{Assembler, HOLD_FOR_RESEND};
use super::frame::VideoFrame;
use super::video::Vp8Decoder;
use super::video_playout::VideoPlayout;

/// Keyframe requests for one slot at most this often.
pub const REQUEST_INTERVAL: Duration = Duration::from_millis(200);
/// Packets but no picture for this long is a frozen picture. Well above a
/// frame interval (33 ms at 30 fps, 200 ms for a slow screen share), and
/// past the assembler's hold for resends plus a frame: a frame that waited
/// for a resend and got it is not a freeze.
pub const FREEZE_AFTER: Duration = HOLD_FOR_RESEND.saturating_add(Duration::from_millis(150));
/// A silence this long is a source that stopped (camera off, moved away),
/// not a freeze: the watch starts again with the next packet.
const PAUSE: Duration = Duration::from_millis(300);

/// When a slot should ask its source for a keyframe.
#[derive(Debug, Default)]
pub struct FreezeWatch {
    /// Since when packets came without a picture (or since the last
    /// request for a frozen picture).
    waiting_since: Option<Duration>,
    last_packet: Option<Duration>,
    last_request: Option<Duration>,
}

impl FreezeWatch {
    /// A packet arrived at `now`.
    pub fn packet(&mut self, now: Duration) {
        let resumed = self
            .last_packet
            .is_none_or(|last| now.saturating_sub(last) >= PAUSE);
        if resumed || self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        self.last_packet = Some(now);
    }

    /// A picture was decoded.
    pub fn picture(&mut self) {
        self.waiting_since = None;
    }

    /// Whether to ask for a keyframe now; `broken`: the assembler or the
    /// decoder says the picture cannot go on without one.
    pub fn should_request(&mut self, now: Duration, broken: bool) -> bool {
        let frozen = self
            .waiting_since
            .is_some_and(|since| now.saturating_sub(since) >= FREEZE_AFTER);
        let too_soon = self
            .last_request
            .is_some_and(|last| now.saturating_sub(last) < REQUEST_INTERVAL);
        if !(broken || frozen) || too_soon {
            return false;
        }
        self.last_request = Some(now);
        if frozen {
            self.waiting_since = Some(now);
        }
        true
    }
}

/// What one packet produced.
#[derive(Debug, Default)]
pub struct VideoOutput {
    /// Pictures due now (this packet's or earlier ones').
    pub pictures: Vec<VideoFrame>,
    pub decode_errors: u64,
    /// Ask the source for a keyframe (PLI).
    pub request_keyframe: bool,
}

/// Assembler, decoder, freeze watch and playout of one video slot.
pub struct VideoReceiver {
    assembler: Assembler,
    /// Created with the first frame to decode.
    decoder: Option<Vp8Decoder>,
    watch: FreezeWatch,
    playout: VideoPlayout,
}

impl VideoReceiver {
    pub fn new() -> Self {
        VideoReceiver {
            assembler: Assembler::new(),
            decoder: None,
            watch: FreezeWatch::default(),
            playout: VideoPlayout::default(),
        }
    }

    /// Frames lost so far (never assembled).
    pub fn lost_frames(&self) -> u64 {
        self.assembler.lost_frames
    }

    /// Takes in one RTP packet that arrived at `now`.
    pub fn push(
        &mut self,
        sequence: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        now: Duration,
    ) -> Result<VideoOutput, MediaError> {
        let mut out = VideoOutput::default();
        self.watch.packet(now);
        let pushed = self
            .assembler
            .push(sequence, timestamp, marker, payload, now);
        let mut broken = pushed.need_keyframe;
        for frame in pushed.frames {
            let decoder = match &mut self.decoder {
                Some(decoder) => decoder,
                None => self.decoder.insert(Vp8Decoder::new()?),
            };
            match decoder.decode(&frame.data) {
                Ok(Some(picture)) => {
                    self.watch.picture();
                    self.playout.push(frame.timestamp, now, picture);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "vp8 decode");
                    out.decode_errors += 1;
                    // Whatever follows refers to what could not be decoded.
                    self.assembler.wait_for_keyframe();
                    broken = true;
                }
            }
        }
        out.request_keyframe = self.watch.should_request(now, broken);
        out.pictures = self.playout.due(now);
        Ok(out)
    }

    /// Decoded pictures due by `now`.
    pub fn due(&mut self, now: Duration) -> Vec<VideoFrame> {
        self.playout.due(now)
    }

    /// When the next decoded picture is due, if one waits.
    pub fn next_due(&self) -> Option<Duration> {
        self.playout.next_due()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synthetic::{PATTERN_HEIGHT, PATTERN_WIDTH, PatternStamp, draw_pattern};
    use crate::media::video::Vp8Encoder;
    use breakout_protocol::ParticipantId;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_steady_picture_asks_for_nothing_and_a_frozen_one_asks_at_a_bounded_rate() {
        let mut watch = FreezeWatch::default();
        // 30 fps, three packets a frame, for two seconds.
        for i in 0..180u64 {
            let now = ms(11 * i);
            watch.packet(now);
            if i % 3 == 2 {
                watch.picture();
            }
            assert!(!watch.should_request(now, false));
        }
        // Packets keep coming but no picture, for three seconds.
        let mut asked = Vec::new();
        for i in 180..450u64 {
            let now = ms(11 * i);
            watch.packet(now);
            if watch.should_request(now, false) {
                asked.push(now);
            }
        }
        let frozen_for = ms(11 * 449) - ms(11 * 179);
        let expected = frozen_for.as_millis() / FREEZE_AFTER.as_millis();
        assert_eq!(asked.len() as u128, expected, "{asked:?}");
        assert!(asked[0] >= ms(11 * 179) + FREEZE_AFTER);
        assert!(asked.windows(2).all(|w| w[1] - w[0] >= FREEZE_AFTER));
    }

    #[test]
    fn a_source_that_stopped_is_not_frozen() {
        let mut watch = FreezeWatch::default();
        watch.packet(ms(0));
        watch.picture();
        // The camera was off for two seconds; its first packets back come
        // before its first picture.
        watch.packet(ms(2_000));
        watch.packet(ms(2_010));
        assert!(!watch.should_request(ms(2_010), false));
    }

    #[test]
    fn broken_pictures_ask_at_once_but_not_more_often_than_the_interval() {
        let mut watch = FreezeWatch::default();
        watch.packet(ms(0));
        assert!(watch.should_request(ms(0), true));
        assert!(!watch.should_request(ms(100), true));
        assert!(watch.should_request(ms(200), true));
    }

    /// One VP8 frame of the test pattern per RTP packet, one every 33 ms
    /// (2,970 at 90 kHz).
    struct Stream {
        encoder: Vp8Encoder,
        counter: u32,
        seq: u16,
    }

    impl Stream {
        fn new() -> Self {
            Stream {
                encoder: Vp8Encoder::new(PATTERN_WIDTH, PATTERN_HEIGHT, 30, 300).unwrap(),
                counter: 0,
                seq: 0,
            }
        }

        /// The next frame's packet: `(sequence, timestamp, payload)`.
        fn next(&mut self, keyframe: bool) -> (u16, u32, Vec<u8>) {
            let stamp = PatternStamp {
                participant: ParticipantId(3),
                counter: self.counter,
                captured_ms: 0,
            };
            let frame = self.encoder.encode(&draw_pattern(stamp), keyframe).unwrap();
            self.counter += 1;
            self.seq = self.seq.wrapping_add(1);
            // Descriptor: start of partition 0.
            let mut payload = vec![0x10];
            payload.extend_from_slice(&frame[0].data);
            (self.seq, self.counter * 2_970, payload)
        }
    }

    #[test]
    fn a_slot_whose_packets_stop_making_pictures_asks_for_a_keyframe() {
        let mut stream = Stream::new();
        let mut slot = VideoReceiver::new();
        let mut pictures = 0;
        for i in 0..10u64 {
            let (seq, ts, payload) = stream.next(i == 0);
            let out = slot.push(seq, ts, true, &payload, ms(33 * i)).unwrap();
            pictures += out.pictures.len();
            assert!(!out.request_keyframe);
        }
        assert_eq!(pictures, 10);
        // Then packets that never make a frame (their payload is cut to
        // the descriptor), thirty a second.
        let mut requests = 0;
        for i in 10..40u64 {
            let (seq, ts, _) = stream.next(false);
            let out = slot.push(seq, ts, true, &[0x10], ms(33 * i)).unwrap();
            assert!(out.pictures.is_empty());
            requests += u32::from(out.request_keyframe);
        }
        assert_eq!(requests, 1);
        // The keyframe comes: pictures again, no more requests.
        let (seq, ts, payload) = stream.next(true);
        let out = slot.push(seq, ts, true, &payload, ms(33 * 40)).unwrap();
        assert_eq!(out.pictures.len(), 1);
        assert!(!out.request_keyframe);
    }

    #[test]
    fn an_undecodable_frame_asks_for_a_keyframe_and_waits_for_it() {
        let mut stream = Stream::new();
        let mut slot = VideoReceiver::new();
        let (seq, ts, payload) = stream.next(true);
        assert_eq!(
            slot.push(seq, ts, true, &payload, ms(0))
                .unwrap()
                .pictures
                .len(),
            1
        );
        // A delta frame whose bytes were damaged on the way.
        let (seq, ts, mut payload) = stream.next(false);
        payload.truncate(4);
        let out = slot.push(seq, ts, true, &payload, ms(33)).unwrap();
        assert_eq!(out.decode_errors, 1);
        assert!(out.request_keyframe);
        // The deltas after it are held back (nothing to decode them on)
        // until the keyframe.
        let (seq, ts, payload) = stream.next(false);
        assert!(
            slot.push(seq, ts, true, &payload, ms(66))
                .unwrap()
                .pictures
                .is_empty()
        );
        let (seq, ts, payload) = stream.next(true);
        assert_eq!(
            slot.push(seq, ts, true, &payload, ms(99))
                .unwrap()
                .pictures
                .len(),
            1
        );
    }
}
