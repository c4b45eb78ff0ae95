//! VP8 RTP depacketization (RFC 7741) and frame assembly for one video
//! slot. No I/O: push packets, take complete frames.
//!
//! A frame is the packets sharing an RTP timestamp, from the one that starts
//! partition 0 (S=1, PID=0) to the one with the marker bit, with no sequence
//! number missing between them. Frames are released in order. A delta frame
//! that completes after a gap waits up to [`HOLD_FOR_RESEND`] for the
//! missing packets, which the NACK generator has asked the SFU to resend;
//! only then is what they belonged to lost. After a loss the decoder would
//! decode garbage from the next delta frame, so the assembler holds delta
//! frames back until a keyframe and says a keyframe is needed.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

/// A complete VP8 frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub data: Bytes,
    pub keyframe: bool,
    pub timestamp: u32,
}

/// What a push produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pushed {
    pub frames: Vec<Assembled>,
    /// A frame was lost and decoding is stalled: ask the source for a
    /// keyframe.
    pub need_keyframe: bool,
}

#[derive(Debug, Default)]
struct Parts {
    first: Option<u64>,
    last: Option<u64>,
    keyframe: bool,
    packets: BTreeMap<u64, Bytes>,
}

#[derive(Debug, Default)]
pub struct Assembler {
    /// Frames under construction by RTP timestamp, oldest first by the
    /// sequence numbers they contain.
    pending: BTreeMap<u64, (u32, Parts)>,
    highest: Option<u64>,
    /// Last sequence number of the last frame released.
    released_up_to: Option<u64>,
    waiting_for_keyframe: bool,
    /// Since when a complete frame has waited for packets before it.
    gap_since: Option<Duration>,
    pub lost_frames: u64,
}

/// How long a complete frame waits for missing packets before it: a resent
/// packet comes a round trip and a NACK tick after the loss showed, and on
/// a lossy link the request or the resend is itself lost now and then.
/// Covers a third request on a 100 ms round trip with ±30 ms jitter each
/// way (asked at once, then every 1.25 round trips): at 450 ms only two
/// fitted, and the 1 % of losses whose first two requests or resends were
/// lost too became keyframe requests, 0-12 a minute on a 5 % lossy link,
/// each a freeze of about 650 ms.
pub const HOLD_FOR_RESEND: Duration = Duration::from_millis(600);
/// Frames kept under construction at most (a second at 30 fps): the hold,
/// not this, bounds the wait.
const MAX_PENDING: usize = 32;

impl Assembler {
    pub fn new() -> Self {
        Assembler {
            // Nothing decodes before the first keyframe.
            waiting_for_keyframe: true,
            ..Default::default()
        }
    }

    /// Takes in one packet that arrived at `now` (any monotonic clock).
    pub fn push(
        &mut self,
        sequence: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        now: Duration,
    ) -> Pushed {
        let mut out = Pushed::default();
        let Some((start, keyframe, body)) = parse(payload) else {
            return out;
        };
        let seq = self.extend(sequence);
        if self.released_up_to.is_some_and(|r| seq <= r) {
            return out; // late or duplicate
        }
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        let key = self
            .pending
            .iter()
            .find(|(_, (ts, _))| *ts == timestamp)
            .map(|(k, _)| *k)
            .unwrap_or(seq);
        let (_, parts) = self
            .pending
            .entry(key)
            .or_insert_with(|| (timestamp, Parts::default()));
        parts.packets.insert(seq, Bytes::copy_from_slice(body));
        if start {
            parts.first = Some(seq);
            parts.keyframe = keyframe;
        }
        if marker {
            parts.last = Some(seq);
        }
        // Re-key by the lowest sequence number seen for this frame.
        if seq < key {
            let entry = self.pending.remove(&key).expect("just inserted");
            self.pending.insert(seq, entry);
        }
        self.release(now, &mut out);
        while self.pending.len() > MAX_PENDING {
            self.pending.pop_first();
            self.lost_frames += 1;
            self.stall(&mut out);
        }
        out
    }

