//! Per-room chat. History stays with its room; main's outlives every breakout.
//!
//! History has a budget per meeting so that one meeting's chat cannot grow
//! without bound: a room keeps its newest [`Meeting::MAX_CHAT_PER_ROOM`]
//! messages, and the whole meeting at most [`Meeting::MAX_CHAT_BYTES`] of
//! text (names included), dropping its oldest messages first, whichever room
//! they are in. Dropping is silent: everyone who was there received the
//! message when it was sent; only later reads of the history miss it.

use crate::meeting::{ChatMessage, Out};
use crate::{Actor, Event, EventBody, Meeting, Recipients, Refusal, RoomId, Timestamp};

impl Meeting {
    pub const MAX_CHAT_PER_ROOM: usize = 1_000;
    pub const MAX_CHAT_BYTES: usize = 4 * 1024 * 1024;

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
        self.chat_bytes += cost(&message);
        let history = &mut self
            .rooms
            .get_mut(&room)
            .expect("a person is always in an existing room")
            .chat;
        history.push(message.clone());
        let over = history.len().saturating_sub(Self::MAX_CHAT_PER_ROOM);
        let dropped: Vec<ChatMessage> = history.drain(..over).collect();
        self.forget_chat(&dropped);
        self.keep_chat_budget();
        out.push(Event {
            to: Recipients::Many(self.occupants(room).collect()),
            body: EventBody::Chat { message },
        });
        Ok(())
    }

    /// Drops the meeting's oldest messages until its history fits the budget.
    fn keep_chat_budget(&mut self) {
        while self.chat_bytes > Self::MAX_CHAT_BYTES {
            let oldest = self
                .rooms
                .values()
                .filter_map(|r| r.chat.first().map(|m| (m.id, r.id)))
                .min();
            let Some((_, room)) = oldest else {
                self.chat_bytes = 0;
                return;
            };
            let history = &mut self.rooms.get_mut(&room).expect("just found").chat;
            let message = history.remove(0);
            self.forget_chat(std::slice::from_ref(&message));
        }
    }

    /// Takes messages that left the history off the budget.
    pub(crate) fn forget_chat(&mut self, messages: &[ChatMessage]) {
        let bytes: usize = messages.iter().map(cost).sum();
        self.chat_bytes = self.chat_bytes.saturating_sub(bytes);
    }

    /// Bytes of chat history held, over all rooms.
    pub fn chat_bytes(&self) -> usize {
        self.chat_bytes
    }

    /// Chat history of a room, oldest first (empty for a missing room; see
    /// [`Meeting::chat_for`] for the checked read).
    pub fn chat_history(&self, room: RoomId) -> &[ChatMessage] {
        self.rooms.get(&room).map_or(&[], |r| &r.chat)
    }
}

fn cost(message: &ChatMessage) -> usize {
    message.text.len() + message.name.len()
}
