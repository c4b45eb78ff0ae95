//! The picture a room's recording shows: one video source at a time (the
//! router picks it: the shared screen, else the camera of whoever speaks),
//! its RTP assembled into VP8 frames by the webrtc crate's sample builder.
//!
//! A file's picture may only change source at a keyframe: after a switch,
//! a lost frame, or a blank picture, delta frames are dropped until the
//! source's next keyframe, which the caller asks the publisher for while
//! [`VideoFeed::wants_keyframe`] says so.

use std::time::Duration;

use bytes::Bytes;
use webrtc::media::io::sample_builder::SampleBuilder;
use webrtc::rtp::codecs::vp8::Vp8Packet;
use webrtc::rtp::packet::Packet;

/// A VP8 keyframe of a black 640×360 picture (libvpx, 425 bytes): what a
/// recording shows while no one's video reaches it. Every copy is a
/// keyframe, so the blank never depends on what came before it.
pub const BLANK_KEYFRAME: &[u8] = include_bytes!("blank-640x360.vp8");
pub const BLANK_SIZE: (u32, u32) = (640, 360);

/// Packets the sample builder keeps while a frame waits for one that is
/// late; older ones are given up (the frame is lost, a keyframe follows).
const MAX_LATE_PACKETS: u16 = 512;
const MAX_LATE: Duration = Duration::from_millis(500);
const VIDEO_CLOCK_RATE: u32 = 90_000;

/// One VP8 frame ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub data: Bytes,
    pub keyframe: bool,
}

pub struct VideoFeed {
    /// The upstream whose packets are taken (`Upstream::id`).
    source: Option<u64>,
    builder: SampleBuilder<Vp8Packet>,
    /// Delta frames are dropped until a keyframe.
    waiting: bool,
}

impl Default for VideoFeed {
    fn default() -> Self {
        VideoFeed {
            source: None,
            builder: new_builder(),
            waiting: true,
        }
    }
}

fn new_builder() -> SampleBuilder<Vp8Packet> {
    SampleBuilder::new(MAX_LATE_PACKETS, Vp8Packet::default(), VIDEO_CLOCK_RATE)
        .with_max_time_delay(MAX_LATE)
}

impl VideoFeed {
    /// Takes `source` from now on; a new source starts at its keyframe.
    pub fn switch(&mut self, source: Option<u64>) {
        if source != self.source {
            self.source = source;
            self.builder = new_builder();
            self.waiting = true;
        }
    }

    /// Something else was shown (the blank): the source resumes at its
    /// next keyframe.
    pub fn interrupt(&mut self) {
        self.waiting = true;
    }

    /// Whether the source should be asked for a keyframe.
    pub fn wants_keyframe(&self) -> bool {
        self.source.is_some() && self.waiting
    }

    /// Takes one packet; returns the frames it completed that may be
    /// written. Packets of any other source are ignored (still queued from
    /// before a switch).
    pub fn push(&mut self, source: u64, packet: Packet) -> Vec<Picture> {
        if self.source != Some(source) {
            return Vec::new();
        }
        self.builder.push(packet);
        let mut ready = Vec::new();
        while let Some(sample) = self.builder.pop() {
            let keyframe = is_keyframe(&sample.data);
            if sample.prev_dropped_packets > 0 && !keyframe {
                // Frames before this one were lost: it would decode wrong.
                self.waiting = true;
            }
            if keyframe {
                self.waiting = false;
            }
            if !self.waiting && !sample.data.is_empty() {
                ready.push(Picture {
                    data: sample.data,
                    keyframe,
                });
            }
        }
        ready
    }
}

/// RFC 6386 §9.1: the frame tag's lowest bit is 0 on a keyframe.
fn is_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|tag| tag & 0x01 == 0)
}

#[cfg(test)]
mod tests {
    use webrtc::rtp::header::Header;

    use super::*;

    const KEY: &[u8] = &[0x10, 0x00, 0x9d, 0x01, 0x2a];
    const DELTA: &[u8] = &[0x11, 0x00, 0x00];

    /// One single-packet VP8 frame: descriptor with S set, then the frame.
    fn packet(sequence: u16, timestamp: u32, frame: &[u8]) -> Packet {
        let mut payload = vec![0x10];
        payload.extend_from_slice(frame);
        payload.resize(payload.len().max(4), 0);
        Packet {
            header: Header {
                version: 2,
                sequence_number: sequence,
                timestamp,
                marker: true,
                payload_type: 96,
                ..Header::default()
            },
            payload: Bytes::from(payload),
        }
    }

    fn frames(feed: &mut VideoFeed, source: u64, from: u16, kinds: &[&[u8]]) -> Vec<bool> {
        kinds
            .iter()
            .enumerate()
            .flat_map(|(i, frame)| {
                let seq = from + i as u16;
                feed.push(source, packet(seq, u32::from(seq) * 3_000, frame))
            })
            .map(|picture| picture.keyframe)
            .collect()
    }

    #[test]
    fn a_source_starts_at_its_keyframe_and_others_are_ignored() {
        let mut feed = VideoFeed::default();
        assert!(!feed.wants_keyframe(), "no source, nothing to ask");
        feed.switch(Some(7));
        assert!(feed.wants_keyframe());
        // Deltas before the keyframe are dropped; a frame is released once
        // the next one begins.
        assert_eq!(
            frames(&mut feed, 7, 1, &[DELTA, DELTA, KEY, DELTA, DELTA]),
            [true, false]
        );
        assert!(!feed.wants_keyframe());
        assert_eq!(frames(&mut feed, 8, 1, &[KEY, DELTA]), [] as [bool; 0]);
    }

    #[test]
    fn a_switch_and_a_blank_wait_for_a_keyframe() {
        let mut feed = VideoFeed::default();
        feed.switch(Some(1));
        frames(&mut feed, 1, 1, &[KEY, DELTA, DELTA]);
        feed.switch(Some(2));
        assert!(feed.wants_keyframe());
        assert_eq!(
            frames(&mut feed, 2, 50, &[DELTA, KEY, DELTA, DELTA]),
            [true, false]
        );
        feed.interrupt();
        assert!(feed.wants_keyframe());
        assert_eq!(frames(&mut feed, 2, 54, &[DELTA, DELTA]), [] as [bool; 0]);
        assert_eq!(frames(&mut feed, 2, 56, &[KEY, DELTA]), [true]);
    }
}
