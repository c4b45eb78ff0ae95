//! Per-room chat. History stays with its room; main's outlives every breakout.

use crate::meeting::{ChatMessage, Out};
use crate::{Actor, Event, EventBody, Meeting, Recipients, Refusal, Timestamp};

impl Meeting {
    pub(crate) fn chat(
        &mut self,
        actor: Actor,
        text: String,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.authorize(actor, "chat", |p| p.chat)?;
        let person = self.sender(actor)?;
        let text = Self::valid_text(&text, "the message", Self::MAX_TEXT_CHARS)?;
        let message = ChatMessage {
            id: self.next_chat,
            room: person.room,
            from: person.id,
            name: person.name.clone(),
            text,
            at: now,
        };
        self.next_chat += 1;
        let room = message.room;
        self.rooms
            .get_mut(&room)
            .expect("a person is always in an existing room")
            .chat
            .push(message.clone());
        out.push(Event {
            to: Recipients::Many(self.occupants(room).collect()),
            body: EventBody::Chat { message },
        });
        Ok(())
    }
}
