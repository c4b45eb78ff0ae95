//! Screen sharing: one shared screen per room. The core holds whose screen
//! each room sees and who may share; the media plane forwards the sharer's
//! screen track to the room. A share belongs to the person, like their mic
//! and camera: it follows them through every move and ends when they leave
//! or lose their connection.

use crate::config::SecondSharer;
use crate::meeting::Out;
use crate::{Actor, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal, Role, RoomId};

impl Meeting {
    /// Whose screen `room` sees, if anyone shares there.
    pub fn sharer(&self, room: RoomId) -> Option<ParticipantId> {
        self.rooms.get(&room).and_then(|room| room.sharing)
    }

    /// Whether `id` may share: their preset allows it, or they are a
    /// participant and the meeting lets participants share.
    pub fn may_share_screen(&self, id: ParticipantId) -> bool {
        self.preset_of(id).is_some_and(|preset| {
            preset.permissions.share_screen
                || (preset.role == Role::Participant && self.config.participants_may_share)
        })
    }

    pub(crate) fn share_screen(
        &mut self,
        actor: Actor,
        active: bool,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        let me = self.sender(actor)?;
        let (id, room) = (me.id, me.room);
        if !active {
            if self.stop_sharing(id) {
                out.push(rooms_changed());
            }
            return Ok(());
        }
        if !self.may_share_screen(id) {
            return Err(Refusal::PermissionDenied {
                action: "share your screen",
            });
        }
        match self.sharer(room) {
            Some(current) if current == id => return Ok(()),
            Some(current) if self.config.second_sharer == SecondSharer::IsRefused => {
                return Err(Refusal::ScreenShareTaken {
                    name: self.person(current)?.name.clone(),
                });
            }
            _ => {}
        }
        if let Some(room) = self.rooms.get_mut(&room) {
            room.sharing = Some(id);
        }
        out.push(rooms_changed());
        Ok(())
    }

    /// Ends `id`'s share wherever it is; whether there was one.
    pub(crate) fn stop_sharing(&mut self, id: ParticipantId) -> bool {
        let mut stopped = false;
        for room in self.rooms.values_mut() {
            if room.sharing == Some(id) {
                room.sharing = None;
                stopped = true;
            }
        }
        stopped
    }

    /// `who` moved from `from` to `to`: their share moves with them. In a
    /// room where someone else shares, the meeting's setting decides as it
    /// does for a second sharer: the arriving share takes over, or it ends.
    pub(crate) fn carry_share(
        &mut self,
        who: ParticipantId,
        from: RoomId,
        to: RoomId,
        out: &mut Out,
    ) {
        let Some(left) = self.rooms.get_mut(&from) else {
            return;
        };
        if left.sharing != Some(who) {
            return;
        }
        left.sharing = None;
        let refused = self.config.second_sharer == SecondSharer::IsRefused;
        if let Some(entered) = self.rooms.get_mut(&to)
            && (entered.sharing.is_none() || !refused)
        {
            entered.sharing = Some(who);
        }
        out.push(rooms_changed());
    }
}

/// Everyone sees every room's sharer in their view.
pub(crate) fn rooms_changed() -> Event {
    Event {
        to: Recipients::Everyone,
        body: EventBody::RoomsChanged,
    }
}

#[cfg(test)]
mod tests {
    use crate::{BreakoutConfig, Command, Meeting, ParticipantId, Refusal, RoomId, Timestamp};

    use super::*;

    const T0: Timestamp = Timestamp(1_000);

    fn add(meeting: &mut Meeting, id: u64, preset: &str) -> ParticipantId {
        let participant = ParticipantId(id);
        meeting
            .apply(
                Actor::System,
                Command::AddParticipant {
                    participant,
                    name: format!("P{id}"),
                    email: None,
                    preset: preset.into(),
                },
                T0,
            )
            .expect("added");
        participant
    }

    fn share(meeting: &mut Meeting, who: ParticipantId, active: bool) -> Result<(), Refusal> {
        meeting
            .apply(Actor::Participant(who), Command::ShareScreen { active }, T0)
            .map(|_| ())
    }

    fn configure(meeting: &mut Meeting, change: impl FnOnce(&mut BreakoutConfig)) {
        let mut config = meeting.config.clone();
        change(&mut config);
        meeting
            .apply(Actor::System, Command::Configure { config }, T0)
            .expect("configured");
    }

    /// A meeting with a host (1), a presenter (2), two participants (3, 4)
    /// and one breakout room.
    fn meeting() -> (Meeting, RoomId) {
        let mut meeting = Meeting::new();
        add(&mut meeting, 1, "host");
        add(&mut meeting, 2, "presenter");
        add(&mut meeting, 3, "participant");
        add(&mut meeting, 4, "participant");
        meeting
            .apply(
                Actor::System,
                Command::CreateRooms {
                    count: 1,
                    names: Vec::new(),
                },
                T0,
            )
            .expect("rooms");
        (meeting, RoomId(1))
    }

