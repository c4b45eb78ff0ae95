//! The VP8 payload descriptor's own counters (RFC 7741 §4.2) mapped onto
//! one continuous numbering per downstream slot, as [`super::rewrite`] does
//! for RTP sequence numbers and timestamps.
//!
//! A standard receiver (libwebrtc's frame buffer) orders frames by the
//! PictureID and refuses a frame whose id is not ahead of the last one it
//! decoded, keyframes included; TL0PICIDX links base-layer frames. Every
//! source numbers its pictures on its own, so without this a switch looks
//! like a jump backwards (or a huge gap) in one stream, and the new source's
//! keyframe is thrown away until the receiver asks for another one.
//!
//! PictureIDs always leave as 15 bits: a 7-bit id is widened (from the
//! source's previous id, so a source that wraps at 127 keeps counting), which
//! also keeps the numbering continuous when a source moves from 7 to 15 bits.

use bytes::{BufMut, Bytes, BytesMut};

const PICTURE_ID_BITS: u32 = 15;
const TL0_BITS: u32 = 8;
const KEYIDX_BITS: u32 = 5;

/// Per-slot rewriting of PictureID, TL0PICIDX and KEYIDX.
#[derive(Debug)]
pub struct Vp8Rewriter {
    picture_id: Counter,
    tl0: Counter,
    keyidx: Counter,
    /// The current source's last PictureID as received (15-bit space), to
    /// widen its 7-bit ids.
    last_in_picture_id: Option<u16>,
}

impl Default for Vp8Rewriter {
    fn default() -> Self {
        Vp8Rewriter {
            picture_id: Counter::new(PICTURE_ID_BITS),
            tl0: Counter::new(TL0_BITS),
            keyidx: Counter::new(KEYIDX_BITS),
            last_in_picture_id: None,
        }
    }
}

impl Vp8Rewriter {
    /// The slot changes source: its next packet starts new offsets.
    pub fn switch(&mut self) {
        self.picture_id.switch();
        self.tl0.switch();
        self.keyidx.switch();
        self.last_in_picture_id = None;
    }

    /// The payload with its descriptor renumbered; a payload too short to
    /// hold the descriptor it announces is returned as it is.
    pub fn rewrite(&mut self, payload: &Bytes) -> Bytes {
        let Some(descriptor) = Descriptor::parse(payload) else {
            return payload.clone();
        };
        let mut out = BytesMut::with_capacity(payload.len() + 1);
        out.put_u8(payload[0]);
        if let Some(x) = descriptor.extension {
            out.put_u8(x);
        }
        if let Some(picture_id) = descriptor.picture_id {
            let wide = match picture_id {
                PictureId::Short(id) => widen(id, self.last_in_picture_id),
                PictureId::Long(id) => id,
            };
            self.last_in_picture_id = Some(wide);
            let mapped = self.picture_id.map(wide);
            out.put_u16(0x8000 | mapped);
        }
        if let Some(tl0) = descriptor.tl0 {
            out.put_u8(self.tl0.map(u16::from(tl0)) as u8);
        }
        if let Some(tk) = descriptor.tid_keyidx {
            // TID and Y stay; KEYIDX is only meaningful with K set.
            let keyidx = if descriptor.has_keyidx {
                self.keyidx.map(u16::from(tk & 0x1f)) as u8
            } else {
                tk & 0x1f
            };
            out.put_u8((tk & 0xe0) | keyidx);
        }
        out.put_slice(&payload[descriptor.header_len..]);
        out.freeze()
    }
}

/// `out = in + offset` modulo `2^bits`, the offset fixed at a source's
/// first value so that it continues right after the last value sent.
#[derive(Debug)]
struct Counter {
    mask: u16,
    last_out: Option<u16>,
    offset: Option<u16>,
}

impl Counter {
    fn new(bits: u32) -> Self {
        Counter {
            mask: ((1u32 << bits) - 1) as u16,
            last_out: None,
            offset: None,
        }
    }

    fn switch(&mut self) {
        self.offset = None;
    }

    fn map(&mut self, value: u16) -> u16 {
        let mask = self.mask;
        let last_out = self.last_out;
        let offset = *self.offset.get_or_insert_with(|| match last_out {
            Some(last) => last.wrapping_add(1).wrapping_sub(value) & mask,
            // The slot's first source keeps its numbers.
            None => 0,
        });
        let out = value.wrapping_add(offset) & mask;
        // Reordered packets keep their number; only the newest is kept.
        if last_out.is_none_or(|last| ahead(out, last, mask)) {
            self.last_out = Some(out);
        }
        out
    }
}

/// `a` is after `b` in a counter that wraps at `mask + 1`.
fn ahead(a: u16, b: u16, mask: u16) -> bool {
    let distance = a.wrapping_sub(b) & mask;
    distance != 0 && distance <= mask / 2
}

/// The 15-bit id nearest to `previous` whose low 7 bits are `short`.
fn widen(short: u8, previous: Option<u16>) -> u16 {
    let short = u16::from(short & 0x7f);
    let Some(previous) = previous else {
        return short;
    };
    let mask = (1u16 << PICTURE_ID_BITS) - 1;
    let candidate = (previous & !0x7f) | short;
    [
        candidate,
        candidate.wrapping_add(0x80) & mask,
        candidate.wrapping_sub(0x80) & mask,
    ]
    .into_iter()
    .min_by_key(|c| {
        let forward = c.wrapping_sub(previous) & mask;
        forward.min(previous.wrapping_sub(*c) & mask)
    })
    .unwrap_or(candidate)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PictureId {
    Short(u8),
    Long(u16),
}

/// The fields of a VP8 payload descriptor this module renumbers.
#[derive(Debug, PartialEq, Eq)]
struct Descriptor {
    extension: Option<u8>,
    picture_id: Option<PictureId>,
    tl0: Option<u8>,
    tid_keyidx: Option<u8>,
    has_keyidx: bool,
    header_len: usize,
}

impl Descriptor {
    fn parse(payload: &[u8]) -> Option<Descriptor> {
        let first = *payload.first()?;
        let mut descriptor = Descriptor {
            extension: None,
            picture_id: None,
            tl0: None,
            tid_keyidx: None,
            has_keyidx: false,
            header_len: 1,
        };
        if first & 0x80 == 0 {
            return Some(descriptor);
        }
        let x = *payload.get(1)?;
        descriptor.extension = Some(x);
        let mut at = 2;
        if x & 0x80 != 0 {
            let high = *payload.get(at)?;
            descriptor.picture_id = Some(if high & 0x80 != 0 {
                let low = *payload.get(at + 1)?;
                at += 2;
                PictureId::Long((u16::from(high & 0x7f) << 8) | u16::from(low))
            } else {
                at += 1;
                PictureId::Short(high)
            });
        }
        if x & 0x40 != 0 {
            descriptor.tl0 = Some(*payload.get(at)?);
            at += 1;
        }
        if x & 0x30 != 0 {
            descriptor.tid_keyidx = Some(*payload.get(at)?);
            descriptor.has_keyidx = x & 0x10 != 0;
            at += 1;
        }
        descriptor.header_len = at;
        Some(descriptor)
    }
}

#[cfg(test)]
#[path = "vp8_tests.rs"]
mod tests;
