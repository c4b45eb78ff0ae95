//! Who may still come in: the meeting's capacity and its lock.
//!
//! Both bound self-service joins, the ones through an invite code. An
//! administrator adding someone by name is trusted and bounded only by
//! [`Meeting::MAX_PARTICIPANTS`], so a meeting filled through a leaked
//! invite never locks its host out of adding the people who belong.

use crate::meeting::Out;
use crate::{Actor, Event, EventBody, Meeting, ParticipantId, Recipients, Refusal, Timestamp};

impl Meeting {
    /// Capacity of a new meeting, for joins through invites.
    pub const DEFAULT_CAPACITY: u32 = 500;

    /// How many people may be in the meeting for invites to admit more.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Whether invites are refused.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn join_by_invite(
        &mut self,
        actor: Actor,
        id: ParticipantId,
        name: String,
        email: Option<String>,
        preset: String,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "admit people")?;
        if self.locked {
            return Err(Refusal::MeetingLocked);
        }
        if self.participants.len() >= self.capacity as usize {
            return Err(Refusal::MeetingFull {
                capacity: self.capacity,
            });
        }
        self.add_participant(actor, id, name, email, preset, now, out)
    }

    pub(crate) fn set_capacity(
        &mut self,
        actor: Actor,
        capacity: u32,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "change the meeting's capacity")?;
        if capacity == 0 || capacity as usize > Self::MAX_PARTICIPANTS {
            return Err(Refusal::InvalidInput {
                reason: format!(
                    "the capacity must be between 1 and {}",
                    Self::MAX_PARTICIPANTS
                ),
            });
        }
        self.capacity = capacity;
        self.admission_changed(out);
        Ok(())
    }

    pub(crate) fn set_locked(
        &mut self,
        actor: Actor,
        locked: bool,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "lock or unlock the meeting")?;
        self.locked = locked;
        self.admission_changed(out);
        Ok(())
    }

    fn admission_changed(&self, out: &mut Out) {
        out.push(Event {
            to: Recipients::Managers,
            body: EventBody::AdmissionChanged {
                capacity: self.capacity,
                locked: self.locked,
            },
        });
    }
}

pub(crate) fn default_capacity() -> u32 {
    Meeting::DEFAULT_CAPACITY
}

#[cfg(test)]
mod tests {
    use crate::{Actor, Command, Meeting, ParticipantId, Refusal, Timestamp};

    fn join(meeting: &mut Meeting, id: u64) -> Result<(), Refusal> {
        let command = Command::JoinByInvite {
            participant: ParticipantId(id),
            name: format!("P{id}"),
            email: None,
            preset: "participant".into(),
        };
        meeting
            .apply(Actor::System, command, Timestamp(1))
            .map(|_| ())
    }

    fn add(meeting: &mut Meeting, id: u64, preset: &str) {
        let command = Command::AddParticipant {
            participant: ParticipantId(id),
            name: format!("P{id}"),
            email: None,
            preset: preset.into(),
        };
        meeting.apply(Actor::System, command, Timestamp(1)).unwrap();
    }

    #[test]
    fn invites_stop_at_the_capacity_and_while_locked_and_administrators_do_not() {
        let mut meeting = Meeting::new();
        assert_eq!(meeting.capacity(), Meeting::DEFAULT_CAPACITY);
        add(&mut meeting, 1, "host");
        let host = Actor::Participant(ParticipantId(1));
        meeting
            .apply(host, Command::SetCapacity { capacity: 2 }, Timestamp(1))
            .unwrap();
        join(&mut meeting, 2).unwrap();
        assert_eq!(
            join(&mut meeting, 3),
            Err(Refusal::MeetingFull { capacity: 2 })
        );
        add(&mut meeting, 3, "participant");

        meeting
            .apply(host, Command::SetCapacity { capacity: 10 }, Timestamp(1))
            .unwrap();
        meeting
            .apply(host, Command::SetLocked { locked: true }, Timestamp(1))
            .unwrap();
        assert_eq!(join(&mut meeting, 4), Err(Refusal::MeetingLocked));
        add(&mut meeting, 4, "participant");

        let attendee = Actor::Participant(ParticipantId(4));
        for command in [
            Command::SetLocked { locked: false },
            Command::SetCapacity { capacity: 100 },
        ] {
            assert!(matches!(
                meeting.apply(attendee, command, Timestamp(1)),
                Err(Refusal::PermissionDenied { .. })
            ));
        }
        assert!(matches!(
            meeting.apply(host, Command::SetCapacity { capacity: 0 }, Timestamp(1)),
            Err(Refusal::InvalidInput { .. })
        ));
        assert!(meeting.is_locked());
    }
}