    #[test]
    fn presets_decide_who_shares_and_a_setting_lets_participants() {
        let (mut meeting, _) = meeting();
        let refused = share(&mut meeting, ParticipantId(3), true).expect_err("participant");
        assert_eq!(refused.code(), "permission_denied");
        assert!(
            refused.to_string().contains("share your screen"),
            "{refused}"
        );
        share(&mut meeting, ParticipantId(2), true).expect("a presenter shares");
        assert_eq!(meeting.sharer(RoomId::MAIN), Some(ParticipantId(2)));
        configure(&mut meeting, |c| c.participants_may_share = true);
        share(&mut meeting, ParticipantId(3), true).expect("now participants may");
        let view = meeting.view_for(ParticipantId(4), T0).expect("a view");
        let main = view
            .rooms
            .iter()
            .find(|r| r.id == RoomId::MAIN)
            .expect("main");
        assert_eq!(
            main.sharing,
            Some(ParticipantId(3)),
            "the new share replaced"
        );
    }

    #[test]
    fn a_second_sharer_replaces_or_is_refused_by_setting() {
        let (mut meeting, _) = meeting();
        share(&mut meeting, ParticipantId(1), true).expect("host shares");
        share(&mut meeting, ParticipantId(2), true).expect("replaces by default");
        assert_eq!(meeting.sharer(RoomId::MAIN), Some(ParticipantId(2)));
        configure(&mut meeting, |c| c.second_sharer = SecondSharer::IsRefused);
        let refused = share(&mut meeting, ParticipantId(1), true).expect_err("refused");
        assert_eq!(refused.code(), "screen_share_taken");
        assert!(refused.to_string().contains("P2"), "{refused}");
        assert_eq!(meeting.sharer(RoomId::MAIN), Some(ParticipantId(2)));
        // Stopping someone else's share is not possible; one's own is.
        share(&mut meeting, ParticipantId(1), false).expect("nothing to stop");
        assert_eq!(meeting.sharer(RoomId::MAIN), Some(ParticipantId(2)));
        share(&mut meeting, ParticipantId(2), false).expect("stopped");
        assert_eq!(meeting.sharer(RoomId::MAIN), None);
    }

    #[test]
    fn a_share_follows_its_sharer_and_ends_when_they_leave() {
        let (mut meeting, room) = meeting();
        meeting
            .apply(
                Actor::System,
                Command::SetConnected {
                    participant: ParticipantId(2),
                    connected: true,
                },
                T0,
            )
            .expect("connected");
        share(&mut meeting, ParticipantId(2), true).expect("shares");
        meeting
            .apply(
                Actor::System,
                Command::Assign {
                    participant: ParticipantId(2),
                    room: Some(room),
                },
                T0,
            )
            .expect("assigned");
        meeting
            .apply(Actor::Participant(ParticipantId(1)), Command::Start, T0)
            .expect("started");
        let moved = meeting.tick(Timestamp(T0.0 + 60_000));
        assert!(!moved.is_empty() || meeting.sharer(room).is_some());
        assert_eq!(
            meeting.sharer(room),
            Some(ParticipantId(2)),
            "carried along"
        );
        assert_eq!(meeting.sharer(RoomId::MAIN), None);
        meeting
            .apply(
                Actor::System,
                Command::SetConnected {
                    participant: ParticipantId(2),
                    connected: false,
                },
                Timestamp(T0.0 + 61_000),
            )
            .expect("disconnected");
        assert_eq!(meeting.sharer(room), None, "a lost connection ends it");
    }

    #[test]
    fn an_arriving_share_takes_over_or_ends_by_setting() {
        let (mut meeting, room) = meeting();
        configure(&mut meeting, |c| c.participants_may_share = true);
        let into = |meeting: &mut Meeting, who: u64, to: RoomId| {
            let mut out = Vec::new();
            meeting.relocate(ParticipantId(who), to, &mut out);
        };
        into(&mut meeting, 3, room);
        share(&mut meeting, ParticipantId(3), true).expect("3 shares in room 1");
        share(&mut meeting, ParticipantId(4), true).expect("4 shares in main");
        into(&mut meeting, 4, room);
        assert_eq!(meeting.sharer(room), Some(ParticipantId(4)), "took over");
        assert_eq!(meeting.sharer(RoomId::MAIN), None);
        configure(&mut meeting, |c| c.second_sharer = SecondSharer::IsRefused);
        into(&mut meeting, 4, RoomId::MAIN);
        share(&mut meeting, ParticipantId(3), true).expect("3 shares again");
        share(&mut meeting, ParticipantId(4), true).expect("4 shares in main");
        into(&mut meeting, 4, room);
        assert_eq!(meeting.sharer(room), Some(ParticipantId(3)), "kept");
        assert!(meeting.stop_sharing(ParticipantId(3)));
        assert!(
            !meeting.stop_sharing(ParticipantId(4)),
            "4's share had ended"
        );
    }
}
