//! Membership and what each person does for themselves: joining rooms,
//! returning, asking for help, media state.

use crate::meeting::{MediaState, Out, Participant};
use crate::{
    Actor, Event, EventBody, Meeting, ParticipantId, Preset, Recipients, Refusal, RoomId, Timestamp,
};

impl Meeting {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_participant(
        &mut self,
        actor: Actor,
        id: ParticipantId,
        name: String,
        email: Option<String>,
        preset: String,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "add participants")?;
        if self.participants.contains_key(&id) {
            return Err(Refusal::DuplicateParticipant(id));
        }
        self.preset(&preset)?;
        if self.participants.len() >= Self::MAX_PARTICIPANTS {
            return Err(Refusal::InvalidInput {
                reason: format!("a meeting holds at most {} people", Self::MAX_PARTICIPANTS),
            });
        }
        let name = Self::valid_name(&name)?;
        let email = match email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) if e.contains('@') && e.len() <= 254 => Some(e.to_ascii_lowercase()),
            Some(_) => {
                return Err(Refusal::InvalidInput {
                    reason: "the email address is not valid".into(),
                });
            }
        };
        self.participants.insert(
            id,
            Participant {
                id,
                name,
                email,
                preset,
                room: RoomId::MAIN,
                assigned: None,
                media: MediaState {
                    mic: false,
                    camera: false,
                },
                connected: false,
                joined_at: now,
                pending_move: None,
                invited: None,
                return_requested: false,
                help_requested_at: None,
                last_help_at: None,
                listening: None,
            },
        );
        self.rooms
            .get_mut(&RoomId::MAIN)
            .expect("main always exists")
            .members
            .insert(id);
        if self.is_manager(id) {
            self.managers.insert(id);
        }
        let member = self.member_view(id).expect("just added");
        out.push(Event {
            to: self.room_and_managers_except(RoomId::MAIN, id),
            body: EventBody::MemberEntered {
                room: RoomId::MAIN,
                member,
            },
        });
        Ok(())
    }

    pub(crate) fn remove_participant(
        &mut self,
        actor: Actor,
        id: ParticipantId,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "remove participants")?;
        let room = self.person(id)?.room;
        self.cancel_pending_move(id);
        self.silence(id, out);
        self.participants.remove(&id);
        self.managers.remove(&id);
        if let Some(r) = self.rooms.get_mut(&room) {
            r.members.remove(&id);
        }
        for group in self.together.iter_mut().chain(self.apart.iter_mut()) {
            group.retain(|p| *p != id);
        }
        self.together.retain(|g| g.len() > 1);
        self.apart.retain(|g| g.len() > 1);
        out.push(Event {
            to: self.room_and_managers(room),
            body: EventBody::MemberLeft {
                room,
                participant: id,
            },
        });
        out.push(Event {
            to: Recipients::One(id),
            body: EventBody::ParticipantLeft { participant: id },
        });
        Ok(())
    }

    pub(crate) fn set_connected(
        &mut self,
        actor: Actor,
        id: ParticipantId,
        connected: bool,
        _now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        if actor != Actor::System {
            return Err(Refusal::PermissionDenied {
                action: "change someone's connection state",
            });
        }
        let person = self
            .participants
            .get_mut(&id)
            .ok_or(Refusal::UnknownParticipant(id))?;
        if person.connected == connected {
            return Ok(());
        }
        person.connected = connected;
        let room = person.room;
        if !connected {
            self.silence(id, out);
        }
        out.push(Event {
            to: self.room_and_managers_except(room, id),
            body: EventBody::ConnectionChanged {
                participant: id,
                connected,
            },
        });
        Ok(())
    }

    pub(crate) fn define_preset(&mut self, actor: Actor, preset: Preset) -> Result<(), Refusal> {
        if actor != Actor::System {
            return Err(Refusal::PermissionDenied {
                action: "define presets",
            });
        }
        let name = preset.name.trim();
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Refusal::InvalidInput {
                reason: "a preset name is 1-40 letters, digits, '-' or '_'".into(),
            });
        }
        self.presets.insert(name.to_string(), preset);
        self.refresh_managers();
        Ok(())
    }

    /// A person enters a room on their own, as [`Meeting::may_join`] allows.
    pub(crate) fn join_room(
        &mut self,
        actor: Actor,
        room: RoomId,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.permissions(actor)?;
        let person = self.sender(actor)?;
        let id = person.id;
        if room.is_main() {
            return self.leave_to_main(actor, out);
        }
        self.require_running()?;
        self.require_room(room)?;
        if person.room == room {
            return Ok(());
        }
        self.may_join(id, room)?;
        self.relocate(id, room, out);
        Ok(())
    }

    pub(crate) fn leave_to_main(&mut self, actor: Actor, out: &mut Out) -> Result<(), Refusal> {
        self.permissions(actor)?;
        let person = self.sender(actor)?;
        let id = person.id;
        if person.room.is_main() {
            return Err(Refusal::NotInBreakout);
        }
        if !self.may_return(id) {
            return Err(Refusal::ReturnNotAllowed);
        }
        self.relocate(id, RoomId::MAIN, out);
        Ok(())
    }

    /// A host or cohost drops into a room without being assigned to it. A
    /// visit answers any help request from that room.
    pub(crate) fn visit(
        &mut self,
        actor: Actor,
        room: RoomId,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.authorize(actor, "visit rooms", |p| p.visit_any_room)?;
        let id = self.sender(actor)?.id;
        self.require_room(room)?;
        if !room.is_main() {
            self.require_running()?;
        }
        let helped: Vec<ParticipantId> = self
            .occupants(room)
            .filter(|p| self.participants[p].help_requested_at.is_some())
            .collect();
        for who in helped {
            self.participants
                .get_mut(&who)
                .expect("occupant exists")
                .help_requested_at = None;
            out.push(Event {
                to: self.managers_and(who),
                body: EventBody::HelpDismissed { participant: who },
            });
        }
        self.relocate(id, room, out);
        Ok(())
    }

    pub(crate) fn request_help(
        &mut self,
        actor: Actor,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.permissions(actor)?;
        let person = self.sender(actor)?;
        let (id, room) = (person.id, person.room);
        if room.is_main() {
            return Err(Refusal::NotInBreakout);
        }
        if let Some(last) = person.last_help_at {
            let retry_at = last.plus_secs(Self::HELP_COOLDOWN_SECS);
            if now < retry_at {
                // Whole seconds, rounded up: "in 0 s" would invite a retry that fails.
                let wait_secs = (retry_at.0 - now.0).div_ceil(1_000);
                return Err(Refusal::HelpCooldown {
                    retry_at,
                    wait_secs,
                });
            }
        }
        let person = self.participants.get_mut(&id).expect("sender exists");
        person.help_requested_at = Some(now);
        person.last_help_at = Some(now);
        out.push(Event {
            to: self.managers_and(id),
            body: EventBody::HelpRequested {
                participant: id,
                room,
            },
        });
        Ok(())
    }

    pub(crate) fn dismiss_help(
        &mut self,
        actor: Actor,
        who: ParticipantId,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "dismiss help requests")?;
        let person = self
            .participants
            .get_mut(&who)
            .ok_or(Refusal::UnknownParticipant(who))?;
        if person.help_requested_at.take().is_none() {
            return Err(Refusal::NoHelpRequest(who));
        }
        out.push(Event {
            to: self.managers_and(who),
            body: EventBody::HelpDismissed { participant: who },
        });
        Ok(())
    }

    /// Mic and camera belong to the person: no move ever changes them.
    pub(crate) fn set_media(
        &mut self,
        actor: Actor,
        mic: Option<bool>,
        camera: Option<bool>,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        let permissions = self.permissions(actor)?;
        if mic == Some(true) && !permissions.publish_audio {
            return Err(Refusal::PermissionDenied {
                action: "turn on your microphone",
            });
        }
        if camera == Some(true) && !permissions.publish_video {
            return Err(Refusal::PermissionDenied {
                action: "turn on your camera",
            });
        }
        let id = self.sender(actor)?.id;
        self.update_media(id, mic, camera, out);
        Ok(())
    }

    pub(crate) fn mute_participant(
        &mut self,
        actor: Actor,
        who: ParticipantId,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "mute others")?;
        self.person(who)?;
        self.update_media(who, Some(false), None, out);
        Ok(())
    }

    fn update_media(
        &mut self,
        id: ParticipantId,
        mic: Option<bool>,
        camera: Option<bool>,
        out: &mut Out,
    ) {
        let person = self.participants.get_mut(&id).expect("checked by caller");
        let before = person.media;
        person.media.mic = mic.unwrap_or(before.mic);
        person.media.camera = camera.unwrap_or(before.camera);
        let after = person.media;
        if before == after {
            return;
        }
        let room = person.room;
        out.push(Event {
            to: self.room_and_managers(room),
            body: EventBody::MediaChanged {
                participant: id,
                mic: after.mic,
                camera: after.camera,
            },
        });
    }

    pub(crate) fn managers_and(&self, who: ParticipantId) -> Recipients {
        Recipients::Many(crate::meeting::sorted_union(self.managers(), [who]))
    }
}
