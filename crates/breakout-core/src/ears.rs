//! The host's ears and voice across rooms: listening in on a room one is
//! not in, and speaking to every room at once. Neither moves anyone nor
//! touches anyone's mic or camera; the media plane reads both from the
//! meeting ([`Participant::listening`](crate::Participant::listening),
//! [`Meeting::speaking_to_all`]) and forwards accordingly.

use crate::meeting::Out;
use crate::{Actor, Meeting, ParticipantId, Refusal, RoomId};

impl Meeting {
    /// Who is heard in every room now, if anyone.
    pub fn speaking_to_all(&self) -> Option<ParticipantId> {
        self.speaking_to_all
    }

    /// Those listening in on `room` from elsewhere, in id order.
    pub fn listeners(&self, room: RoomId) -> Vec<ParticipantId> {
        self.managers()
            .filter(|id| {
                self.participants
                    .get(id)
                    .is_some_and(|p| p.listening == Some(room))
            })
            .collect()
    }

    pub(crate) fn listen_in(
        &mut self,
        actor: Actor,
        room: Option<RoomId>,
        _out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "listen in on rooms")?;
        let me = self.sender(actor)?;
        let id = me.id;
        if let Some(room) = room {
            self.require_room(room)?;
            if me.room == room {
                return Err(Refusal::ListenToOwnRoom(room));
            }
        }
        if let Some(person) = self.participants.get_mut(&id) {
            person.listening = room;
        }
        Ok(())
    }

    pub(crate) fn speak_to_all(
        &mut self,
        actor: Actor,
        active: bool,
        _out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "speak to all rooms")?;
        let id = self.sender(actor)?.id;
        match (active, self.speaking_to_all) {
            (true, Some(other)) if other != id => Err(Refusal::SpeakToAllTaken {
                name: self.person(other)?.name.clone(),
            }),
            (true, _) => {
                self.speaking_to_all = Some(id);
                Ok(())
            }
            // Letting go when someone else speaks changes nothing.
            (false, current) => {
                if current == Some(id) {
                    self.speaking_to_all = None;
                }
                Ok(())
            }
        }
    }

    /// Someone left or lost their connection: they neither listen nor
    /// speak to all any more (a held button cannot be released by a
    /// client that is gone).
    pub(crate) fn silence(&mut self, id: ParticipantId, out: &mut Out) {
        if let Some(person) = self.participants.get_mut(&id) {
            person.listening = None;
        }
        if self.speaking_to_all == Some(id) {
            self.speaking_to_all = None;
        }
        if self.stop_sharing(id) {
            out.push(crate::screen::rooms_changed());
        }
    }

    /// Rooms went away: nobody listens to them any more.
    pub(crate) fn stop_listening_to(&mut self, rooms: &[RoomId]) {
        for person in self.participants.values_mut() {
            if person.listening.is_some_and(|r| rooms.contains(&r)) {
                person.listening = None;
            }
        }
    }
}
