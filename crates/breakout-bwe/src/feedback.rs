//! Transport-wide feedback (draft-holmer-rmcat-transport-wide-cc-extensions)
//! as per-packet results: which transport sequence numbers arrived, and
//! when, on the receiver's clock.

use webrtc::rtcp::transport_feedbacks::transport_layer_cc::{
    PacketStatusChunk, SymbolTypeTcc, TransportLayerCc,
};

/// The reference time counts in these steps (µs).
const REFERENCE_TICK_US: i64 = 64_000;

/// What one feedback packet says about one transport sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub seq: u16,
    /// Receiver's clock in µs (its origin is arbitrary but fixed), or `None`
    /// when the packet was reported lost.
    pub at_us: Option<i64>,
}

/// The packets `feedback` reports on, in sequence order. A packet marked
/// received without a delta (a reserved symbol) counts as received at the
/// time of the one before it.
pub fn arrivals(feedback: &TransportLayerCc) -> Vec<Arrival> {
    let count = usize::from(feedback.packet_status_count);
    let mut symbols = Vec::with_capacity(count);
    for chunk in &feedback.packet_chunks {
        match chunk {
            PacketStatusChunk::RunLengthChunk(run) => {
                let n = usize::from(run.run_length).min(count - symbols.len());
                symbols.extend(std::iter::repeat_n(run.packet_status_symbol, n));
            }
            PacketStatusChunk::StatusVectorChunk(vector) => {
                let n = vector.symbol_list.len().min(count - symbols.len());
                symbols.extend_from_slice(&vector.symbol_list[..n]);
            }
        }
        if symbols.len() == count {
            break;
        }
    }
    let mut deltas = feedback.recv_deltas.iter();
    let mut at = i64::from(feedback.reference_time) * REFERENCE_TICK_US;
    symbols
        .iter()
        .enumerate()
        .map(|(i, symbol)| {
            let seq = feedback.base_sequence_number.wrapping_add(i as u16);
            let at_us = match symbol {
                SymbolTypeTcc::PacketNotReceived => None,
                SymbolTypeTcc::PacketReceivedWithoutDelta => Some(at),
                SymbolTypeTcc::PacketReceivedSmallDelta
                | SymbolTypeTcc::PacketReceivedLargeDelta => {
                    // A delta missing from a malformed packet ends the list.
                    at += deltas.next()?.delta;
                    Some(at)
                }
            };
            Some(Arrival { seq, at_us })
        })
        .map_while(|a| a)
        .collect()
}

/// Extends 16-bit sequence numbers to 64 bits, each to the value nearest
/// the last one seen (so wrap-arounds and slight reordering both work).
#[derive(Debug, Default, Clone, Copy)]
pub struct Unwrapper {
    last: Option<u64>,
}

impl Unwrapper {
    pub fn unwrap(&mut self, seq: u16) -> u64 {
        let value = self.peek(seq);
        if self.last.is_none_or(|last| value > last) {
            self.last = Some(value);
        }
        value
    }

    /// What `seq` unwraps to, without moving the reference.
    pub fn peek(&self, seq: u16) -> u64 {
        // Start one cycle up so numbers just before the first never go
        // below zero.
        let Some(last) = self.last else {
            return (1 << 16) | u64::from(seq);
        };
        let diff = seq.wrapping_sub(last as u16) as i16;
        last.wrapping_add_signed(i64::from(diff))
    }
}

#[cfg(test)]
mod tests {
    use webrtc::interceptor::twcc::Recorder;

    use super::*;

    /// What the server's TWCC interceptor really sends, read back.
    fn recorded(arrivals: &[(u16, i64)]) -> Vec<TransportLayerCc> {
        let mut recorder = Recorder::new(1);
        for &(seq, at) in arrivals {
            recorder.record(2, seq, at);
        }
        recorder
            .build_feedback_packet()
            .into_iter()
            .map(|p| {
                let bytes = p.marshal().unwrap();
                let mut buf = &bytes[..];
                let parsed = webrtc::rtcp::packet::unmarshal(&mut buf).unwrap();
                parsed[0]
                    .as_any()
                    .downcast_ref::<TransportLayerCc>()
                    .unwrap()
                    .clone()
            })
            .collect()
    }

    #[test]
    fn arrivals_and_losses_come_back_from_a_recorded_report() {
        // 10 and 12 lost; one gap too long for a small delta.
        let sent = [
            (8, 100_000),
            (9, 101_000),
            (11, 103_250),
            (13, 190_000),
            (14, 189_500),
        ];
        let reports = recorded(&sent);
        assert_eq!(reports.len(), 1);
        let got = arrivals(&reports[0]);
        let seqs: Vec<u16> = got.iter().map(|a| a.seq).collect();
        assert_eq!(seqs, (8..=14).collect::<Vec<_>>());
        let lost: Vec<u16> = got
            .iter()
            .filter(|a| a.at_us.is_none())
            .map(|a| a.seq)
            .collect();
        assert_eq!(lost, [10, 12]);
        // The clock's origin is the reference time; differences are exact
        // to the 250 µs the format carries.
        let at = |seq: u16| got.iter().find(|a| a.seq == seq).unwrap().at_us.unwrap();
        assert_eq!(at(9) - at(8), 1_000);
        assert_eq!(at(11) - at(8), 3_250);
        assert_eq!(at(13) - at(8), 90_000);
        assert_eq!(at(14) - at(13), -500);
    }

    #[test]
    fn a_long_report_in_vector_and_run_chunks_keeps_every_packet() {
        // 200 packets across the wrap, every 7th of the first 100 lost:
        // status vectors, then run-length chunks.
        let sent: Vec<(u16, i64)> = (0..200u16)
            .filter(|i| *i >= 100 || i % 7 != 3)
            .map(|i| (65_500u16.wrapping_add(i), 5_000 * i64::from(i)))
            .collect();
        let got: Vec<Arrival> = recorded(&sent).iter().flat_map(arrivals).collect();
        let received: Vec<u16> = got
            .iter()
            .filter(|a| a.at_us.is_some())
            .map(|a| a.seq)
            .collect();
        let expected: Vec<u16> = sent.iter().map(|(s, _)| *s).collect();
        assert_eq!(received, expected);
        assert_eq!(got.iter().filter(|a| a.at_us.is_none()).count(), 14);
    }

    #[test]
    fn sequence_numbers_unwrap_across_the_wrap_and_back() {
        let mut u = Unwrapper::default();
        let first = u.unwrap(65_534);
        assert_eq!(u.unwrap(65_535), first + 1);
        assert_eq!(u.unwrap(1), first + 3);
        assert_eq!(u.peek(65_535), first + 1, "a late one stays behind");
        assert_eq!(u.unwrap(0), first + 2);
        assert_eq!(u.unwrap(2), first + 4);
    }
}
