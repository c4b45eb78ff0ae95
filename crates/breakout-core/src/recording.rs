//! Which rooms are recorded. The core only holds the switch per room and who
//! may flip it; the server records whoever is in a recorded room, so a move
//! in or out changes what the recording hears without any command here.

use crate::meeting::Out;
use crate::{Actor, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal, RoomId};

impl Meeting {
    /// The rooms being recorded now, in id order.
    pub fn recorded_rooms(&self) -> Vec<RoomId> {
        self.rooms
            .values()
            .filter(|room| room.recording)
            .map(|room| room.id)
            .collect()
    }

    /// Whether `who` may list and download the meeting's recordings: those
    /// who may start them.
    pub fn may_read_recordings(&self, who: ParticipantId) -> Result<(), Refusal> {
        self.person(who)?;
        self.require_manager(Actor::Participant(who), "list or download recordings")
    }

    /// Starts or stops recording `room`, or every room (`None`), main included.
    pub(crate) fn set_recording(
        &mut self,
        actor: Actor,
        room: Option<RoomId>,
        active: bool,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "record rooms")?;
        // A recording needs someone answerable for it, not the system.
        self.sender(actor)?;
        match room {
            Some(room) => {
                self.require_room(room)?;
                if let Some(room) = self.rooms.get_mut(&room) {
                    room.recording = active;
                }
            }
            None => {
                for room in self.rooms.values_mut() {
                    room.recording = active;
                }
            }
        }
        // Everyone in a recorded room must see that it is.
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        Ok(())
    }
}
