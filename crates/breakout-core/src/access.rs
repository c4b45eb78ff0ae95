//! Who may act on whom, and who may enter or read what.
//!
//! Commands are authorised by their own module against the sender's
//! permissions; what they have in common lives here: the rank rule every
//! command that targets someone passes through, the one rule for entering a
//! room, and the read-side rules the server asks before answering requests
//! that change nothing.

use crate::{
    Actor, AssignmentMethod, ChatMessage, Command, Meeting, ParticipantId, Phase, Preset, Refusal,
    RoomId,
};

impl Meeting {
    pub const MAX_TITLE_CHARS: usize = 100;

    /// The rank rule: nobody acts with force (removes, mutes, moves) on
    /// someone whose role stands above theirs. Equals may act on each other;
    /// the server's administrator (`Actor::System`) stands above everyone.
    pub fn may_act_on(
        &self,
        actor: Actor,
        target: ParticipantId,
        action: &'static str,
    ) -> Result<(), Refusal> {
        let Actor::Participant(sender) = actor else {
            return Ok(());
        };
        let Some(theirs) = self.preset_of(target).map(|p| p.role) else {
            // An unknown target is the command's own refusal to give.
            return Ok(());
        };
        let yours = self
            .preset_of(sender)
            .map(|p| p.role)
            .ok_or(Refusal::UnknownParticipant(sender))?;
        if theirs.outranks(yours) {
            return Err(Refusal::Outranked {
                action,
                target,
                theirs,
                yours,
            });
        }
        Ok(())
    }

    /// The rank rule applied to the person a command targets, if any.
    pub(crate) fn check_rank(&self, actor: Actor, command: &Command) -> Result<(), Refusal> {
        match command.forced_target() {
            Some((target, action)) => self.may_act_on(actor, target, action),
            None => Ok(()),
        }
    }

    /// Whether `who` may enter `room` on their own now: main when they may
    /// return; a breakout room while breakouts run if they may visit any
    /// room, or (unless they arrived late and late joining is off) it is
    /// their assigned room or an open room they may choose.
    pub fn may_join(&self, who: ParticipantId, room: RoomId) -> Result<(), Refusal> {
        let person = self.person(who)?;
        if room.is_main() {
            return if self.may_return(who) {
                Ok(())
            } else if person.room.is_main() {
                Err(Refusal::NotInBreakout)
            } else {
                Err(Refusal::ReturnNotAllowed)
            };
        }
        self.require_running()?;
        let target = self.require_room(room)?;
        let permissions = self.permissions(Actor::Participant(who))?;
        let late = matches!(self.phase, Phase::Running { started_at, .. } if person.joined_at > started_at);
        let may_choose =
            permissions.switch_rooms || self.config.assignment == AssignmentMethod::Choose;
        let allowed = permissions.visit_any_room
            || ((!late || self.config.allow_join_later)
                && (person.assigned == Some(room) || (target.open && may_choose)));
        if allowed {
            Ok(())
        } else {
            Err(Refusal::JoinNotAllowed(room))
        }
    }

    /// The chat history `who` asked for: their own room's (`None`), or any
    /// existing room's if they manage breakouts.
    pub fn chat_for(
        &self,
        who: ParticipantId,
        room: Option<RoomId>,
    ) -> Result<&[ChatMessage], Refusal> {
        let own = self.person(who)?.room;
        let room = room.unwrap_or(own);
        if room != own && !self.is_manager(who) {
            return Err(Refusal::PermissionDenied {
                action: "read the chat of a room you are not in",
            });
        }
        Ok(&self.require_room(room)?.chat)
    }

    /// The assignments as CSV, for those who manage breakouts.
    pub fn assignments_csv_for(&self, who: ParticipantId) -> Result<String, Refusal> {
        self.person(who)?;
        self.authorize(Actor::Participant(who), "export assignments", |p| {
            p.manage_breakouts
        })?;
        Ok(self.export_assignments_csv())
    }

    /// The preset called `name`.
    pub fn preset(&self, name: &str) -> Result<&Preset, Refusal> {
        self.presets
            .get(name)
            .ok_or_else(|| Refusal::UnknownPreset(name.to_string()))
    }

    /// A meeting's title, normalised like a display name.
    pub fn valid_title(title: &str) -> Result<String, Refusal> {
        crate::names::clean_label(title, "the meeting title", Self::MAX_TITLE_CHARS)
    }

    /// A person's display name, normalised; see [`crate::names`].
    pub fn valid_name(name: &str) -> Result<String, Refusal> {
        crate::names::clean_label(name, "the name", Self::MAX_NAME_CHARS)
    }
}
