//! Who should be in whose slots, from the meeting's placement and the
//! sources that exist: a participant receives only its current room, never
//! itself, only unmuted mics and cameras that are on; audio slots go to the
//! most recent and loudest talkers, video slots in join order. Listening
//! slots get the talkers of the room listened in on the same way; the
//! all-rooms slot gets the voice speaking to all rooms (muted or not), which
//! leads the room's audio slots of a connection without one. The screen
//! slot gets the screen shared in the subscriber's room.

use std::collections::BTreeMap;
use std::sync::Arc;

use breakout_core::ParticipantId;

use super::Placement;
use super::slots;
use super::upstream::Upstream;

/// What the planner needs of one connection.
pub struct PeerView<'a> {
    pub mic: Option<&'a Arc<Upstream>>,
    /// Whether any layer of their camera arrived.
    pub camera: bool,
    /// Current occupants of the room's audio slots.
    pub audio: Vec<Option<&'a Arc<Upstream>>>,
    /// Current occupants of the listening slots.
    pub listen: Vec<Option<&'a Arc<Upstream>>>,
    /// The current occupant of the all-rooms slot; `None` without one.
    pub all_rooms: Option<Option<&'a Arc<Upstream>>>,
    /// Whom the video slots show now.
    pub video: Vec<Option<ParticipantId>>,
    /// Their screen track, once it arrived.
    pub screen_track: Option<&'a Arc<Upstream>>,
    /// The current occupant of the screen slot; `None` without one.
    pub screen: Option<Option<&'a Arc<Upstream>>>,
}

/// What one subscriber's slots should carry.
pub struct Assignment {
    /// The room's audio slot changes: `(slot index, new source)`.
    pub audio: Vec<(usize, Option<Arc<Upstream>>)>,
    /// Listening slot changes: `(index among them, new source)`.
    pub listen: Vec<(usize, Option<Arc<Upstream>>)>,
    /// The all-rooms slot's new source, when it changes.
    pub all_rooms: Option<Option<Arc<Upstream>>>,
    /// Whom each video slot shows (which layer is for [`super::layers`]).
    pub video: Vec<Option<ParticipantId>>,
    /// The screen slot's new source, when it changes.
    pub screen: Option<Option<Arc<Upstream>>>,
}

pub fn plan(
    placement: &Placement,
    peers: &BTreeMap<ParticipantId, PeerView<'_>>,
) -> Vec<(ParticipantId, Assignment)> {
    let to_all = placement
        .speaking_to_all
        .and_then(|who| peers.get(&who))
        .and_then(|peer| peer.mic);
    let mut plan = Vec::new();
    for (subscriber, view) in peers {
        let Some(me) = placement.members.get(subscriber) else {
            continue;
        };
        let voice = to_all.filter(|source| source.publisher != *subscriber);
        // The voice to all rooms has a slot of its own, or leads the room's.
        let dedicated = view.all_rooms.is_some();
        let talkers_of = |room, current: &[Option<&Arc<Upstream>>]| {
            let mut talkers: Vec<&Arc<Upstream>> = peers
                .iter()
                .filter(|(who, _)| {
                    *who != subscriber
                        && placement
                            .members
                            .get(who)
                            .is_some_and(|m| m.room == room && m.mic)
                })
                .filter_map(|(_, peer)| peer.mic)
                .filter(|source| !(dedicated && voice.is_some_and(|v| Arc::ptr_eq(v, source))))
                .collect();
            rank(&mut talkers, current);
            talkers
        };
        let mut talkers = talkers_of(me.room, &view.audio);
        if let (false, Some(voice)) = (dedicated, voice) {
            talkers.retain(|source| !Arc::ptr_eq(source, voice));
            talkers.insert(0, voice);
        }
        let audio = diff(&view.audio, &talkers);
        let listened = me.listening.filter(|room| *room != me.room);
        let heard = listened
            .map(|room| talkers_of(room, &view.listen))
            .unwrap_or_default();
        let listen = diff(&view.listen, &heard);
        let all_rooms = view
            .all_rooms
            .and_then(|current| (!same_source(current, voice)).then(|| voice.cloned()));
        let roommates = || {
            peers.iter().filter(|(who, _)| {
                *who != subscriber
                    && placement
                        .members
                        .get(who)
                        .is_some_and(|m| m.room == me.room)
            })
        };
        let cameras: Vec<ParticipantId> = roommates()
            .filter(|(who, _)| placement.members.get(who).is_some_and(|m| m.camera))
            .filter(|(_, peer)| peer.camera)
            .map(|(who, _)| *who)
            .collect();
        let mut video = view.video.clone();
        slots::assign(&mut video, &cameras);
        let shared = roommates()
            .find(|(who, _)| placement.members.get(who).is_some_and(|m| m.sharing))
            .and_then(|(_, peer)| peer.screen_track);
        let screen = view
            .screen
            .and_then(|current| (!same_source(current, shared)).then(|| shared.cloned()));
        plan.push((
            *subscriber,
            Assignment {
                audio,
                listen,
                all_rooms,
                video,
                screen,
            },
        ));
    }
    plan
}