    /// Holds delta frames back until the next keyframe: the decoder could
    /// not decode a frame the next ones refer to.
    pub fn wait_for_keyframe(&mut self) {
        self.waiting_for_keyframe = true;
    }

    fn release(&mut self, now: Duration, out: &mut Pushed) {
        loop {
            let complete = self.pending.iter().find_map(|(k, (_, parts))| {
                let (first, last) = (parts.first?, parts.last?);
                let whole = (first..=last).all(|s| parts.packets.contains_key(&s));
                whole.then_some((*k, first, parts.keyframe))
            });
            let Some((key, first, keyframe)) = complete else {
                return;
            };
            // A keyframe needs nothing before it, and while waiting for one
            // no delta frame is worth a wait.
            let gap = self.released_up_to.is_some_and(|r| first != r + 1);
            if gap && !keyframe && !self.waiting_for_keyframe {
                let since = *self.gap_since.get_or_insert(now);
                if now.saturating_sub(since) < HOLD_FOR_RESEND {
                    return;
                }
            }
            self.gap_since = None;
            // Everything older than a complete frame is lost.
            let older: Vec<u64> = self.pending.range(..key).map(|(k, _)| *k).collect();
            for k in older {
                self.pending.remove(&k);
                self.lost_frames += 1;
            }
            let (timestamp, parts) = self.pending.remove(&key).expect("found above");
            let last = parts.last.expect("complete");
            self.released_up_to = Some(last);
            if gap && !keyframe {
                self.stall(out);
            }
            if parts.keyframe {
                self.waiting_for_keyframe = false;
            }
            if self.waiting_for_keyframe {
                out.need_keyframe = true;
                continue;
            }
            let mut data = BytesMut::new();
            for (_, body) in parts.packets.range(first..=last) {
                data.extend_from_slice(body);
            }
            out.frames.push(Assembled {
                data: data.freeze(),
                keyframe: parts.keyframe,
                timestamp,
            });
        }
    }

    fn stall(&mut self, out: &mut Pushed) {
        self.waiting_for_keyframe = true;
        out.need_keyframe = true;
    }

    fn extend(&self, sequence: u16) -> u64 {
        let Some(highest) = self.highest else {
            return (1 << 20) + sequence as u64;
        };
        let base = highest & !0xFFFF;
        [base.wrapping_sub(0x1_0000), base, base + 0x1_0000]
            .into_iter()
            .map(|b| b + sequence as u64)
            .min_by_key(|&s| s.abs_diff(highest))
            .expect("three candidates")
    }
}

