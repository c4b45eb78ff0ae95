//! Who should be in whose slots, from the meeting's placement and the
//! sources that exist: a participant receives only its current room, never
//! itself, only unmuted mics and cameras that are on; audio slots go to the
//! most recent and loudest talkers, video slots in join order.

use std::collections::BTreeMap;
use std::sync::Arc;

use breakout_core::ParticipantId;

use super::Placement;
use super::slots;
use super::upstream::Upstream;

/// What the planner needs of one connection.
pub struct PeerView<'a> {
    pub mic: Option<&'a Arc<Upstream>>,
    pub camera: Option<&'a Arc<Upstream>>,
    /// Current occupants: audio slots, then video slots.
    pub slots: Vec<Option<&'a Arc<Upstream>>>,
    pub audio_slots: usize,
}

/// Slot changes per subscriber: `(slot index, new source)`.
pub type Plan = Vec<(ParticipantId, Vec<(usize, Option<Arc<Upstream>>)>)>;

pub fn plan(
    placement: &Placement,
    peers: &BTreeMap<ParticipantId, PeerView<'_>>,
    audio_only: bool,
) -> Plan {
    let mut plan = Vec::new();
    for (subscriber, view) in peers {
        let Some(me) = placement.members.get(subscriber) else {
            continue;
        };
        let roommates = || {
            peers.iter().filter(|(who, _)| {
                *who != subscriber
                    && placement
                        .members
                        .get(who)
                        .is_some_and(|m| m.room == me.room)
            })
        };
        let mut talkers: Vec<&Arc<Upstream>> = roommates()
            .filter(|(who, _)| placement.members.get(who).is_some_and(|m| m.mic))
            .filter_map(|(_, peer)| peer.mic)
            .collect();
        let (audio, video) = view.slots.split_at(view.audio_slots);
        // Recent voice first; among equals the current occupant stays (no
        // flapping between two talkers), then the louder one.
        talkers.sort_by_key(|source| {
            let (recent, loudness) = source.loudness();
            let holding = audio.iter().flatten().any(|s| Arc::ptr_eq(s, source));
            std::cmp::Reverse((
                recent,
                holding,
                loudness,
                std::cmp::Reverse(source.publisher),
            ))
        });
        let mut changes = diff(audio, &talkers, 0);
        if !audio_only {
            let cameras: Vec<&Arc<Upstream>> = roommates()
                .filter(|(who, _)| placement.members.get(who).is_some_and(|m| m.camera))
                .filter_map(|(_, peer)| peer.camera)
                .collect();
            changes.extend(diff(video, &cameras, view.audio_slots));
        }
        if !changes.is_empty() {
            plan.push((*subscriber, changes));
        }
    }
    plan
}

/// The switches that take `current` to the best of `ranked`, with slot
/// indexes offset by `base`. A participant whose source object changed (a
/// reconnected publisher) is switched too.
fn diff(
    current: &[Option<&Arc<Upstream>>],
    ranked: &[&Arc<Upstream>],
    base: usize,
) -> Vec<(usize, Option<Arc<Upstream>>)> {
    let mut occupants: Vec<Option<ParticipantId>> =
        current.iter().map(|s| s.map(|u| u.publisher)).collect();
    let order: Vec<ParticipantId> = ranked.iter().map(|u| u.publisher).collect();
    slots::assign(&mut occupants, &order);
    let mut changes = Vec::new();
    for (i, wanted) in occupants.iter().enumerate() {
        let source = wanted.and_then(|p| ranked.iter().find(|u| u.publisher == p));
        let same = match (current[i], source) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            changes.push((base + i, source.map(|u| Arc::clone(u))));
        }
    }
    changes
}
