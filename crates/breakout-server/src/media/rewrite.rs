//! What a downstream slot does to each packet: map the current source's
//! sequence numbers and timestamps onto the slot's own continuous ones, and
//! (for video) hold back a new source until it starts a keyframe.
//!
//! Pure functions of packets and time, so they are tested without a network.

use std::time::Instant;

/// Sequence and timestamp mapping of one slot. `out = in + offset` (mod 2^n)
/// for the current source; a switch picks new offsets so the first packet of
/// the new source follows the last one sent without a gap.
#[derive(Debug)]
pub struct Rewriter {
    clock_rate: u32,
    /// Last sequence number and timestamp sent on the slot, and when.
    last: Option<Sent>,
    /// Offsets for the current source, fixed at its first forwarded packet.
    offsets: Option<Offsets>,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u16,
    timestamp: u32,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Offsets {
    seq: u16,
    timestamp: u32,
    /// First input sequence number of this source; older ones are dropped
    /// (they would reuse output numbers already sent).
    first_in: u16,
}

/// The rewritten header fields of one packet, or why it is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewritten {
    Send {
        seq: u16,
        timestamp: u32,
    },
    /// Belongs before the switch point of the current source.
    TooOld,
}

impl Rewriter {
    pub fn new(clock_rate: u32) -> Self {
        Rewriter {
            clock_rate,
            last: None,
            offsets: None,
        }
    }

    /// The slot changes source: the next packet starts a new mapping.
    pub fn switch(&mut self) {
        self.offsets = None;
    }

    pub fn rewrite(&mut self, seq: u16, timestamp: u32, now: Instant) -> Rewritten {
        let offsets = match self.offsets {
            Some(offsets) => {
                if seq_before(seq, offsets.first_in) {
                    return Rewritten::TooOld;
                }
                offsets
            }
            None => {
                let offsets = match self.last {
                    // Continue right after the last packet sent, with the
                    // timestamp advanced by the real time that passed, so
                    // receivers see neither a gap nor time running backwards.
                    Some(last) => {
                        let elapsed = now.saturating_duration_since(last.at);
                        let ticks = (elapsed.as_micros() as u64 * u64::from(self.clock_rate)
                            / 1_000_000)
                            .max(1) as u32;
                        Offsets {
                            seq: last.seq.wrapping_add(1).wrapping_sub(seq),
                            timestamp: last.timestamp.wrapping_add(ticks).wrapping_sub(timestamp),
                            first_in: seq,
                        }
                    }
                    // First source of the slot: keep its numbers as they are.
                    None => Offsets {
                        seq: 0,
                        timestamp: 0,
                        first_in: seq,
                    },
                };
                self.offsets = Some(offsets);
                offsets
            }
        };
        let out_seq = seq.wrapping_add(offsets.seq);
        let out_ts = timestamp.wrapping_add(offsets.timestamp);
        // Reordered packets keep their place; only the newest is remembered.
        if self.last.is_none_or(|last| !seq_before(out_seq, last.seq)) {
            self.last = Some(Sent {
                seq: out_seq,
                timestamp: out_ts,
                at: now,
            });
        }
        Rewritten::Send {
            seq: out_seq,
            timestamp: out_ts,
        }
    }
}

/// `a` comes before `b` in RTP sequence space (RFC 3550 wrap-around).
pub fn seq_before(a: u16, b: u16) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000
}

/// Whether a VP8 RTP payload (RFC 7741) begins a keyframe: the start of
/// partition 0 with the inter-frame bit clear.
pub fn vp8_keyframe_start(payload: &[u8]) -> bool {
    vp8_frame_start(payload).is_some_and(|frame| frame.first().is_some_and(|tag| tag & 0x01 == 0))
}

/// The width and height a VP8 keyframe announces (RFC 6386 §9.1), when
/// `payload` begins one and carries its header.
pub fn vp8_keyframe_size(payload: &[u8]) -> Option<(u32, u32)> {
    let frame = vp8_frame_start(payload)?;
    if frame.first()? & 0x01 != 0 || frame.get(3..6)? != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let dimension = |at: usize| -> Option<u32> {
        let bytes = frame.get(at..at + 2)?;
        // The top two bits are the upscaling mode, not size.
        Some(u32::from(u16::from_le_bytes([bytes[0], bytes[1]]) & 0x3fff))
    };
    Some((dimension(6)?, dimension(8)?))
}

