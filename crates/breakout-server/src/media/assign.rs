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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use breakout_core::RoomId;
    use breakout_protocol::media::MediaKind;
    use tokio::sync::mpsc;

    use super::*;
    use crate::media::Member;

    fn source(id: u64, kind: MediaKind) -> Arc<Upstream> {
        let (tx, _rx) = mpsc::channel(1);
        Arc::new(Upstream::new(
            ParticipantId(id),
            kind,
            id as u32,
            tx,
            Instant::now(),
        ))
    }

    fn member(room: u32, mic: bool, camera: bool) -> Member {
        Member {
            room: RoomId(room),
            mic,
            camera,
        }
    }

    #[test]
    fn only_the_own_room_unmuted_and_the_loudest_talkers() {
        let mut placement = Placement::default();
        placement
            .members
            .insert(ParticipantId(1), member(1, true, true));
        for id in 2..=6 {
            placement
                .members
                .insert(ParticipantId(id), member(1, true, id != 3));
        }
        placement
            .members
            .insert(ParticipantId(7), member(1, false, true)); // muted
        placement
            .members
            .insert(ParticipantId(8), member(2, true, true)); // other room
        let mics: Vec<_> = (1..=8).map(|id| source(id, MediaKind::Audio)).collect();
        let cameras: Vec<_> = (1..=8).map(|id| source(id, MediaKind::Video)).collect();
        // Participant 6 talks; the others are silent.
        mics[5].note_audio(Some(20));
        let mut peers = BTreeMap::new();
        for id in 1..=8u64 {
            let i = id as usize - 1;
            let view = PeerView {
                mic: Some(&mics[i]),
                camera: Some(&cameras[i]),
                slots: vec![None; 4 + 9],
                audio_slots: 4,
            };
            peers.insert(ParticipantId(id), view);
        }
        let plan = plan(&placement, &peers, false);
        let (_, changes) = plan
            .iter()
            .find(|(who, _)| *who == ParticipantId(1))
            .expect("a plan for participant 1");
        let audio: Vec<u64> = changes
            .iter()
            .filter(|(slot, _)| *slot < 4)
            .filter_map(|(_, s)| s.as_ref().map(|u| u.publisher.0))
            .collect();
        let video: Vec<u64> = changes
            .iter()
            .filter(|(slot, _)| *slot >= 4)
            .filter_map(|(_, s)| s.as_ref().map(|u| u.publisher.0))
            .collect();
        // Five unmuted talkers for four slots: the one talking is in.
        assert_eq!(audio.len(), 4);
        assert!(audio.contains(&6), "{audio:?}");
        assert!(!audio.contains(&1) && !audio.contains(&7) && !audio.contains(&8));
        // Cameras on in room 1, not self: 2, 4, 5, 6, 7 in join order.
        assert_eq!(video, vec![2, 4, 5, 6, 7]);
    }
}
