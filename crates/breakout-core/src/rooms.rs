//! Room layout: configuration, creating, renaming, opening and deleting rooms.

use crate::meeting::{Out, Room};
use crate::{
    Actor, BreakoutConfig, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal, RoomId,
    Timestamp,
};

impl Meeting {
    pub(crate) fn configure(
        &mut self,
        actor: Actor,
        config: BreakoutConfig,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "configure breakouts")?;
        config.validate()?;
        self.config = config.clone();
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::ConfigChanged { config },
        });
        Ok(())
    }

    /// Replaces every breakout room with `count` fresh ones (a new round with
    /// new rooms); assignments to the old rooms are dropped.
    pub(crate) fn create_rooms(
        &mut self,
        actor: Actor,
        count: u16,
        names: Vec<String>,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "create rooms")?;
        self.require_idle()?;
        let count = usize::from(count);
        if count == 0 || count > Self::MAX_ROOMS {
            return Err(Refusal::InvalidInput {
                reason: format!("room count must be between 1 and {}", Self::MAX_ROOMS),
            });
        }
        if names.len() > count {
            return Err(Refusal::InvalidInput {
                reason: "more names than rooms".into(),
            });
        }
        let titles = (0..count)
            .map(|i| match names.get(i) {
                Some(name) => crate::names::clean_label(name, "a room name", Self::MAX_NAME_CHARS),
                None => Ok(format!("Room {}", i + 1)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut folded = std::collections::BTreeSet::from([crate::csv_io::fold(Self::MAIN_TITLE)]);
        if let Some(twin) = titles
            .iter()
            .find(|t| !folded.insert(crate::csv_io::fold(t)))
        {
            return Err(Refusal::InvalidInput {
                reason: format!(
                    "the room name {twin:?} is given twice; room names must differ by more than case"
                ),
            });
        }
        let old: Vec<RoomId> = self.breakout_rooms().map(|r| r.id).collect();
        self.drop_rooms(&old, out);
        let rooms = titles
            .into_iter()
            .map(|title| self.insert_room(title, true))
            .collect();
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        out.push(Event {
            to: Recipients::Managers,
            body: EventBody::RoomsCreated { rooms },
        });
        Ok(())
    }

    pub(crate) fn add_room(
        &mut self,
        actor: Actor,
        title: Option<String>,
        open: bool,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "add rooms")?;
        if self.rooms.len() > Self::MAX_ROOMS {
            return Err(Refusal::InvalidInput {
                reason: format!("a meeting has at most {} rooms", Self::MAX_ROOMS),
            });
        }
        let title = match title {
            Some(t) => crate::names::clean_label(&t, "a room name", Self::MAX_NAME_CHARS)?,
            None => self.free_title(),
        };
        self.require_distinct_title(&title, None)?;
        let room = self.insert_room(title, open);
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        out.push(Event {
            to: Recipients::Managers,
            body: EventBody::RoomsCreated { rooms: vec![room] },
        });
        Ok(())
    }

    pub(crate) fn rename_room(
        &mut self,
        actor: Actor,
        room: RoomId,
        title: String,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "rename rooms")?;
        let title = crate::names::clean_label(&title, "a room name", Self::MAX_NAME_CHARS)?;
        self.breakout_mut(room)?;
        self.require_distinct_title(&title, Some(room))?;
        self.breakout_mut(room)?.title = title;
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        Ok(())
    }

    pub(crate) fn set_room_open(
        &mut self,
        actor: Actor,
        room: RoomId,
        open: bool,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "change who may enter a room")?;
        self.breakout_mut(room)?.open = open;
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        Ok(())
    }

    pub(crate) fn delete_room(
        &mut self,
        actor: Actor,
        room: RoomId,
        _now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "delete rooms")?;
        self.breakout_mut(room)?;
        self.require_idle()?;
        self.drop_rooms(&[room], out);
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        Ok(())
    }

    pub(crate) fn clear_rooms(
        &mut self,
        actor: Actor,
        _now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "delete rooms")?;
        self.require_idle()?;
        let all: Vec<RoomId> = self.breakout_rooms().map(|r| r.id).collect();
        self.drop_rooms(&all, out);
        self.met.clear();
        out.push(Event {
            to: Recipients::Everyone,
            body: EventBody::RoomsChanged,
        });
        Ok(())
    }

    /// "Room n" for the first n from the room count that no room is called
    /// yet: after a delete the count alone would repeat a title, and CSV
    /// import tells rooms apart by title.
    fn free_title(&self) -> String {
        (self.rooms.len()..)
            .map(|n| format!("Room {n}"))
            .find(|t| !self.rooms.values().any(|r| r.title.eq_ignore_ascii_case(t)))
            .expect("a meeting has fewer rooms than numbers")
    }

    fn breakout_mut(&mut self, room: RoomId) -> Result<&mut Room, Refusal> {
        if room.is_main() {
            return Err(Refusal::MainRoomIsFixed);
        }
        self.rooms.get_mut(&room).ok_or(Refusal::RoomNotFound(room))
    }

    pub(crate) fn insert_room(&mut self, title: String, open: bool) -> RoomId {
        let id = RoomId(self.next_room);
        self.next_room += 1;
        self.rooms.insert(
            id,
            Room {
                id,
                title,
                open,
                members: Default::default(),
                chat: Vec::new(),
                recording: false,
                sharing: None,
            },
        );
        id
    }

    /// Removes rooms: whoever is inside goes to main, assignments and polls
    /// of those rooms go with them. Main's history is never touched.
    fn drop_rooms(&mut self, rooms: &[RoomId], out: &mut Out) {
        let inside: Vec<(ParticipantId, RoomId)> = rooms
            .iter()
            .flat_map(|r| self.occupants(*r).collect::<Vec<_>>())
            .map(|p| (p, RoomId::MAIN))
            .collect();
        self.move_now(inside, out);
        let unassigned: Vec<ParticipantId> = self
            .participants
            .values()
            .filter(|p| p.assigned.is_some_and(|a| rooms.contains(&a)))
            .map(|p| p.id)
            .collect();
        for who in unassigned {
            self.set_assignment(who, None, out);
        }
        for room in rooms {
            if let Some(gone) = self.rooms.remove(room) {
                self.forget_chat(&gone.chat);
            }
        }
        self.polls.retain(|_, poll| !rooms.contains(&poll.room));
        self.stop_listening_to(rooms);
        let stale: Vec<ParticipantId> = self
            .participants
            .values()
            .filter(|p| p.invited.is_some_and(|r| rooms.contains(&r)))
            .map(|p| p.id)
            .collect();
        for who in stale {
            self.participants.get_mut(&who).expect("listed").invited = None;
        }
    }
}