fn same_source(a: Option<&Arc<Upstream>>, b: Option<&Arc<Upstream>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Recent voice first; among equals a current occupant of `current` stays
/// (no flapping between two talkers), then the louder one.
fn rank(talkers: &mut [&Arc<Upstream>], current: &[Option<&Arc<Upstream>>]) {
    talkers.sort_by_key(|source| {
        let (recent, loudness) = source.loudness();
        let holding = current.iter().flatten().any(|s| Arc::ptr_eq(s, source));
        std::cmp::Reverse((
            recent,
            holding,
            loudness,
            std::cmp::Reverse(source.publisher),
        ))
    });
}

/// The switches that take `current` to the best of `ranked`. A participant
/// whose source object changed (a reconnected publisher) is switched too.
fn diff(
    current: &[Option<&Arc<Upstream>>],
    ranked: &[&Arc<Upstream>],
) -> Vec<(usize, Option<Arc<Upstream>>)> {
    let mut occupants: Vec<Option<ParticipantId>> =
        current.iter().map(|s| s.map(|u| u.publisher)).collect();
    let order: Vec<ParticipantId> = ranked.iter().map(|u| u.publisher).collect();
    slots::assign(&mut occupants, &order);
    let mut changes = Vec::new();
    for (i, wanted) in occupants.iter().enumerate() {
        let source = wanted.and_then(|p| ranked.iter().find(|u| u.publisher == p));
        if !same_source(current[i], source.copied()) {
            changes.push((i, source.map(|u| Arc::clone(u))));
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
            None,
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
            listening: None,
            sharing: false,
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
        // Participant 6 talks; the others are silent.
        mics[5].note_audio(Some(20));
        let mut peers = BTreeMap::new();
        for id in 1..=8u64 {
            let i = id as usize - 1;
            let view = PeerView {
                mic: Some(&mics[i]),
                camera: true,
                audio: vec![None; 4],
                listen: vec![None; 2],
                all_rooms: Some(None),
                video: vec![None; 9],
                screen_track: None,
                screen: None,
            };
            peers.insert(ParticipantId(id), view);
        }
        let plan = plan(&placement, &peers);
        let (_, assignment) = plan
            .iter()
            .find(|(who, _)| *who == ParticipantId(1))
            .expect("a plan for participant 1");
        let audio: Vec<u64> = assignment
            .audio
            .iter()
            .filter_map(|(_, s)| s.as_ref().map(|u| u.publisher.0))
            .collect();
        let video: Vec<u64> = assignment.video.iter().flatten().map(|p| p.0).collect();
        // Five unmuted talkers for four slots: the one talking is in.
        assert_eq!(audio.len(), 4);
        assert!(audio.contains(&6), "{audio:?}");
        assert!(!audio.contains(&1) && !audio.contains(&7) && !audio.contains(&8));
        // Cameras on in room 1, not self: 2, 4, 5, 6, 7 in join order.
        assert_eq!(video, vec![2, 4, 5, 6, 7]);
    }

    fn audio_of(assignment: &Assignment) -> Vec<u64> {
        assignment
            .audio
            .iter()
            .filter_map(|(_, s)| s.as_ref().map(|u| u.publisher.0))
            .collect()
    }

    #[test]
    fn listening_slots_carry_the_room_listened_to_and_the_voice_to_all_its_own() {
        let mut placement = Placement::default();
        // 1 listens to room 2 from room 1; 2 and 3 talk in room 2; 4 (muted,
        // in room 3) speaks to all rooms.
        let mut host = member(1, true, false);
        host.listening = Some(RoomId(2));
        placement.members.insert(ParticipantId(1), host);
        placement
            .members
            .insert(ParticipantId(2), member(2, true, false));
        placement
            .members
            .insert(ParticipantId(3), member(2, true, false));
        placement
            .members
            .insert(ParticipantId(4), member(3, false, false));
        placement
            .members
            .insert(ParticipantId(5), member(1, true, false));
        placement.speaking_to_all = Some(ParticipantId(4));
        let mics: Vec<_> = (1..=5).map(|id| source(id, MediaKind::Audio)).collect();
        let mut peers = BTreeMap::new();
        for id in 1..=5u64 {
            // 5 is an older client: no listening or all-rooms slots.
            let old = id == 5;
            let view = PeerView {
                mic: Some(&mics[id as usize - 1]),
                camera: false,
                audio: vec![None; 4],
                listen: vec![None; if old { 0 } else { 2 }],
                all_rooms: (!old).then_some(None),
                video: vec![None; 9],
                screen_track: None,
                screen: None,
            };
            peers.insert(ParticipantId(id), view);
        }
        let plan: BTreeMap<ParticipantId, Assignment> =
            plan(&placement, &peers).into_iter().collect();
        let host = &plan[&ParticipantId(1)];
        let mut heard: Vec<u64> = host
            .listen
            .iter()
            .filter_map(|(_, s)| s.as_ref().map(|u| u.publisher.0))
            .collect();
        heard.sort();
        assert_eq!(heard, vec![2, 3], "the listening slots carry room 2");
        // Room 1's slots: 5 only; the voice to all has its own slot.
        assert_eq!(audio_of(host), vec![5]);
        let to_all = host.all_rooms.as_ref().expect("the all-rooms slot changes");
        assert_eq!(to_all.as_ref().map(|u| u.publisher.0), Some(4));
        // Room 2 does not hear its listener, and hears the voice to all.
        let two = &plan[&ParticipantId(2)];
        assert_eq!(audio_of(two), vec![3]);
        assert!(two.listen.is_empty());
        // The speaker does not hear itself.
        assert!(plan[&ParticipantId(4)].all_rooms.is_none());
        // The older client hears the voice to all first among its room's.
        assert_eq!(audio_of(&plan[&ParticipantId(5)]), vec![4, 1]);
    }

    #[test]
    fn the_screen_slot_carries_the_screen_shared_in_ones_room() {
        let mut placement = Placement::default();
        // 1 shares in room 1; 2 is there too, 3 in room 2; 4 in room 1 has
        // no screen slot (an older client).
        let mut sharer = member(1, true, true);
        sharer.sharing = true;
        placement.members.insert(ParticipantId(1), sharer);
        placement
            .members
            .insert(ParticipantId(2), member(1, true, true));
        placement
            .members
            .insert(ParticipantId(3), member(2, true, true));
        placement
            .members
            .insert(ParticipantId(4), member(1, true, true));
        let screen = source(1, MediaKind::Video);
        let mut peers = BTreeMap::new();
        for id in 1..=4u64 {
            let view = PeerView {
                mic: None,
                camera: false,
                audio: vec![None; 4],
                listen: vec![],
                all_rooms: None,
                video: vec![None; 9],
                screen_track: (id == 1).then_some(&screen),
                screen: (id != 4).then_some(None),
            };
            peers.insert(ParticipantId(id), view);
        }
        let plan: BTreeMap<ParticipantId, Assignment> =
            plan(&placement, &peers).into_iter().collect();
        let shown = |id: u64| {
            plan[&ParticipantId(id)]
                .screen
                .as_ref()
                .map(|s| s.as_ref().map(|u| u.publisher.0))
        };
        assert_eq!(shown(2), Some(Some(1)), "the room sees the screen");
        assert_eq!(shown(1), None, "the sharer's own slot stays empty");
        assert_eq!(shown(3), None, "another room does not");
        assert_eq!(shown(4), None, "no slot, no screen");
        // Once the slot shows it, nothing changes; a stop empties it.
        peers.get_mut(&ParticipantId(2)).expect("peer").screen = Some(Some(&screen));
        let again: BTreeMap<ParticipantId, Assignment> =
            super::plan(&placement, &peers).into_iter().collect();
        assert!(again[&ParticipantId(2)].screen.is_none());
        placement
            .members
            .get_mut(&ParticipantId(1))
            .expect("sharer")
            .sharing = false;
        let stopped: BTreeMap<ParticipantId, Assignment> =
            super::plan(&placement, &peers).into_iter().collect();
        assert!(matches!(stopped[&ParticipantId(2)].screen, Some(None)));
    }
}