/// Splits the VP8 payload descriptor off: `(starts a frame, is a keyframe,
/// VP8 bytes)`. `None` for a malformed or empty payload.
fn parse(payload: &[u8]) -> Option<(bool, bool, &[u8])> {
    let first = *payload.first()?;
    let mut at = 1;
    if first & 0x80 != 0 {
        let ext = *payload.get(at)?;
        at += 1;
        if ext & 0x80 != 0 {
            // PictureID: 7 or 15 bits (M flag).
            at += if *payload.get(at)? & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if ext & 0x30 != 0 {
            at += 1; // TID / KEYIDX
        }
    }
    let body = payload.get(at..)?;
    let start = first & 0x10 != 0 && first & 0x07 == 0;
    let keyframe = start && body.first().is_some_and(|b| b & 1 == 0);
    (!body.is_empty()).then_some((start, keyframe, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Descriptor with S set (or not) and one VP8 byte (`0` key, `1` delta).
    fn packet(start: bool, vp8: u8) -> Vec<u8> {
        vec![if start { 0x10 } else { 0x00 }, vp8, 0xAA]
    }

    #[test]
    fn assembles_in_order_and_out_of_order() {
        let mut a = Assembler::new();
        assert!(
            a.push(1, 100, false, &packet(true, 0), ms(0))
                .frames
                .is_empty()
        );
        let out = a.push(2, 100, true, &packet(false, 7), ms(0));
        assert_eq!(out.frames.len(), 1);
        assert!(out.frames[0].keyframe);
        assert_eq!(&out.frames[0].data[..], &[0, 0xAA, 7, 0xAA]);
        // Next frame arrives marker first.
        assert!(
            a.push(4, 200, true, &packet(false, 9), ms(0))
                .frames
                .is_empty()
        );
        let out = a.push(3, 200, false, &packet(true, 1), ms(0));
        assert_eq!(out.frames.len(), 1);
        assert!(!out.frames[0].keyframe);
        assert!(!out.need_keyframe);
    }

    #[test]
    fn nothing_before_the_first_keyframe() {
        let mut a = Assembler::new();
        let out = a.push(1, 100, true, &packet(true, 1), ms(0));
        assert!(out.frames.is_empty());
        assert!(out.need_keyframe);
        let out = a.push(2, 200, true, &packet(true, 0), ms(0));
        assert_eq!(out.frames.len(), 1);
    }

    #[test]
    fn a_frame_after_a_gap_waits_for_the_resent_packets() {
        let mut a = Assembler::new();
        a.push(1, 100, true, &packet(true, 0), ms(0));
        // Seq 2 (ts 200) is lost; 3 and 4 arrive complete and wait.
        let out = a.push(3, 300, true, &packet(true, 1), ms(33));
        assert!(out.frames.is_empty());
        assert!(!out.need_keyframe);
        assert!(
            a.push(4, 400, true, &packet(true, 1), ms(66))
                .frames
                .is_empty()
        );
        // The resent packet comes: all three frames, in order, no stall.
        let out = a.push(2, 200, true, &packet(true, 1), ms(170));
        let stamps: Vec<u32> = out.frames.iter().map(|f| f.timestamp).collect();
        assert_eq!(stamps, [200, 300, 400]);
        assert!(!out.need_keyframe);
        assert_eq!(a.lost_frames, 0);
        assert_eq!(
            a.push(5, 500, true, &packet(true, 1), ms(180)).frames.len(),
            1
        );
    }

    #[test]
    fn a_keyframe_after_a_gap_goes_out_at_once() {
        let mut a = Assembler::new();
        a.push(1, 100, true, &packet(true, 0), ms(0));
        let out = a.push(3, 300, true, &packet(true, 0), ms(33));
        assert_eq!(out.frames.len(), 1);
        assert!(!out.need_keyframe);
    }

    #[test]
    fn a_lost_frame_stalls_until_a_keyframe() {
        let mut a = Assembler::new();
        a.push(1, 100, true, &packet(true, 0), ms(0));
        // Frame at ts 200 (seq 2) is lost for good; 300 arrives complete
        // and waits for it as long as a resend may take.
        assert!(
            a.push(3, 300, true, &packet(true, 1), ms(33))
                .frames
                .is_empty()
        );
        let later = ms(33) + HOLD_FOR_RESEND;
        let out = a.push(4, 400, true, &packet(true, 1), later);
        assert!(out.frames.is_empty());
        assert!(out.need_keyframe);
        // A late resend changes nothing now.
        assert!(
            a.push(2, 200, true, &packet(true, 1), later + ms(20))
                .frames
                .is_empty()
        );
        let out = a.push(5, 500, true, &packet(true, 0), later + ms(60));
        assert_eq!(out.frames.len(), 1);
        assert!(out.frames[0].keyframe);
        assert!(
            a.push(6, 600, true, &packet(true, 1), later + ms(90))
                .frames
                .len()
                == 1
        );
    }

    #[test]
    fn descriptor_extensions_are_skipped() {
        // X=1, I=1 with a 15-bit picture id, L=1, T=1.
        let payload = [0x90, 0xE0, 0x80, 0x01, 0x05, 0x20, 0x00, 0x42];
        assert_eq!(parse(&payload), Some((true, true, &[0x00, 0x42][..])));
        assert_eq!(parse(&[]), None);
    }
}
