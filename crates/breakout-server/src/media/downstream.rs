//! One subscriber's fixed slots and the task that writes to them (LiveKit's
//! "downtrack"). Each slot has its own SSRC for the life of the connection;
//! the task rewrites sequence numbers, timestamps and the VP8 descriptor's
//! picture numbering so that a change of source is invisible to the
//! receiver's jitter and frame buffers, and holds a new video source back
//! until it starts a keyframe. A change to another simulcast layer of the
//! same publisher keeps forwarding the old layer until then, so the picture
//! never stops.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use breakout_protocol::media::MediaKind;
use tokio::sync::mpsc;

use breakout_core::ParticipantId;

use super::egress::SlotOutput;
use super::event::PeerEvent;
use super::rewrite::{Rewriter, Rewritten};
use super::stats::{Counter, PeerStats};
use super::upstream::{DownPacket, Upstream};
use super::vp8::Vp8Rewriter;

/// While a video slot waits for a keyframe, ask again this often (the first
/// request or its answer may be lost).
const KEYFRAME_RETRY: Duration = Duration::from_millis(150);

/// What the router and the RTCP reader know of a slot.
pub struct SlotShared {
    pub mid: String,
    pub kind: MediaKind,
    /// The source now feeding the slot; PLI/FIR from the subscriber go here.
    pub source: Mutex<Option<Arc<Upstream>>>,
    pub sent: Counter,
}

impl SlotShared {
    pub fn source(&self) -> Option<Arc<Upstream>> {
        self.source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_source(&self, source: Option<Arc<Upstream>>) {
        *self.source.lock().unwrap_or_else(|e| e.into_inner()) = source;
    }
}

pub enum DownControl {
    /// From now on `slot` carries `source` (or nothing). `seamless`: another
    /// layer of the publisher the slot forwards, which goes on until the new
    /// one starts a keyframe.
    Switch {
        slot: usize,
        source: Option<Arc<Upstream>>,
        seamless: bool,
    },
}

/// Who the writer tells when a video slot starts its new source (the
/// keyframe arrived), so the router can stop the layer it replaces.
pub struct Owner {
    pub participant: ParticipantId,
    pub generation: u64,
    pub events: mpsc::UnboundedSender<PeerEvent>,
}

pub struct SlotWriter {
    pub shared: Arc<SlotShared>,
    pub output: SlotOutput,
    pub clock_rate: u32,
}

struct SlotState {
    writer: SlotWriter,
    source: Option<Arc<Upstream>>,
    /// While a new layer's keyframe is awaited: the layer still forwarded.
    holding: Option<Arc<Upstream>>,
    rewriter: Rewriter,
    /// Video slots only: the payload descriptor's counters.
    vp8: Option<Vp8Rewriter>,
    waiting_for_keyframe: bool,
    last_keyframe_request: Option<Instant>,
}

/// Writes the subscriber's slots until the router drops the control side.
pub async fn run(
    slots: Vec<SlotWriter>,
    mut control: mpsc::UnboundedReceiver<DownControl>,
    mut packets: mpsc::Receiver<DownPacket>,
    stats: Arc<PeerStats>,
    owner: Owner,
) {
    let mut slots: Vec<SlotState> = slots
        .into_iter()
        .map(|writer| SlotState {
            rewriter: Rewriter::new(writer.clock_rate),
            vp8: (writer.shared.kind == MediaKind::Video).then(Vp8Rewriter::default),
            writer,
            source: None,
            holding: None,
            waiting_for_keyframe: false,
            last_keyframe_request: None,
        })
        .collect();
    loop {
        tokio::select! {
            // Switches first: packets of a new source queued behind them are
            // then accepted, those of the old one no longer.
            biased;
            command = control.recv() => match command {
                Some(DownControl::Switch { slot, source, seamless }) => {
                    if let Some(state) = slots.get_mut(slot) {
                        switch(state, source, seamless);
                    }
                }
                None => break,
            },
            packet = packets.recv() => match packet {
                Some(packet) => {
                    if let Some(state) = slots.get_mut(packet.slot) {
                        let slot = packet.slot;
                        if let Some(source) = forward(state, packet, &stats).await {
                            let _ = owner.events.send(PeerEvent::SlotStarted {
                                participant: owner.participant,
                                generation: owner.generation,
                                slot,
                                source,
                            });
                        }
                    }
                }
                None => break,
            },
        }
    }
}

fn switch(state: &mut SlotState, source: Option<Arc<Upstream>>, seamless: bool) {
    let forwarded = if state.waiting_for_keyframe {
        state.holding.clone()
    } else {
        state.source.clone()
    };
    if let (true, Some(new), Some(forwarded)) = (seamless, &source, forwarded) {
        if forwarded.id == new.id {
            // Back to the layer still forwarded: nothing to wait for.
            state.holding = None;
            state.waiting_for_keyframe = false;
        } else {
            state.holding = Some(forwarded);
            state.waiting_for_keyframe = true;
            state.last_keyframe_request = Some(Instant::now());
        }
        state.source = source;
        return;
    }
    state.holding = None;
    state.rewriter.switch();
    if let Some(vp8) = &mut state.vp8 {
        vp8.switch();
    }
    state.waiting_for_keyframe = state.writer.shared.kind == MediaKind::Video;
    state.last_keyframe_request = source.as_ref().map(|_| Instant::now());
    state.source = source;
}

/// Writes one packet if the slot takes it; returns the source's id when
/// this packet is the keyframe a switch waited for.
async fn forward(state: &mut SlotState, down: DownPacket, stats: &PeerStats) -> Option<u64> {
    let source = state.source.as_ref()?;
    let from_source = source.id == down.source;
    // The old layer is shown until the new one's keyframe; anything else
    // was queued before a switch.
    let from_holding = !from_source && state.holding.as_ref().is_some_and(|h| h.id == down.source);
    if !from_source && !from_holding {
        return None;
    }
    let mut started = None;
    if state.waiting_for_keyframe {
        if from_source && down.keyframe {
            state.waiting_for_keyframe = false;
            if state.holding.take().is_some() {
                // The new layer's numbering continues from the old one's.
                state.rewriter.switch();
                if let Some(vp8) = &mut state.vp8 {
                    vp8.switch();
                }
            }
            started = Some(down.source);
        } else {
            let now = Instant::now();
            if state
                .last_keyframe_request
                .is_none_or(|at| now.duration_since(at) >= KEYFRAME_RETRY)
            {
                state.last_keyframe_request = Some(now);
                source.request_keyframe();
            }
            if from_source {
                return None;
            }
        }
    }
    let mut packet = down.packet;
    match state.rewriter.rewrite(
        packet.header.sequence_number,
        packet.header.timestamp,
        Instant::now(),
    ) {
        Rewritten::Send { seq, timestamp } => {
            packet.header.sequence_number = seq;
            packet.header.timestamp = timestamp;
        }
        Rewritten::TooOld => return started,
    }
    if let Some(vp8) = &mut state.vp8 {
        packet.payload = vp8.rewrite(&packet.payload);
    }
    let size = packet.payload.len() + 12;
    // The output sets the slot's own SSRC and payload type.
    match state.writer.output.write(&mut packet).await {
        Ok(0) => {
            // The connection is not up yet (no SRTP): nothing reached the
            // subscriber, whose decoder will need a keyframe to start.
            if state.vp8.is_some() {
                state.waiting_for_keyframe = true;
            }
        }
        Ok(_) => {
            state.writer.shared.sent.add(size);
            stats.sent.add(size);
            crate::metrics::packet_forwarded();
        }
        Err(_) => {}
    }
    started
}