/// The VP8 frame that begins in this payload, after its descriptor; `None`
/// unless the payload starts partition 0 of a frame.
fn vp8_frame_start(payload: &[u8]) -> Option<&[u8]> {
    let first = *payload.first()?;
    let extended = first & 0x80 != 0;
    let start = first & 0x10 != 0;
    let partition = first & 0x07;
    if !start || partition != 0 {
        return None;
    }
    let mut at = 1;
    if extended {
        let x = *payload.get(1)?;
        at = 2;
        if x & 0x80 != 0 {
            // Picture id: 7 or 15 bits.
            let pid = *payload.get(at)?;
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            at += 1; // TID / KEYIDX
        }
    }
    payload.get(at..)
}

/// The level of an RFC 6464 `ssrc-audio-level` extension: 0 (loudest) to
/// 127 dBov below full scale (silence).
pub fn audio_level(extension: &[u8]) -> Option<u8> {
    extension.first().map(|byte| byte & 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn first_source_keeps_its_numbers() {
        let mut r = Rewriter::new(90_000);
        let now = Instant::now();
        assert_eq!(
            r.rewrite(100, 5000, now),
            Rewritten::Send {
                seq: 100,
                timestamp: 5000
            }
        );
    }

    #[test]
    fn a_switch_continues_the_sequence_without_a_gap() {
        let mut r = Rewriter::new(48_000);
        let t0 = Instant::now();
        for i in 0..10u16 {
            r.rewrite(65_530u16.wrapping_add(i), 1000 + u32::from(i) * 960, t0);
        }
        r.switch();
        let t1 = t0 + Duration::from_millis(20);
        let Rewritten::Send { seq, timestamp } = r.rewrite(7, 42, t1) else {
            panic!("sent");
        };
        assert_eq!(seq, 65_530u16.wrapping_add(10));
        // 20 ms at 48 kHz after the last timestamp.
        assert_eq!(timestamp, 1000 + 9 * 960 + 960);
        let Rewritten::Send { seq: next, .. } = r.rewrite(8, 42 + 960, t1) else {
            panic!("sent");
        };
        assert_eq!(next, seq.wrapping_add(1));
        assert_eq!(r.rewrite(6, 0, t1), Rewritten::TooOld);
    }

    #[test]
    fn reordering_within_a_source_is_kept() {
        let mut r = Rewriter::new(90_000);
        let now = Instant::now();
        r.rewrite(10, 0, now);
        r.switch();
        let Rewritten::Send { seq: a, .. } = r.rewrite(500, 0, now) else {
            panic!()
        };
        let Rewritten::Send { seq: c, .. } = r.rewrite(502, 0, now) else {
            panic!()
        };
        let Rewritten::Send { seq: b, .. } = r.rewrite(501, 0, now) else {
            panic!()
        };
        assert_eq!((a, b, c), (11, 12, 13));
    }

    #[test]
    fn vp8_keyframes_are_recognised() {
        // S=1, PID=0, then a payload header with P=0.
        assert!(vp8_keyframe_start(&[0x10, 0x00, 0x00, 0x00]));
        assert!(!vp8_keyframe_start(&[0x10, 0x01]));
        // Not the start of a partition.
        assert!(!vp8_keyframe_start(&[0x00, 0x00]));
        // Extended: I with a 15-bit picture id, then the header.
        assert!(vp8_keyframe_start(&[0x90, 0x80, 0x81, 0x02, 0x00]));
        assert!(!vp8_keyframe_start(&[0x90, 0x80, 0x81, 0x02, 0x01]));
        assert!(!vp8_keyframe_start(&[]));
    }

    #[test]
    fn vp8_keyframe_sizes_are_read_from_the_frame_header() {
        // Descriptor, frame tag (key), start code, 640 × 360 with a scale
        // mode in the top bits of the width.
        let key = [
            0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x42, 0x68, 0x01, 0xff,
        ];
        assert_eq!(vp8_keyframe_size(&key), Some((640, 360)));
        let mut delta = key;
        delta[1] = 0x01;
        assert_eq!(vp8_keyframe_size(&delta), None);
        assert_eq!(vp8_keyframe_size(&key[..9]), None, "truncated");
        let mut no_start_code = key;
        no_start_code[4] = 0;
        assert_eq!(vp8_keyframe_size(&no_start_code), None);
    }

    #[test]
    fn sequence_order_wraps() {
        assert!(seq_before(65_535, 0));
        assert!(!seq_before(0, 65_535));
        assert!(!seq_before(5, 5));
    }
}
